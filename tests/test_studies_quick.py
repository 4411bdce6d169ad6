"""The quick runs of the studies that tests/test_studies.py does not check (study_runs.FIRST_FILE
names those): every other registered study, a new one included, through its command, with its
golden tables and its own outputs. A file of its own so that a second test worker runs them."""

import json

import pandas as pd
import pytest

from experiments._config import load_config
from helpers import ROOT
import study_runs

MINE = study_runs.file_studies(first=False)


def quick_config(study: str):
  return load_config(f"{ROOT}/configs/{study}.py:quick")



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

def test_dying_relu_quick_outputs(quick_runs):
  workdir, out = quick_runs["dying_relu"]
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


def test_relu_vs_leaky_quick_outputs(quick_runs):
  workdir, out = quick_runs["relu_vs_leaky"]
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
