"""research.reevaluate / experiments.evaluate: metric families added to a finished run from its
saved weights equal those of a run that had them from the start, and nothing is trained."""

import pandas as pd
import pytest

from configs.relu_vs_leaky import get_config
from research import reevaluate, studies, sweep
from research.study import run_study
from research.validation import ConfigError


def tiny_config():
  c = get_config("quick")
  c.data.names = ("rings", "xor")
  c.model.activations = ("relu", "leaky_relu:0.2")
  c.num_seeds = 2
  c.optim.num_steps = 40
  c.optim.eval_every_steps = 20
  c.eval.grid_resolution = 16
  c.eval.metrics = ("core",)
  c.eval.checkpoint_steps = (0, 20)
  c.eval.expensive_seeds = 1
  return c


FAMILIES = ["boundary", "exact_regions"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
  """The same run twice: without the families (then added), and with them from the start."""
  root = tmp_path_factory.mktemp("reevaluate")
  study = studies.get_study("relu_vs_leaky")
  run_study(study, tiny_config(), root / "added", draw=False, progress=False)
  calls = []
  real = sweep.run_unit
  sweep.run_unit = lambda *a, **k: calls.append(1) or real(*a, **k)
  try:
    new = reevaluate.add_metrics_to_run(study, tiny_config(), root / "added", FAMILIES, progress=False)
    run_study(study, new, root / "added", draw=False, progress=False)
  finally:
    sweep.run_unit = real
  run_study(study, reevaluate.extended_config(tiny_config(), FAMILIES), root / "fresh", draw=False,
            progress=False)
  return root, calls


def test_added_families_train_nothing(runs):
  _, calls = runs
  assert calls == []


@pytest.mark.parametrize("table", ["results.csv", "checkpoints.csv"])
def test_added_columns_equal_a_run_that_had_them_from_the_start(runs, table):
  root, _ = runs
  added, fresh = pd.read_csv(root / "added" / table), pd.read_csv(root / "fresh" / table)
  timing = [c for c in fresh.columns if c.endswith("time_s")]
  assert list(added.columns) == list(fresh.columns)
  assert {"grid_agreement", "num_regions", "margin_mean"} <= set(added.columns)
  pd.testing.assert_frame_equal(added.drop(columns=timing), fresh.drop(columns=timing), check_exact=False,
                                rtol=1e-6)


def test_the_workdir_now_belongs_to_the_extended_config(runs):
  root, _ = runs
  import json
  config = json.loads((root / "added" / "config.json").read_text())["config"]
  assert list(config["eval"]["metrics"]) == ["core", *FAMILIES]


def test_bad_requests_are_refused_before_anything_is_measured(tmp_path):
  study = studies.get_study("relu_vs_leaky")
  with pytest.raises(ConfigError, match="unknown metric families \\['boundry'\\]"):
    reevaluate.add_metrics_to_run(study, tiny_config(), tmp_path, ["boundry"])
  with pytest.raises(ConfigError, match="already in eval.metrics"):
    reevaluate.add_metrics_to_run(study, tiny_config(), tmp_path, ["core"])
  with pytest.raises(ConfigError, match="eval.noise_stds"):
    reevaluate.add_metrics_to_run(study, tiny_config(), tmp_path, ["robustness"], {"noise_stds": (-1.0,)})
  with pytest.raises(ValueError, match="are not stored whole by this code; rerun the study"):  # no run there
    reevaluate.add_metrics_to_run(study, tiny_config(), tmp_path, ["boundary"])


def test_the_command_adds_a_family_to_a_finished_run(tmp_path):
  from helpers import run_module, run_modules
  args = ["--config", "configs/relu_vs_leaky.py:quick", "--noprogress", "--noplots", "--workdir", str(tmp_path),
          "--config.data.names=('rings',)", "--config.model.activations=('relu','leaky_relu:0.2')",
          "--config.num_seeds=2", "--config.eval.checkpoint_steps=()"]
  # The run and the evaluation in one interpreter (evaluate reads only the workdir); the refusal
  # below is a fresh process, so that its stderr is the whole of what a user sees.
  trained, out = run_modules([["experiments.relu_vs_leaky", *args],
                              ["experiments.evaluate", "--workdir", str(tmp_path), "--metrics=plane_topology",
                               "--noprogress", "--noplots"]])
  assert trained.returncode == 0, trained.stderr[-2000:]
  assert out.returncode == 0, out.stderr[-2000:]
  assert "1 units resumed from disk" in out.stdout and "[1/1]" not in out.stdout.split("measuring")[-1]
  results = pd.read_csv(tmp_path / "results.csv")
  assert results.loc[results["seed"] == 0, "plane_components_c1"].notna().all()
  bad = run_module("experiments.evaluate", "--workdir", str(tmp_path), "--metrics=plane_topology")
  assert bad.returncode == 2 and "already in eval.metrics" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
