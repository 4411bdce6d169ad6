"""The quick runs of the studies that tests/test_studies.py does not check (study_runs.FIRST_FILE
names those): every other registered study, a new one included, through its command, with its
golden tables and its own outputs. A file of its own so that a second test worker runs them."""

import json

import numpy as np
import pandas as pd
import pytest

from configs.linear_regions import get_config
from experiments._config import load_config
from research import studies
from research.activations import parse_activation
from research.models import ModelSpec, dense_weights, init_model
from research.study import run_study
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


# ----------------------------------------------------------------------------- linear_regions
# Here, not in tests/test_study_linear_regions.py, so that the quick run they check is this file's
# (a file on the other test worker would make it a second time). Last in the file: the rerun
# below rewrites the workdir's tables (with the same rows).

@pytest.fixture(scope="module")
def quick(quick_runs):
  # On one device, as the golden tables: nothing here depends on the device count.
  workdir, out = quick_runs["linear_regions"]
  assert out.returncode == 0, out.stderr[-3000:]
  return workdir, out


def test_quick_run_writes_table_report_and_figures(quick):
  workdir, out = quick
  c = get_config("quick")
  results = pd.read_csv(workdir / "regions.csv")
  models = len(c.model.activations) * c.num_seeds
  steps = {*c.eval.checkpoint_steps, c.optim.num_steps}
  assert len(results) == len(c.model.neurons) * len(c.model.depths) * models * len(steps)
  assert set(results["step"]) == steps
  assert results[["density", "num_regions", "test_acc"]].notna().all().all()
  assert (results["width"] * results["depth"] == results["neurons"]).all()
  html = (workdir / "report.html").read_text()
  assert html.count("data:image/png;base64,") == 3
  for name in ("density_vs_neurons", "regions_vs_neurons", "relu_vs_leaky"):
    assert (workdir / "figures" / f"{name}.png").stat().st_size > 20_000
  report = (workdir / "report.md").read_text()
  for fragment in ("**Question.**", "## Slopes of the density", "leaky02_changes_region_density",
                   "Verdict rule", "## Caveats", "## Summary", "this run took"):
    assert fragment in report
  assert (workdir / "slopes.csv").exists() and "all units ok" in out.stdout


def test_quick_run_trains(quick):
  results = pd.read_csv(quick[0] / "regions.csv")
  acc = results.groupby("step")["train_acc"].mean()
  assert acc.iloc[-1] > acc.iloc[0] + 0.05  # the checkpoints see training happen


def test_relu_and_leaky_share_one_hidden_layer_regions_at_init(quick):
  # Same seed = same initial weights; with one hidden layer the breakpoints are the same lines.
  results = pd.read_csv(quick[0] / "regions.csv")
  init = results[(results["step"] == 0) & (results["depth"] == 1)]
  by_act = {a: g.sort_values(["neurons", "seed"]) for a, g in init.groupby("activation")}
  relu = by_act.pop("relu")
  for leaky in by_act.values():
    np.testing.assert_array_equal(leaky["num_regions"].to_numpy(), relu["num_regions"].to_numpy())
    np.testing.assert_array_equal(leaky["density"].to_numpy(), relu["density"].to_numpy())


def _independent_regions_on_chord(kernels, biases, slope, p0, p1, samples=50_001):
  """Regions along p0 -> p1 from sign changes of every unit on a fine sampling (plain numpy)."""
  t = np.linspace(0.0, 1.0, samples)[:, None]
  a = p0 + t * (p1 - p0)
  signs = []
  for w, b in zip(kernels[:-1], biases[:-1]):
    z = a @ w + b
    signs.append(z >= 0)
    a = np.where(z >= 0, z, slope * z)
  pattern = np.concatenate(signs, 1)
  return 1 + int(np.any(pattern[1:] != pattern[:-1], axis=1).sum())


def test_quick_run_densities_at_init_match_an_independent_sampling(quick):
  # Step 0 is the engine's init, rebuilt here from each model's seed alone; its regions along the
  # study's chords, counted by sign changes on a fine sampling, must give the table's density.
  workdir, _ = quick
  c = get_config("quick")
  results = pd.read_csv(workdir / "regions.csv")
  lines = pd.read_csv(workdir / "lines.csv")
  p0, p1 = lines[["x0", "y0"]].to_numpy(), lines[["x1", "y1"]].to_numpy()
  checked = 0
  for _, row in results[results["step"] == 0].iterrows():
    act = parse_activation(row["activation"])
    spec = ModelSpec(2, (int(row["width"]),) * int(row["depth"]), 2, act, c.model.init)
    params, _ = init_model(spec, np.uint32(c.seed * 100_003 + int(row["seed"])), np.float32(act.slope))
    kernels, biases = [[np.asarray(a, np.float64) for a in part] for part in dense_weights(params)]
    counts = np.array([_independent_regions_on_chord(kernels, biases, act.slope, a, b) for a, b in zip(p0, p1)])
    assert row["density"] == pytest.approx(np.mean((counts - 1) / lines["length"].to_numpy()), rel=1e-9)
    assert row["regions_per_line"] == pytest.approx(counts.mean(), rel=1e-12)
    checked += 1
  assert checked == 24


def test_rerun_resumes_every_unit_with_the_same_rows(quick):
  # In process: a resumed run trains nothing, so it needs no compilation.
  workdir, _ = quick
  before = pd.read_csv(workdir / "regions.csv")
  c = get_config("quick")
  outcome = run_study(studies.get_study("linear_regions"), c, workdir, draw=False, progress=False)
  assert outcome.ok
  pd.testing.assert_frame_equal(pd.read_csv(workdir / "regions.csv"), before)
  assert json.loads((workdir / "config.json").read_text())["config"]["study"] == "linear_regions"
