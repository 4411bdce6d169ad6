"""Per-layer activations (`relu+leaky_relu:0.2`): specs, models, the engine, exact regions, errors;
and the slope given twice (ModelBatch)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from flax import nnx

from research import sweep
from research.activations import LayerActivations, layers_of, parse_activation
from research.metrics import edge_subdivision as ES
from research.metrics import pwl_networks as N
from research.metrics import regions as R
from research.model_batch import ModelBatch
from research.models import MLP, dense_weights, graphdef_of
from research.validation import ConfigError, validate_study_config
from test_regions import _grid, _inradius_lower_bound, _net
from test_sweep import tiny_config

MIXED = "relu+leaky_relu:0.2"


# ----------------------------------------------------------------------------- specs

@pytest.mark.parametrize("spec,canonical,family", [
    ("relu+leaky_relu:0.20+tanh", "relu+leaky_relu:0.2+tanh", "leaky+leaky+tanh"),
    ("leaky_relu:0.1+relu", "leaky_relu:0.1+relu", "leaky+leaky"),
    ("relu+relu", "relu+relu", "leaky+leaky"),
    ("prelu:0.25+hard_tanh", "prelu:0.25+hard_tanh", "prelu+hard_tanh"),
])
def test_per_layer_specs_parse_and_round_trip(spec, canonical, family):
  act = parse_activation(spec)
  assert isinstance(act, LayerActivations)
  assert act.spec == canonical and parse_activation(act.spec) == act
  assert act.family == family
  assert [a.spec for a in act.layers] == canonical.split("+")
  assert act.slopes == tuple(parse_activation(s).slope for s in canonical.split("+"))


def test_plain_specs_are_unchanged_and_fit_any_depth():
  relu = parse_activation("relu")
  assert relu.family == "leaky" and relu.spec == "relu"  # not a LayerActivations
  assert layers_of(relu, 3) == (relu,) * 3
  assert parse_activation(MIXED).slope != parse_activation(MIXED).slope  # NaN: slopes differ
  assert parse_activation("leaky_relu:0.1+leaky_relu:0.1").slope == pytest.approx(0.1)


@pytest.mark.parametrize("spec,fragment", [
    ("relu+", "empty layer"), ("+relu", "empty layer"), ("relu++tanh", "empty layer"),
    ("relu+leakyrelu", "valid activations"), ("relu+leaky_relu", "explicit slope"),
    ("relu+tanh:0.1", "takes no ':' argument"),
])
def test_bad_per_layer_specs_raise(spec, fragment):
  with pytest.raises(ValueError, match=fragment):
    parse_activation(spec)


def test_wrong_number_of_layers_raises_for_the_model():
  with pytest.raises(ValueError, match="has 2 layers but the net has depth 3"):
    layers_of(parse_activation(MIXED), 3)
  with pytest.raises(ValueError, match="depth 3"):
    MLP(2, (4, 4, 4), 2, parse_activation(MIXED), "he", rngs=nnx.Rngs(params=0))


def test_wrong_count_is_a_one_line_config_error_naming_field_value_and_depth():
  c = tiny_config()
  c.model.activations = ("relu", "relu+tanh+relu")
  c.model.depths = (2,)
  with pytest.raises(ConfigError) as e:
    validate_study_config(c)
  msg = str(e.value)
  assert "\n" not in msg
  for part in ("config.model.activations", "'relu+tanh+relu'", "3 per-layer", "depths = (2,)", "'+'"):
    assert part in msg, msg
  c.model.activations = ("relu+tanh",)
  c.model.depths = (2, 3)  # one spec must fit every depth of the grid
  with pytest.raises(ConfigError, match=r"depths = \(2, 3\)"):
    validate_study_config(c)


# ----------------------------------------------------------------------------- the model

def _numpy_forward(model: MLP, act, x):
  """Independent float64 forward pass: each layer's own function from its own spec."""
  kernels, biases = dense_weights(nnx.state(model, nnx.Param))
  a = np.asarray(x, np.float64)
  fns = {"relu": lambda z, s: np.maximum(z, 0), "leaky_relu": lambda z, s: np.where(z >= 0, z, s * z),
         "tanh": lambda z, s: np.tanh(z)}
  for k, b, layer in zip(kernels[:-1], biases[:-1], act.layers):
    a = fns[layer.name](a @ np.asarray(k, np.float64) + np.asarray(b, np.float64), layer.slope)
  return a @ np.asarray(kernels[-1], np.float64) + np.asarray(biases[-1], np.float64)


