"""Every study in the registry through the one runner (research/study.py): each `:quick` config
end to end, with the tables equal to those written before the move onto the runner
(tests/golden/PLATFORM), and a throwaway study in a temp folder discovered, run, reported and listed.
This file checks the quick runs of study_runs.FIRST_FILE; tests/test_studies_quick.py the others
(two files, so that the two test workers run quick runs side by side)."""

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from experiments._config import load_config
from research import studies
from research.studies import activation_cost as ac
from helpers import ROOT, run_modules
import study_runs

MINE = study_runs.file_studies(first=True)


def quick_config(study: str):
  return load_config(f"{ROOT}/configs/{study}.py:quick")


def test_registry_finds_every_study_module():
  names = set(studies.discover())
  modules = {p.stem for p in (ROOT / "research" / "studies").glob("*.py")} - {"__init__", "fit"}
  assert names == modules
  assert names >= set(study_runs.TABLES) | {"activation_cost"}
  with pytest.raises(ValueError, match="valid studies: .*topology"):
    studies.get_study("topolgy")


def test_the_two_study_files_check_every_study_once():
  first, second = study_runs.file_studies(True), study_runs.file_studies(False)
  assert set(first) | set(second) == set(studies.discover()) and not set(first) & set(second)
  assert set(study_runs.FIRST_FILE) <= set(first)  # a renamed study is not silently dropped
  # A study's own checks sit in the file that runs it (else a worker runs it a second time).
  import test_studies_quick
  for module, names in ((sys.modules[__name__], first), (test_studies_quick, second)):
    own = {n[len("test_"):-len("_quick_outputs")] for n in vars(module) if n.endswith("_quick_outputs")}
    assert own <= set(names), (module.__name__, sorted(own - set(names)))



@pytest.fixture(scope="module")
def quick_runs(quick_runs):
  """The session's quick runs, this file's all made at once in one interpreter (tests/study_runs.py)."""
  quick_runs.run_all(MINE)
  return quick_runs

@pytest.mark.parametrize("name", MINE)
def test_quick_config_runs_through_the_runner(quick_runs, name):
  study_runs.check_quick_run(quick_runs, name)


@pytest.mark.parametrize("name", [n for n in MINE if n in study_runs.TABLES])
def test_tables_equal_those_before_the_move(quick_runs, name):
  study_runs.check_golden_tables(quick_runs, name)


def test_every_hypothesis_of_a_study_is_evaluated_in_its_report(quick_runs):
  study_runs.check_hypotheses_reported(quick_runs, MINE)


# ----------------------------------------------------------------------------- per study

def test_topology_quick_outputs(quick_runs):
  workdir, out = quick_runs["topology"]
  assert out.returncode == 0, out.stderr[-3000:]
  for name in ("results", "fit_summary", "kept_runs", "betti_per_layer", "topology_summary"):
    assert (workdir / f"{name}.csv").stat().st_size > 0, name
  fit = pd.read_csv(workdir / "fit_summary.csv")
  assert fit["runs"].sum() == 6 and (fit["kept"] + fit["dropped"] == fit["runs"]).all()
  betti = pd.read_csv(workdir / "betti_per_layer.csv")
  assert betti["seed"].nunique() >= 1 and set(betti["layer"]) == {0, 1, 2, 3}
  # The input layer of rings, for every kept run: inner disk (1, 0), annulus (1, 1).
  inputs = betti[betti["layer"] == 0].groupby(["cls", "dim"])["betti"].agg(["min", "max"])
  assert inputs.loc[(0, 0)].tolist() == [1, 1] and inputs.loc[(0, 1)].tolist() == [0, 0]
  assert inputs.loc[(1, 0)].tolist() == [1, 1] and inputs.loc[(1, 1)].tolist() == [1, 1]
  for name in ("betti_per_layer_rings", "betti_total_per_layer", "layers_to_trivial"):
    assert (workdir / "figures" / f"{name}.png").stat().st_size > 10_000, name
  page = (workdir / "report.html").read_text()
  assert page.count("data:image/png;base64,") == 3
  report = (workdir / "report.md").read_text()
  for section in ("**Question.**", "## Setting", "## Verdicts", "## Runs kept", "## Caveats",
                  "deviations from Naitzat", "relu_reduces_topology_faster"):
    assert section in report, section


