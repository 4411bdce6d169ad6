"""Every study in the registry through the one runner (research/study.py): each `:quick` config
end to end, with the tables equal to those written before the move onto the runner
(tests/golden), and a throwaway study in a temp folder discovered, run, reported and listed."""

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from research import studies
from tests.helpers import ROOT, run_module

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
  """Every registered study's quick config, run once as its command runs it, on one CPU device
  (the golden tables were made so: the device count changes float rounding in training)."""
  root = tmp_path_factory.mktemp("quick")
  outs = {}
  for name in studies.discover():
    outs[name] = run_module(f"experiments.{name}", "--config", f"configs/{name}.py:quick", "--workdir",
                            str(root / name), "--noplots", "--noprogress", "--cpu_devices=1")
  return root, outs


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


def test_noplots_run_never_imports_matplotlib(tmp_path):
  script = textwrap.dedent(f"""
      import sys
            from research import studies
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
