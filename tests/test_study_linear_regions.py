"""Tests of the linear_regions study: checkpoints, chords, fits, validation, and the command; its quick
run's checks are in tests/test_studies_quick.py, which makes that run."""

import jax
import numpy as np
import pytest

from configs.linear_regions import get_config
from research.activations import leaky_family, parse_activation
from research.models import ModelSpec, init_model
from research.metrics.line_density import random_chords
from research.studies import linear_regions as L
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


# ----------------------------------------------------------------------------- the command

def _run(*args, timeout=600):
  return run_module("experiments.linear_regions", *args, timeout=timeout)


def test_bad_flag_value_exits_2_with_one_line_before_any_work(tmp_path):
  out = _run("--config", "configs/linear_regions.py:quick", "--workdir", str(tmp_path),
             "--config.model.neurons=(8,9)", timeout=120)
  assert out.returncode == 2, (out.stdout, out.stderr)
  lines = [l for l in out.stderr.splitlines() if l.strip()]
  assert len(lines) == 1 and "model.neurons" in lines[0] and "divisible" in lines[0], out.stderr
  assert not (tmp_path / "units").exists()