@pytest.mark.parametrize("spec", ["relu+leaky_relu:0.2+tanh", "tanh+relu+leaky_relu:0.5"])
def test_each_layer_computes_its_own_activation(spec):
  act = parse_activation(spec)
  model = MLP(2, (5, 5, 5), 2, act, "he", rngs=nnx.Rngs(params=3))
  x = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
  logits, inter = model(jnp.asarray(x))
  np.testing.assert_allclose(np.asarray(logits), _numpy_forward(model, act, x), rtol=1e-4, atol=1e-5)
  # A layer of another activation would give other values: the check above is not vacuous.
  uniform = MLP(2, (5, 5, 5), 2, parse_activation("relu"), "he", rngs=nnx.Rngs(params=3))
  assert not np.allclose(np.asarray(uniform(jnp.asarray(x))[0]), np.asarray(logits), atol=1e-3)
  assert len(inter["pre"]) == 3


def test_relu_per_layer_is_the_plain_relu_net():
  x = jnp.asarray(np.random.default_rng(1).normal(size=(32, 2)), jnp.float32)
  plain = MLP(2, (6, 6), 2, parse_activation("relu"), "he", rngs=nnx.Rngs(params=5))
  layered = MLP(2, (6, 6), 2, parse_activation("relu+relu"), "he", rngs=nnx.Rngs(params=5))
  np.testing.assert_array_equal(np.asarray(plain(x)[0]), np.asarray(layered(x)[0]))


# ----------------------------------------------------------------------------- the slope given twice

def test_model_batch_takes_the_slope_from_the_specs_only():
  batch = ModelBatch(seed=np.arange(2), activations=["relu", "leaky_relu:0.2"], lr=np.full(2, 0.1),
                     data_index=np.zeros(2, int))
  np.testing.assert_array_equal(batch.slope, np.float32([0.0, 0.2]))
  with pytest.raises(ValueError) as e:
    ModelBatch(seed=np.arange(2), activations=["leaky_relu:0.2"] * 2, lr=np.full(2, 0.1),
               data_index=np.zeros(2, int), slope=np.full(2, 0.1))
  msg = str(e.value)
  assert "\n" not in msg and "slope given twice" in msg
  assert "leaky_relu:0.1" in msg and "leaky_family" in msg  # the valid forms


def test_model_batch_of_per_layer_specs_has_one_slope_per_layer():
  batch = ModelBatch(seed=np.arange(2), activations=[MIXED, "leaky_relu:0.1+relu"], lr=np.full(2, 0.1),
                     data_index=np.zeros(2, int))
  np.testing.assert_array_equal(batch.slope, np.float32([[0.0, 0.2], [0.1, 0.0]]))
  with pytest.raises(ValueError, match="family"):
    batch.check_family(parse_activation("relu"))


# ----------------------------------------------------------------------------- the engine

def test_per_layer_units_train_and_their_rows_are_the_trained_models(tmp_path):
  c = tiny_config()
  c.data.names = ("xor",)
  c.model.activations = ("relu", MIXED, "leaky_relu:0.1+relu", "relu+tanh")
  c.eval.metrics = ("core", "exact_regions")
  c.eval.expensive_seeds = 1
  units = sweep.plan_units(c)
  # One compiled unit per graph: plain relu alone, the two leaky+leaky nets together, relu+tanh.
  assert [(u.family, [a.spec for a in u.activations]) for u in units] == [
      ("leaky", ["relu"]), ("leaky+leaky", [MIXED, "leaky_relu:0.1+relu"]), ("leaky+tanh", ["relu+tanh"])]
  summary = sweep.run_sweep(c, tmp_path, progress=False)
  assert summary.failed_units == []
  results = pd.read_csv(tmp_path / "results.csv")
  assert list(results["activation"].unique()) == list(c.model.activations)
  assert (results.loc[results["activation"] == "relu+tanh", "family"] == "leaky+tanh").all()
  # Recompute test accuracy from the stored weights with an independent numpy forward pass per
  # layer spec: the rows describe models trained with each of their own layers' slopes.
  from research.store import Store
  store = Store(tmp_path, c.to_dict(), overwrite=False)
  try:
    for unit in sweep.stored_units(c, store):
      batch, rows = sweep.unit_models(c, unit)
      data = sweep.make_data(c, unit.dataset)
      spec = sweep.model_spec(c, unit, data)
      params, rest = sweep.restore_weights(spec, batch, store.read_arrays(sweep.unit_hash(c, unit)), "final")
      for i, row in enumerate(rows):
        act = parse_activation(row["activation"])
        model = nnx.merge(graphdef_of(spec), jax.tree.map(lambda a: a[i], params),
                          jax.tree.map(lambda a: a[i], rest))
        d = data[row["seed"]]
        if isinstance(act, LayerActivations):
          logits = _numpy_forward(model, act, d.x_test)
        else:
          logits = np.asarray(model(jnp.asarray(d.x_test))[0], np.float64)
        acc = ((logits[:, 0] > 0) == d.y_test).mean()
        stored = results[(results["activation"] == row["activation"]) & (results["seed"] == row["seed"])]
        assert acc == pytest.approx(float(stored["test_acc"].iloc[0]), abs=1.5 / len(d.y_test))
  finally:
    store.release()
  # Exact regions where every layer is piecewise linear, "not piecewise linear" for a tanh layer.
  first = results[results["seed"] == 0].set_index("activation")
  assert np.isfinite(first.loc[MIXED, "num_regions"]) and first.loc[MIXED, "num_regions"] > 1
  assert np.isnan(first.loc["relu+tanh", "num_regions"])
  assert np.isfinite(first.loc[MIXED, "num_patterns_grid"])