def test_sparsity_quick_outputs(quick_runs):
  workdir, out = quick_runs["sparsity"]
  assert out.returncode == 0, out.stderr[-3000:]
  config = quick_config("sparsity")
  results = pd.read_csv(workdir / "results.csv")
  assert len(results) == len(config.data.names) * len(config.model.activations) * config.num_seeds
  depth = config.model.depths[0]
  assert results[[f"probe_acc_l{l}" for l in range(depth + 1)]].notna().all().all()
  layers = pd.read_csv(workdir / "layers.csv")
  assert sorted(layers["layer"].unique()) == list(range(depth + 1))
  spearman = pd.read_csv(workdir / "spearman.csv")
  assert set(spearman["activation"]) == set(config.model.activations) | {"all pooled"}
  for name in ("models", "fit_summary"):
    assert (workdir / f"{name}.csv").stat().st_size > 0
  for name in ("sparsity_per_layer", "probes_per_layer", "sparsity_vs_probe"):
    assert (workdir / "figures" / f"{name}.png").stat().st_size > 10_000, name
  assert (workdir / "report.html").read_text().count("data:image/png;base64,") == 3
  report = (workdir / "report.md").read_text()
  for section in ("**Question.**", "## Setting", "## Verdicts", "relu_sparser",
                  "sparser_layers_separate_better", "## Does sparser mean more separable?",
                  "spearmanr", "## Caveats"):
    assert section in report, section


def test_activation_cost_quick_outputs(quick_runs):
  workdir, out = quick_runs["activation_cost"]
  assert out.returncode == 0, out.stderr[-3000:]
  config = quick_config("activation_cost")
  summary = pd.read_csv(workdir / "summary.csv")
  acts = [*config.activations, ac.JAX_RELU]
  assert len(summary) == len(acts) * (len(config.networks) + 1)
  assert (summary.loc[summary["activation"] == ac.JAX_RELU, "verdict"] == "no claim").all()
  assert set(summary["benchmark"]) == {*config.networks.keys(), "elementwise"}
  relu = summary[summary["activation"] == "relu"]
  assert (relu["ratio_to_relu"] == 1.0).all() and (relu["verdict"] == "reference").all()
  assert (summary["compile_s"] > 0).all() and (summary["min_s"] <= summary["max_s"]).all()
  claims = summary[~summary["activation"].isin(["relu", ac.JAX_RELU])]
  assert set(claims["verdict"]) <= set(ac.CLAIM_VERDICTS)
  timings = pd.read_csv(workdir / "timings.csv")
  per_round = 2 * len(acts) - 1  # relu before, between and after the others
  assert len(timings) == (len(config.networks) + 1) * config.num_rounds * per_round
  page = (workdir / "report.html").read_text()
  assert page.count('src="data:image/png;base64,') == 1 and "Verdict rule" in page
  assert (workdir / "figures" / "time_relative_to_relu.png").stat().st_size > 10_000


def test_narrow_nets_quick_outputs(quick_runs):
  workdir, out = quick_runs["narrow_nets"]
  assert out.returncode == 0, out.stderr[-3000:]
  results = pd.read_csv(workdir / "results.csv")
  assert set(results["activation"]) == {"relu", "leaky_relu:0.01", "prelu:0.25", "tanh"}
  assert set(results["width"]) == {2, 3}
  # Region topology is counted for every model (within the domain box; see configs/narrow_nets.py).
  assert results[["components_c0", "components_c1", "holes_c0", "holes_c1"]].notna().all().all()
  # Exact whole-plane counts: for the expensive seeds (seed 0 in quick) of the fixed-slope
  # piecewise-linear activations; NaN for tanh, PReLU and the other seeds.
  plane = results[["plane_components_c0", "plane_components_c1"]]
  exact = (results["seed"] == 0) & results["activation"].isin(["relu", "leaky_relu:0.01"])
  assert plane[exact].notna().all().all() and plane[~exact].isna().all().all()
  assert (plane[exact] >= 0).all().all() and (plane[exact] <= 4).all().all()
  excess = results.loc[exact, "plane_excess_c1"]
  np.testing.assert_array_equal(excess, np.maximum(results.loc[exact, "plane_components_c1"] - 1, 0))
  page = (workdir / "report.html").read_text()
  assert "prelu_lower_loss_narrow" in page and "data:image/png;base64" in page


# ----------------------------------------------------------------------------- no plots; a new study

