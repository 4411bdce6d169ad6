"""The sparsity study: the probes family on hand-made networks, the layer and correlation tables,
config validation, and the quick study end to end."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pandas as pd
import pytest
from flax import nnx

from configs.sparsity import get_config
from research.activations import parse_activation
from research.datasets import Dataset
from research.metrics.family import EvalContext, known_column, metric_families
from research.metrics.layer_probes import column_names
from research.models import ModelSpec
from research.studies import sparsity as study
from research.train import TrainResult

from helpers import assert_usage_error_before_compute, run_study_command


def hand_made_context(spec: ModelSpec, kernels, biases, instance, *, seed=0) -> EvalContext:
  """An EvalContext of one model whose weights are set by hand (no training)."""
  model = spec.build(jax.random.key(0))
  for layer, k, b in zip([*model.hidden, model.head], kernels, biases):
    layer.kernel[...] = jnp.asarray(k, jnp.float32)
    layer.bias[...] = jnp.asarray(b, jnp.float32)
  _, params, rest = nnx.split(model, nnx.Param, ...)
  stack = lambda tree: jax.tree.map(lambda a: np.asarray(a)[None], tree)
  result = TrainResult(params=stack(params), rest=stack(rest), curves={}, diverged=np.array([False]),
                       diverged_step=np.array([-1]), final=dict(train_acc=np.array([1.0])),
                       wall_time_s=0.0, compile_time_s=0.0)
  config = ml_collections.ConfigDict(dict(eval=dict(expensive_seeds=1, collapse_tol=1e-6, rank_rtol=1e-4)))
  return EvalContext(config, spec, result, [dict(seed=seed)], [instance], np.array([0]),
                     np.zeros((0, 2)), (0, 0), {})


@pytest.fixture(scope="module")
def blobs() -> Dataset:
  """Two Gaussian blobs 6 standard deviations apart: linearly separable."""
  rng = np.random.default_rng(0)
  y = np.repeat([0, 1], 200).astype(np.int32)
  x = (rng.normal(0, 0.5, (400, 2)) + np.where(y[:, None] == 1, 3.0, -3.0)).astype(np.float32)
  return Dataset("blobs", x, y, x[:10], y[:10], 2, np.array([[-6.0, 6.0], [-6.0, 6.0]]), None)


def test_probes_on_separable_blobs_and_a_dead_layer(blobs):
  spec = ModelSpec(2, (3, 2), 2, parse_activation("relu"), "he")
  # Layer 1 passes x and y through (plus x + y); layer 2 is dead: every pre-activation is < 0.
  kernels = [np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]), np.ones((3, 2)), np.ones((2, 1))]
  biases = [np.full(3, 10.0), np.full(2, -100.0), np.zeros(1)]
  [m] = metric_families()["probes"](hand_made_context(spec, kernels, biases, blobs))
  assert set(m) == set(column_names(3))
  assert all(known_column(c, ["probes"]) for c in m)  # declared to the registry
  assert m["probe_acc_l0"] == 1.0 and m["collapse_l0"] == 0.0 and m["rank_l0"] == 2
  assert m["separation_l0"] > 3.0  # blobs ~8.5 apart, ~1 across
  # Layer 1 is affine on the data (x, y > -10): injective, rank 2 (the third unit is x + y).
  assert m["probe_acc_l1"] == 1.0 and m["collapse_l1"] == 0.0 and m["rank_l1"] == 2
  # The dead layer glues every input to 0: nothing is left to separate.
  assert m["collapse_l2"] == 1.0 and m["rank_l2"] == 0
  assert m["probe_acc_l2"] == 0.5  # the majority guess on a balanced split
  assert np.isnan(m["separation_l2"])
  quantities = ("probe_acc", "collapse", "rank", "separation")
  np.testing.assert_equal([m[f"{q}_last"] for q in quantities], [m[f"{q}_l2"] for q in quantities])


def test_probes_skip_models_outside_the_expensive_seeds(blobs):
  spec = ModelSpec(2, (3,), 2, parse_activation("relu"), "he")
  kernels = [np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]), np.ones((3, 1))]
  [m] = metric_families()["probes"](hand_made_context(spec, kernels, [np.zeros(3), np.zeros(1)],
                                                     blobs, seed=1))
  assert set(m) == set(column_names(2)) and all(np.isnan(v) for v in m.values())


def _results(**columns) -> pd.DataFrame:
  base = dict(dataset="spirals", activation="relu", width=4, depth=2, seed=0, diverged=False,
              train_acc=1.0, test_acc=1.0, inactive_fraction=0.5, dead_fraction=0.0,
              hoyer_sparsity=0.3, probe_acc_last=0.9, collapse_last=0.0)
  return pd.DataFrame([dict(base, **columns)])


def test_layer_table_aligns_core_and_probe_layer_indices():
  quantities = ("probe_acc", "collapse", "rank", "separation")
  row = _results(inactive_fraction_l0=0.1, inactive_fraction_l1=0.2, dead_fraction_l0=0.0,
                 dead_fraction_l1=0.5, **{f"{q}_l{l}": float(10 * l + i) for l in range(3)
                                          for i, q in enumerate(quantities)})
  layers = study.layer_table(row).set_index("layer")
  assert list(layers.index) == [0, 1, 2]
  assert np.isnan(layers.loc[0, "inactive_fraction"])  # the input has no units
  # Hidden layer h is the core family's _l{h-1} and the probes family's _l{h}.
  assert layers.loc[1, "inactive_fraction"] == 0.1 and layers.loc[1, "probe_acc"] == 10.0
  assert layers.loc[2, "dead_fraction"] == 0.5 and layers.loc[2, "collapse"] == 21.0
  models = study.model_table(row, study.layer_table(row))
  assert models.loc[0, "probe_acc_hidden_mean"] == 15.0  # mean of hidden layers 1 and 2


def test_layer_table_drops_diverged_models():
  rows = pd.concat([_results(seed=0, probe_acc_l0=1.0), _results(seed=1, diverged=True, probe_acc_l0=1.0)])
  assert set(study.layer_table(rows)["seed"]) == {0}


def test_spearman_signs_and_degenerate_cases():
  x = np.arange(10.0)
  assert study.spearman(x, x ** 3)[0] == pytest.approx(1.0)
  assert study.spearman(x, -x)[0] == pytest.approx(-1.0)
  assert np.isnan(study.spearman(x, np.ones(10))[0])  # every probe at the same accuracy
  assert np.isnan(study.spearman(x[:2], x[:2])[0])
  rho, _ = study.spearman(np.r_[x, np.nan], np.r_[x, 5.0])  # NaN pairs are left out
  assert rho == pytest.approx(1.0)


def test_spearman_table_per_activation_and_pooled():
  rng = np.random.default_rng(0)
  n = 8
  models = pd.DataFrame(dict(
      dataset="rings", activation=np.repeat(["relu", "tanh"], n), seed=np.tile(np.arange(n), 2),
      inactive_fraction=np.r_[np.linspace(0.4, 0.6, n), np.linspace(0.4, 0.6, n)],
      hoyer_sparsity=rng.uniform(size=2 * n),
      probe_acc_hidden_mean=np.r_[np.linspace(0.7, 0.9, n), np.linspace(0.9, 0.7, n)],
      probe_acc_last=1.0))
  layers = pd.DataFrame(dict(dataset="rings", activation="relu", seed=0, layer=[0, 1, 2],
                             inactive_fraction=[np.nan, 0.2, 0.4], probe_acc=[0.5, 0.6, 0.9]))
  table = study.spearman_table(models, layers)
  by = table.set_index(["over", "sparsity", "separability", "activation"])["rho"]
  key = ("models", "inactive_fraction", "probe_acc_hidden_mean")
  assert by[(*key, "relu")] == pytest.approx(1.0) and by[(*key, "tanh")] == pytest.approx(-1.0)
  assert abs(by[(*key, "all pooled")]) < 0.2  # the two trends cancel when pooled
  assert np.isnan(by[("models", "inactive_fraction", "probe_acc_last", "relu")])  # constant probe
  pairs = table[table["over"] == "(model, hidden layer) pairs"].set_index("activation")
  assert pairs.loc["relu", "n"] == 2  # the input layer is not a hidden layer
  wide = study.spearman_wide(table)  # the report's view: one row per data set and activation
  assert wide["activation"].tolist() == ["relu", "tanh", "all pooled"]
  assert wide.iloc[0, 2] == f"+1.00 (p 0, n {n})" and wide.shape[1] == 2 + len(study.CORRELATIONS)


@pytest.mark.parametrize("field,value,fragment", [
    ("eval.metrics", ("core",), "probes"),
    ("eval.collapse_tol", -1.0, "collapse_tol"),
    ("model.activations", ("relu", "leakyrelu"), "valid activations"),
])
def test_bad_config_exits_2_with_one_line_before_compute(tmp_path, capsys, field, value, fragment):
  config = get_config("quick")
  section, name = field.split(".")
  config[section][name] = value
  assert_usage_error_before_compute(lambda: run_study_command("sparsity", config, tmp_path), capsys, tmp_path, fragment)


