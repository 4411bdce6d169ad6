"""Numeric precision as a sweep factor (config.model.dtypes): validation, pairing across precisions
(same initial weights and data), bfloat16 really trained in bfloat16, float32 unchanged by
jax_enable_x64, and the precision study through the public runner."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from configs.precision import get_config
from helpers import run_module
from research import studies, sweep
from research.activations import parse_activation
from research.model_batch import ModelBatch
from research.models import INITIALISERS, ModelSpec, forward, graphdef_of
from research.store import Store
from research.study import run_study
from research.train import TrainSpec, init_batch, train_models
from research.validation import ConfigError, validate_study_config

TRAIN = TrainSpec(num_steps=60, eval_every_steps=30)


def toy_data(n=48, instances=2, seed=0):
  rng = np.random.default_rng(seed)
  x = rng.uniform(-1, 1, size=(instances, n, 2)).astype(np.float32)
  y = ((x[..., 0] * x[..., 1]) > 0).astype(np.int32)
  return dict(x_train=x, y_train=y, x_test=x[:, ::-1].copy(), y_test=y[:, ::-1].copy())


def spec_of(act="tanh", dtype="float32", init="he"):
  return ModelSpec(2, (6, 5), 2, parse_activation(act), init, dtype)


def batch_of(act, m=4):
  return ModelBatch(seed=np.arange(m), activations=[act] * m, lr=np.full(m, 0.01), data_index=np.arange(m) % 2)


def initial_params(spec, m=4):
  seed, slope = np.arange(m, dtype=np.uint32), np.zeros(m, np.float32)
  return jax.tree.leaves(jax.device_get(init_batch(seed, slope, spec=spec, train_spec=TRAIN)[:2]))


# ----------------------------------------------------------------------------- config

@pytest.mark.parametrize("value, fragment", [(("float16",), "'float16' is invalid: valid precisions: "
                                              "float64, float32, bfloat16"),
                                             (("float32", "float32"), "at most once"),
                                             ((), "non-empty"), (("float32", 64), "= 64 is invalid")])
def test_bad_dtypes_raise_one_line_naming_the_field(value, fragment):
  c = get_config("quick")
  c.model.dtypes = value
  with pytest.raises(ConfigError) as e:
    validate_study_config(c)
  assert "config.model.dtypes" in str(e.value) and fragment in str(e.value), str(e.value)
  assert "\n" not in str(e.value)


def test_bad_dtype_on_the_command_line_exits_2_before_any_work(tmp_path):
  out = run_module("experiments.precision", "--config", "configs/precision.py:quick",
                   "--config.model.dtypes=('float16',)", "--workdir", str(tmp_path / "w"))
  lines = [l for l in out.stderr.splitlines() if l.strip()]
  assert out.returncode == 2 and len(lines) == 1, out.stderr
  assert "config.model.dtypes" in lines[0] and "float16" in lines[0] and "bfloat16" in lines[0]
  assert not (tmp_path / "w").exists()


def test_float32_units_keep_their_block_key_and_old_records_read_as_float32():
  c = get_config("quick")
  c.model.dtypes = ("float32", "bfloat16")
  units = sweep.plan_units(c)
  assert [u.dtype for u in units] == ["float32", "bfloat16"] * (len(units) // 2)
  f32, bf16 = units[0], units[1]
  without = get_config("quick")
  del without.model["dtypes"]  # a config from before precision was a factor
  assert sweep.block_key(c, f32) == sweep.block_key(without, dataclasses.replace(f32))
  assert sweep.block_key(c, bf16) != sweep.block_key(c, f32)
  record = dict(dataset=f32.dataset, width=f32.width, depth=f32.depth, seeds=list(f32.seeds),
                activations=[a.spec for a in f32.activations])
  assert sweep.unit_of_record(record) == f32  # no dtype key: computed in float32


# ----------------------------------------------------------------------------- pairing and training

@pytest.mark.parametrize("init", sorted(INITIALISERS))
def test_every_precision_starts_from_the_same_weights(init):
  f32 = initial_params(spec_of(init=init))
  with jax.enable_x64(True):
    f64 = initial_params(spec_of(init=init, dtype="float64"))
    f32_with_x64 = initial_params(spec_of(init=init))
  bf16 = initial_params(spec_of(init=init, dtype="bfloat16"))
  for a, b, c, d in zip(f32, f64, f32_with_x64, bf16):
    assert a.dtype == np.float32 and b.dtype == np.float64 and c.dtype == np.float32
    assert d.dtype == jnp.bfloat16
    np.testing.assert_array_equal(b, a.astype(np.float64))  # exact
    np.testing.assert_array_equal(c, a)  # the draws do not depend on x64
    np.testing.assert_array_equal(d, a.astype(jnp.bfloat16))  # float32 rounded to bfloat16
  assert any(not np.array_equal(d.astype(np.float32), a) for a, d in zip(f32, bf16))  # it did round


def test_bfloat16_models_train_and_compute_in_bfloat16():
  spec = spec_of("leaky_relu:0.01", "bfloat16")
  result = train_models(spec, TRAIN, toy_data(), batch_of("leaky_relu:0.01"), progress=False)
  assert {l.dtype for l in jax.tree.leaves((result.params, result.rest))} == {jnp.dtype(jnp.bfloat16)}
  one = jax.tree.map(lambda a: a[0], (result.params, result.rest))
  logits, inter = forward(graphdef_of(spec), *one, jnp.asarray(toy_data()["x_train"][0]))  # float32 points
  assert logits.dtype == jnp.bfloat16 and all(a.dtype == jnp.bfloat16 for a in inter["pre"] + inter["act"])
  assert not result.diverged.any() and result.curves["train_loss"].dtype == np.float32  # widened for the host
  float32 = train_models(spec_of("leaky_relu:0.01"), TRAIN, toy_data(), batch_of("leaky_relu:0.01"), progress=False)
  assert not np.array_equal(result.curves["train_loss"], float32.curves["train_loss"])  # it is another precision


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_float32_training_is_identical_with_x64_on(act):
  """The engine runs float32 models with x64 off whatever the caller's setting (with x64 on, Adam's
  bias correction would be rounded from float64 and the losses would differ in the 6th digit)."""
  off = train_models(spec_of(act), TRAIN, toy_data(), batch_of(act), progress=False)
  with jax.enable_x64(True):
    on = train_models(spec_of(act), TRAIN, toy_data(), batch_of(act), progress=False)
    f64 = train_models(spec_of(act, "float64"), TRAIN, toy_data(), batch_of(act), progress=False)
  for k in ("train_loss", "test_loss", "train_acc", "test_acc"):
    np.testing.assert_array_equal(on.curves[k], off.curves[k])
  for a, b in zip(jax.tree.leaves(on.params), jax.tree.leaves(off.params)):
    np.testing.assert_array_equal(a, b)
  assert {l.dtype for l in jax.tree.leaves(f64.params)} == {np.dtype(np.float64)}
  # float64 from the same start: close to float32 over 60 steps, but not the same numbers.
  np.testing.assert_allclose(f64.curves["train_loss"], off.curves["train_loss"], rtol=1e-3)
  assert not np.array_equal(f64.curves["train_loss"], off.curves["train_loss"].astype(np.float64))


# ----------------------------------------------------------------------------- the study

def test_precision_study_through_the_runner(tmp_path):
  c = get_config("quick")
  c.model.activations = ("tanh",)  # three units: every precision of one smooth activation
  c.optim.num_steps, c.optim.eval_every_steps, c.eval.grid_resolution = 50, 25, 32
  outcome = run_study(studies.get_study("precision"), c, tmp_path, progress=False)
  assert outcome.ok
  results = pd.read_csv(tmp_path / "results.csv")
  assert list(results["dtype"].drop_duplicates()) == ["float64", "float32", "bfloat16"]
  assert len(results) == 3 * c.num_seeds and results["num_regions"].isna().all()  # tanh: no linear pieces
  cells = pd.read_csv(tmp_path / "precision_cells.csv")
  assert list(cells["dtype"]) == ["float64", "float32", "bfloat16"] and (cells["n"] == c.num_seeds).all()
  report = (tmp_path / "report.md").read_text()
  for name in ("smooth_separates_by_rounding", "bfloat16_separates_better"):
    assert f"- `{name}`: **" in report, name  # a verdict line (INCONCLUSIVE at 3 seeds)
  assert (tmp_path / "figures" / "precision_accuracy.png").stat().st_size > 10_000
  # bfloat16 weights survive the store (saved widened to float32) and come back as trained.
  store = Store(tmp_path, None)
  unit = [u for u in sweep.stored_units(c, store) if u.dtype == "bfloat16"][0]
  arrays = store.read_arrays(sweep.unit_hash(c, unit))
  batch, _ = sweep.unit_models(c, unit)
  params, _ = sweep.restore_weights(sweep.model_spec(c, unit, sweep.make_data(c, unit.dataset)), batch,
                                    arrays, "final")
  leaves = jax.tree.leaves(params)
  assert {l.dtype for l in leaves} == {jnp.dtype(jnp.bfloat16)}
  np.testing.assert_array_equal(leaves[0].astype(np.float32), arrays["weights_final_0"])