def test_noplots_run_never_imports_matplotlib(tmp_path):
  script = textwrap.dedent(f"""
      import sys
      from experiments._config import load_config
      from research import studies
      from research.study import run_study
      for name in ("topology", "dying_relu"):
        config = load_config("configs/" + name + ".py:quick")
        config.num_seeds = 2
        run_study(studies.get_study(name), config, r"{tmp_path}/" + name, draw=False, progress=False)
      print("matplotlib" in sys.modules)""")
  out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
  assert out.returncode == 0, out.stderr[-3000:]
  assert out.stdout.strip().splitlines()[-1] == "False"


STUDY_MODULE = '''
"""A throwaway study: test accuracy of ReLU vs LeakyReLU on xor, nothing else."""
from research.study import ReportContent, Study
from research.study_report import describe_setting

def report(ctx):
  ok = ctx.results[~ctx.results["diverged"]]
  return ReportContent(setting=describe_setting(ctx.config),
                       findings=(f"mean test accuracy {ok['test_acc'].mean():.3f}",))

STUDY = Study(name="throwaway", question="Does anything happen on xor?",
              answers=("A throwaway explanation, for a test.",), report=report)
'''
CONFIG_FILE = '''
from configs.relu_vs_leaky import get_config as base

def get_config(arg=None):
  c = base("quick")
  c.study = "throwaway"
  c.data.names = ("xor",)
  c.model.activations = ("relu", "leaky_relu:0.2")
  c.eval.metrics = ("core",)
  c.eval.checkpoint_steps = ()
  c.num_seeds = 2
  return c
'''


def test_a_new_study_is_one_module_and_one_config_file(tmp_path):
  folder = tmp_path / "my_studies"
  (folder / "configs").mkdir(parents=True)
  (folder / "throwaway.py").write_text(STUDY_MODULE)
  (folder / "configs" / "throwaway.py").write_text(CONFIG_FILE)
  workdirs = tmp_path / "workdirs"
  # The three commands in one interpreter (discovery keeps nothing between calls, so each command
  # still has to find the folder's study from its own --studies_dir).
  out, listed, gathered = run_modules([
      ["experiments.study", "--studies_dir", str(folder), "--study", "throwaway", "--config",
       str(folder / "configs" / "throwaway.py"), "--workdir", str(workdirs / "throwaway"), "--noprogress",
       "--noplots"],
      ["experiments.report", "--studies_dir", str(folder), "--list"],
      ["experiments.report", "--studies_dir", str(folder), "--workdirs", str(workdirs)]])
  assert out.returncode == 0, out.stderr[-3000:]
  results = pd.read_csv(workdirs / "throwaway" / "results.csv")
  assert len(results) == 4 and set(results["dataset"]) == {"xor"}
  report = (workdirs / "throwaway" / "report.md").read_text()
  assert "# Study: throwaway" in report and "mean test accuracy" in report
  assert listed.returncode == 0 and "throwaway: Does anything happen on xor?" in listed.stdout
  assert gathered.returncode == 0, gathered.stderr[-2000:]
  page = (workdirs / "report.md").read_text()
  assert "A throwaway explanation, for a test." in page and "mean test accuracy" in page
  assert "`topology`: not run yet" in page  # the shipped studies are still listed


def test_a_run_in_which_every_model_diverges_writes_a_report_saying_so(tmp_path):
  from research.study import run_study
  config = quick_config("relu_vs_leaky")
  config.data.names = ("rings",)
  config.model.activations = ("relu", "leaky_relu:0.2")
  config.num_seeds = 2
  config.optim.learning_rates = (1e30,)  # the first Adam step moves every weight by ~1e30
  config.eval.checkpoint_steps = (0, 100)
  outcome = run_study(studies.get_study("relu_vs_leaky"), config, tmp_path, progress=False)
  assert outcome.ok and outcome.report == tmp_path / "report.html"
  results = pd.read_csv(tmp_path / "results.csv")
  assert results["diverged"].all() and len(results) == 4
  report = (tmp_path / "report.md").read_text()
  assert "Every one of the 4 models diverged" in report and "Lower the learning rates" in report
  checkpoints = pd.read_csv(tmp_path / "checkpoints.csv")
  by_step = checkpoints.groupby("step")["diverged"].all()
  assert not by_step[0] and by_step[100]  # not yet at initialisation, every model by step 100