# ----------------------------------------------------------------------------- exact regions

def _grid_patterns(ws, bs, pieces, n, dom):
  """Distinct activation patterns on an (n+1)^2 grid: brute force, from forward_numpy."""
  _, pats = N.forward_numpy(ws, bs, pieces, _grid(*dom, n), return_patterns=True)
  return len(np.unique(pats, axis=0))


def test_mixed_relu_leaky_counts_match_brute_force():
  dom = (-2.0, 2.0)
  # The first layer's slope shapes the second layer's cuts (the last hidden layer's activation
  # does not move any cut), so the leaky layer goes first.
  spec = "leaky_relu:0.2+relu"
  pieces = N.to_pwl(spec)
  assert isinstance(pieces, tuple) and len(pieces) == 2
  # Seed 7 of test_regions' nets (the first of seeds 0-39 where this holds): every region of this
  # mixed net is thicker than the finest grid's half-diagonal (checked below), so the brute-force
  # grid count must reach the exact one.
  ws, bs = _net(7, (2, 6, 6, 1))
  reg = R.enumerate_regions(ws, bs, spec, np.array([dom, dom]))
  h = (dom[1] - dom[0]) / 1024
  assert min(_inradius_lower_bound(p) for p in reg.polygons) > h / math.sqrt(2)
  counts = [_grid_patterns(ws, bs, pieces, n, dom) for n in (64, 1024)]
  assert counts[0] < counts[1] == reg.num_regions
  # The other exact algorithm (edge subdivision) agrees.
  assert ES.count_regions_fast(ws, bs, spec, np.array([dom, dom])) == reg.num_regions
  # The layers' own slopes matter (so the checks are not vacuous): with ReLU in the first layer
  # too the square is tiled otherwise; with LeakyReLU in the last layer too it is tiled the same
  # (the last hidden layer cuts by its pre-activations, whatever comes after) but the maps differ.
  relu_all = R.enumerate_regions(ws, bs, "relu", np.array([dom, dom]))
  assert relu_all.num_regions != reg.num_regions
  leaky_all = R.enumerate_regions(ws, bs, "leaky_relu:0.2", np.array([dom, dom]))
  np.testing.assert_allclose(np.sort(leaky_all.areas), np.sort(reg.areas), rtol=1e-9)
  # Each region's affine map is the per-layer forward pass at points inside it.
  rng = np.random.default_rng(0)
  uv = np.concatenate([rng.dirichlet(np.ones(len(p)), 3) @ p for p in reg.polygons])
  want = N.forward_numpy(ws, bs, pieces, uv)
  got = np.einsum("rk,rkd->rd", uv, np.repeat(reg.affine_A, 3, 0)) + np.repeat(reg.affine_c, 3, 0)
  np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
  assert not np.allclose(N.forward_numpy(ws, bs, N.to_pwl("leaky_relu:0.2"), uv), want, atol=1e-3)


def test_smooth_layer_gives_nan_with_reason():
  ws, bs = _net(2, (2, 4, 4, 1))
  count, reason = R.region_count_or_nan(ws, bs, "relu+tanh", np.array([[-1.0, 1.0], [-1.0, 1.0]]))
  assert math.isnan(count) and "not piecewise linear" in reason and "relu+tanh" in reason
  assert N.to_pwl("relu+tanh") is None and not N.regions_defined("relu+tanh")


def test_pattern_count_of_a_mixed_net_is_its_distinct_patterns():
  from research.metrics import activation_patterns as AP
  ws, bs = _net(3, (2, 5, 5, 1))
  x = _grid(-2.0, 2.0, 64)
  pieces = N.to_pwl("leaky_relu:0.2+relu")
  _, pats = N.forward_numpy(ws, bs, pieces, x, return_patterns=True)
  zs, a = [], x
  for w, b, layer in zip(ws[:-1], bs[:-1], pieces):
    zs.append(a @ w + b)
    a = layer(zs[-1])
  count, reason = AP.count_patterns_or_nan(tuple(jnp.asarray(z, jnp.float32) for z in zs), "leaky_relu:0.2+relu")
  assert reason == "" and int(count) == len(np.unique(pats, axis=0)) > 1
  count, reason = AP.count_patterns_or_nan(tuple(jnp.asarray(z, jnp.float32) for z in zs), "relu+hard_tanh")
  assert np.isnan(count) and "different breakpoints" in reason
