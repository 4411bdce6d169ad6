"""Every study in the registry through the one runner (research/study.py): each `:quick` config
end to end, with the tables equal to those written before the move onto the runner
(tests/golden), and a throwaway study in a temp folder discovered, run, reported and listed."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from experiments._config import load_config
from research import studies
from research.studies import activation_cost as ac
from helpers import ROOT, run_module

GOLDEN = ROOT / "tests" / "golden"
# study -> (golden file, file of this run) pairs; activation_cost times the machine (no golden).
TABLES = {
    "relu_vs_leaky": ["results.csv", "checkpoints.csv", "curves.csv"],
    "narrow_nets": ["results.csv", "checkpoints.csv", "curves.csv"],
    "topology": ["results.csv", "kept_runs.csv", "betti_per_layer.csv", "topology_summary.csv",
                 "fit_summary.csv", "curves.csv"],
    "sparsity": ["results.csv", "layers.csv", "models.csv", "spearman.csv", "fit_summary.csv", "curves.csv"],
    "dying_relu": ["born_dead.csv", "trained/results.csv"],
    "linear_regions": [("results.csv", "regions.csv"), "lines.csv"],  # its old long table
    "theorems": ["plane_nets.csv", "stable.csv", "linking.csv"],
}
# The unit hash names the config (which lost fields in the move); timings vary run to run.
NOT_COMPARED = {"unit", "wall_time_s", "compile_time_s"}
KEYS = ["dataset", "activation", "width", "depth", "neurons", "lr", "seed", "step", "model_index",
        "layer", "cls", "dim", "init", "place", "over", "sparsity", "separability", "x0"]


def assert_same_table(golden: pd.DataFrame, new: pd.DataFrame, name: str) -> None:
  """Every golden column is in the new table with equal values (floats to 1e-4 relative)."""
  cols = [c for c in golden.columns if c not in NOT_COMPARED]
  assert set(cols) <= set(new.columns), (name, sorted(set(cols) - set(new.columns)))
  keys = [k for k in KEYS if k in cols]
  a = golden[cols].sort_values(keys).reset_index(drop=True)
  b = new[cols].sort_values(keys).reset_index(drop=True)
  assert len(a) == len(b), (name, len(a), len(b))
  for c in cols:
    if pd.api.types.is_numeric_dtype(a[c]) and pd.api.types.is_numeric_dtype(b[c]):
      np.testing.assert_allclose(b[c].to_numpy(float), a[c].to_numpy(float), rtol=1e-4, atol=1e-6,
                                 err_msg=f"{name}: {c}")
    else:
      assert (a[c].astype(str) == b[c].astype(str)).all(), (name, c)


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
  """Every registered study's quick config, run once as its command runs it (figures and report
  included), on one CPU device: the golden tables were made so (the device count changes float
  rounding in training). The per-study checks below read these runs."""
  root = tmp_path_factory.mktemp("quick")
  outs = {}
  for name in studies.discover():
    outs[name] = run_module(f"experiments.{name}", "--config", f"configs/{name}.py:quick", "--workdir",
                            str(root / name), "--noprogress", "--cpu_devices=1")
  return root, outs


def quick_config(study: str):
  return load_config(f"{ROOT}/configs/{study}.py:quick")


def test_registry_finds_every_study_module():
  names = set(studies.discover())
  modules = {p.stem for p in (ROOT / "research" / "studies").glob("*.py")} - {"__init__", "fit"}
  assert names == modules
  assert names >= set(TABLES) | {"activation_cost"}
  with pytest.raises(ValueError, match="valid studies: .*topology"):
    studies.get_study("topolgy")


@pytest.mark.parametrize("name", list(studies.discover()))
def test_quick_config_runs_through_the_runner(quick_runs, name):
  root, outs = quick_runs
  assert outs[name].returncode == 0, outs[name].stderr[-3000:]
  assert f"{name}: done in" in outs[name].stdout and "report:" in outs[name].stdout
  report = (root / name / "report.md").read_text()
  assert report.startswith(f"# Study: {name}") and "## Setting" in report and "## Caveats" in report
  assert (root / name / "summary.json").exists()


@pytest.mark.parametrize("name", list(TABLES))
def test_tables_equal_those_before_the_move(quick_runs, name):
  root, _ = quick_runs
  for pair in TABLES[name]:
    golden, new = pair if isinstance(pair, tuple) else (pair, pair)
    assert_same_table(pd.read_csv(GOLDEN / name / golden), pd.read_csv(root / name / new), f"{name}/{new}")


def test_every_hypothesis_of_a_study_is_evaluated_in_its_report(quick_runs):
  from research.hypotheses import discover
  root, _ = quick_runs
  for h in discover().values():
    assert f"`{h.name}`" in (root / h.study / "report.md").read_text(), h.name


# ----------------------------------------------------------------------------- per study

def test_topology_quick_outputs(quick_runs):
  root, outs = quick_runs
  workdir, out = root / "topology", outs["topology"]
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
  root, outs = quick_runs
  workdir, out = root / "sparsity", outs["sparsity"]
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


def test_dying_relu_quick_outputs(quick_runs):
  root, outs = quick_runs
  workdir, out = root / "dying_relu", outs["dying_relu"]
  assert out.returncode == 0, out.stderr[-3000:]
  table = pd.read_csv(workdir / "born_dead.csv")
  config = quick_config("dying_relu").born_dead
  assert len(table) == len(config.inits) * len(config.widths) * len(config.depths) * 2
  assert table["p_born_dead"].between(0, 1).all() and (table["ci_low"] <= table["ci_high"]).all()
  results = pd.read_csv(workdir / "trained" / "results.csv")
  assert {"dead_fraction", "test_acc", "diverged", "lr", "width"} <= set(results.columns)
  assert set(results["activation"]) == {"relu", "leaky_relu:0.01"}
  page = (workdir / "report.html").read_text()
  assert page.count('src="data:image/png;base64,') == 4
  report = (workdir / "report.md").read_text()
  for fragment in ("relu_loses_accuracy_when_wide", "dead_relu_hurts_narrow_nets", "Lu et al.", "about 60%"):
    assert fragment in report
  for png in (workdir / "figures").glob("*.png"):
    assert png.stat().st_size > 10_000
  assert "over 10%" in out.stdout  # the comparison with Lu et al. is printed


def test_activation_cost_quick_outputs(quick_runs):
  root, outs = quick_runs
  workdir, out = root / "activation_cost", outs["activation_cost"]
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


def test_relu_vs_leaky_quick_outputs(quick_runs):
  root, outs = quick_runs
  workdir, out = root / "relu_vs_leaky", outs["relu_vs_leaky"]
  assert out.returncode == 0, out.stderr[-3000:]
  results = pd.read_csv(workdir / "results.csv")
  # 2 data sets x 4 activations x 1 width x 1 depth x 3 seeds, one row per model.
  assert len(results) == 24
  assert set(results["activation"]) == {"relu", "leaky_relu:0.01", "leaky_relu:0.2", "tanh"}
  for column in ("train_acc", "test_acc", "test_loss", "diverged", "wall_time_s", "grid_agreement",
                 "dead_fraction", "seed", "slope", "width", "depth"):
    assert column in results
  for name in ("test_accuracy", "training_curves", *(f"decision_boundaries_{d}" for d in set(results["dataset"]))):
    assert (workdir / "figures" / f"{name}.png").stat().st_size > 10_000, name
  checkpoints = pd.read_csv(workdir / "checkpoints.csv")  # the quick config asks for steps 0, 100
  assert sorted(checkpoints["step"].unique()) == [0, 100] and len(checkpoints) == 2 * len(results)
  provenance = json.loads((workdir / "config.json").read_text())["provenance"]
  assert provenance["versions"]["jax"] and "git_dirty" in provenance and provenance["device_kind"]
  assert "results in" in out.stdout


def test_narrow_nets_quick_outputs(quick_runs):
  root, outs = quick_runs
  workdir, out = root / "narrow_nets", outs["narrow_nets"]
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
  out = run_module("experiments.study", "--studies_dir", str(folder), "--study", "throwaway",
                   "--config", str(folder / "configs" / "throwaway.py"), "--workdir",
                   str(workdirs / "throwaway"), "--noprogress", "--noplots")
  assert out.returncode == 0, out.stderr[-3000:]
  results = pd.read_csv(workdirs / "throwaway" / "results.csv")
  assert len(results) == 4 and set(results["dataset"]) == {"xor"}
  report = (workdirs / "throwaway" / "report.md").read_text()
  assert "# Study: throwaway" in report and "mean test accuracy" in report
  listed = run_module("experiments.report", "--studies_dir", str(folder), "--list")
  assert listed.returncode == 0 and "throwaway: Does anything happen on xor?" in listed.stdout
  gathered = run_module("experiments.report", "--studies_dir", str(folder), "--workdirs", str(workdirs))
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
