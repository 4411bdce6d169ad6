"""Tests of the linear_regions study: checkpoints, chords, fits, validation, and the quick run."""

import json

import jax
import numpy as np
import pandas as pd
import pytest

from configs.linear_regions import get_config
from research.activations import leaky_family, parse_activation
from research.models import ModelSpec, dense_weights, init_model
from research import studies
from research.metrics.line_density import random_chords
from research.studies import linear_regions as L
from research.study import run_study
from research.model_batch import ModelBatch
from research.train import TrainSpec, train_models
from research.validation import ConfigError

from helpers import run_module


def _toy_data(n=32, instances=2):
  rng = np.random.default_rng(0)
  x = rng.uniform(-1, 1, size=(instances, n, 2)).astype(np.float32)
  y = ((x[..., 0] * x[..., 1]) > 0).astype(np.int32)
  return dict(x_train=x, y_train=y, x_test=x, y_test=y)


def test_checkpoints_equal_separate_engine_runs_bit_for_bit():
  # Checkpoint s of one run must be what train_models gives when run for s steps (the study's
  # schedules do not depend on the run length): then the study's step-s rows describe a run of s
  # steps, and step 0 is the engine's own init.
  spec = ModelSpec(2, (5, 3), 2, parse_activation("relu"), "he")  # a shape no other test uses
  batch = ModelBatch(seed=np.arange(3), activations=leaky_family([0.0, 0.2, 0.0]), lr=np.full(3, 0.05),
                     data_index=np.array([0, 1, 1]))
  spec_of = lambda steps: TrainSpec(num_steps=steps, eval_every_steps=10)
  data = _toy_data()
  result = train_models(spec, spec_of(30), data, batch, progress=False, checkpoint_steps=(0, 10))
  got = {step: params for step, (params, _) in result.checkpoints.items()} | {30: result.params}
  assert sorted(got) == [0, 10, 30]
  for steps in (10, 30):
    ref = train_models(spec, spec_of(steps), data, batch, progress=False).params
    for a, b in zip(jax.tree.leaves(got[steps]), jax.tree.leaves(ref)):
      np.testing.assert_array_equal(a, b)
  init, _ = init_model(spec, np.uint32(batch.seed[2]), np.float32(0.0))
  for a, b in zip(jax.tree.leaves(got[0]), jax.tree.leaves(init)):
    np.testing.assert_array_equal(a[2], np.asarray(b))
  moved = [np.abs(a - b).max() for a, b in zip(jax.tree.leaves(got[10]), jax.tree.leaves(got[30]))]
  assert max(moved) > 1e-3  # the checkpoints are different states, not one copied


def test_random_chords_span_the_box():
  domain = np.array([[-2.0, 3.0], [-1.0, 1.0]])
  p0, p1 = random_chords(domain, 50, seed=1)
  for p in (p0, p1):  # both ends on the boundary of the box
    inside = (p >= domain[:, 0] - 1e-9) & (p <= domain[:, 1] + 1e-9)
    on_edge = np.isclose(p, domain[:, 0]) | np.isclose(p, domain[:, 1])
    assert inside.all() and on_edge.any(1).all()
  assert (np.linalg.norm(p1 - p0, axis=1) > 0).all()
  again = random_chords(domain, 50, seed=1)
  np.testing.assert_array_equal(p0, again[0])


def test_fit_loglog_recovers_a_power_law_and_a_per_layer_rate():
  x = np.repeat([24.0, 48.0, 96.0, 192.0], 3)
  noise = np.tile([0.97, 1.0, 1.03], 4)
  fit = L.fit_loglog(x, 3.0 * x ** 1.5 * noise)
  assert abs(fit["slope"] - 1.5) < 1e-9 and fit["ci_low"] < 1.5 < fit["ci_high"] and fit["n"] == 12
  depth = np.repeat([1.0, 2.0, 4.0], 3)
  rate = L.fit_loglog(depth, 2.0 ** (0.5 * depth) * np.tile([0.97, 1.0, 1.03], 3), log_x=False)
  assert abs(rate["slope"] / np.log(2) - 0.5) < 1e-9
  assert np.isnan(L.fit_loglog([1.0, 2.0], [1.0, 2.0])["slope"])  # too few points


@pytest.mark.parametrize("field,value,fragment", [
    ("model.activations", ("relu", "leakyrelu"), "valid activations"),
    ("model.activations", ("relu", "tanh"), "piecewise linear"),
    ("model.activations", ("leaky_relu",), "explicit slope"),
    ("model.neurons", (24, 25), "divisible by every depth"),
    ("model.depths", (0,), "model.depths"),
    ("optim.schedule", "cosine", "shorter run"),
    ("eval.checkpoint_steps", (0, 150), "multiple of optim.eval_every_steps"),
    ("eval.checkpoint_steps", (0, 2000), "eval.checkpoint_steps"),
    ("eval.num_lines", 0, "eval.num_lines"),
    ("eval.metrics", ("line_density",), "region_count"),
    ("eval.metrics", ("line_density", "region_count", "exact_regions"), "both write"),
    ("data.names", ("d2",), "2-D"),
    ("data.names", ("spiral",), "valid data sets"),
])
def test_bad_config_values_raise_one_line(field, value, fragment):
  c = get_config()
  node, leaf = c, field
  if "." in field:
    parent, leaf = field.split(".")
    node = c[parent]
  node[leaf] = value
  with pytest.raises(ConfigError) as e:
    L.validate(c)
  message = str(e.value)
  assert fragment in message and "\n" not in message, message


def test_default_and_quick_configs_are_valid():
  L.validate(get_config())
  L.validate(get_config("quick"))


# ----------------------------------------------------------------------------- the quick run

def _run(*args, timeout=600):
  return run_module("experiments.linear_regions", *args, timeout=timeout)


@pytest.fixture(scope="module")
def quick(quick_runs):
  # The quick run tests/test_studies_quick.py checks too (one per test process, on one device):
  # nothing here depends on the device count.
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


def test_bad_flag_value_exits_2_with_one_line_before_any_work(tmp_path):
  out = _run("--config", "configs/linear_regions.py:quick", "--workdir", str(tmp_path),
             "--config.model.neurons=(8,9)", timeout=120)
  assert out.returncode == 2, (out.stdout, out.stderr)
  lines = [l for l in out.stderr.splitlines() if l.strip()]
  assert len(lines) == 1 and "model.neurons" in lines[0] and "divisible" in lines[0], out.stderr
  assert not (tmp_path / "units").exists()


def test_rerun_resumes_every_unit_with_the_same_rows(quick):
  # In process: a resumed run trains nothing, so it needs no compilation.
  workdir, _ = quick
  before = pd.read_csv(workdir / "regions.csv")
  c = get_config("quick")
  outcome = run_study(studies.get_study("linear_regions"), c, workdir, draw=False, progress=False)
  assert outcome.ok
  pd.testing.assert_frame_equal(pd.read_csv(workdir / "regions.csv"), before)
  assert json.loads((workdir / "config.json").read_text())["config"]["study"] == "linear_regions"
