"""The topology study: the layer_topology family on hand-made networks with known Betti numbers,
the counting of dropped runs, config validation, and the quick study end to end."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pandas as pd
import pytest
from flax import nnx

from configs.topology import get_config
from research import datasets
from research.activations import parse_activation
from research.metrics.family import EvalContext, known_column, metric_families
from research.metrics.layer_topology import column_names, topology_columns
from research.models import ModelSpec
from research.studies import fit as fitting
from research.studies import topology as study
from research.train import TrainResult

from helpers import assert_usage_error_before_compute, run_study_command


def hand_made_context(spec: ModelSpec, kernels, biases, instance, eval_fields: dict, *, seed=0,
                      train_acc=1.0) -> EvalContext:
  """An EvalContext of one model whose weights are set by hand (no training)."""
  model = spec.build(jax.random.key(0))
  for layer, k, b in zip([*model.hidden, model.head], kernels, biases):
    layer.kernel[...] = jnp.asarray(k, jnp.float32)
    layer.bias[...] = jnp.asarray(b, jnp.float32)
  _, params, rest = nnx.split(model, nnx.Param, ...)
  stack = lambda tree: jax.tree.map(lambda a: np.asarray(a)[None], tree)
  result = TrainResult(params=stack(params), rest=stack(rest), curves={}, diverged=np.array([False]),
                       diverged_step=np.array([-1]), final=dict(train_acc=np.array([train_acc])),
                       wall_time_s=0.0, compile_time_s=0.0)
  config = ml_collections.ConfigDict(dict(eval=dict(expensive_seeds=1, **eval_fields)))
  return EvalContext(config, spec, result, [dict(seed=seed)], [instance], np.array([0]),
                     np.zeros((0, 2)), (0, 0), {})


# Rings with a wide gap: |x| + |y| <= 1.5 sqrt(2) = 2.12 on the inner disk and >= 3.5 on the annulus.
RINGS = dict(num_train_per_class=300, num_test_per_class=10, radii=((0.0, 1.5), (3.5, 5.0)))
# Layer 1 = (relu(x), relu(-x), relu(y), relu(-y)): injective, so the topology of the input is kept.
# Layer 2 = |x| + |y|: each class becomes an interval. Head: |x| + |y| > 2.8 is the annulus.
KERNELS = [np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]]), np.ones((4, 1)), np.ones((1, 1))]
BIASES = [np.zeros(4), np.zeros(1), np.array([-2.8])]
EVAL = dict(betti_k=8, betti_scale=3.0, betti_max_points=400, betti_min_train_acc=0.0)


@pytest.fixture(scope="module")
def rings():
  return datasets.make_dataset("rings", jax.random.key(0), **RINGS)


def test_family_on_a_hand_made_network_of_known_topology(rings):
  spec = ModelSpec(2, (4, 1), 2, parse_activation("relu"), "he")
  ctx = hand_made_context(spec, KERNELS, BIASES, rings, EVAL)
  [m] = metric_families()["layer_topology"](ctx)
  assert set(m) == set(column_names(2, 3, 1))
  assert all(known_column(c, ["layer_topology"]) for c in m)  # declared to the registry
  # Predicted classes are the true ones here, so the input is the rings' (1, 0) and (1, 1).
  expected = {0: [(1, 0), (1, 1)], 1: [(1, 0), (1, 1)], 2: [(1, 0), (1, 0)]}
  for layer, per_class in expected.items():
    for c, betti in enumerate(per_class):
      assert (m[f"betti0_c{c}_l{layer}"], m[f"betti1_c{c}_l{layer}"]) == betti, (layer, c, m)
  assert m["layers_to_trivial_c0"] == 0 and m["layers_to_trivial_c1"] == 2
  assert m["layers_to_trivial"] == 2 and m["layers_to_trivial_capped"] == 2
  assert [m[f"betti_total_l{l}"] for l in range(3)] == [3, 3, 2]
  assert m["betti_total_mean"] == 2.5


def test_classes_are_the_predicted_ones(rings):
  # Shifting the head's threshold to 1.0 moves the inner disk's rim (|x| + |y| > 1) into class 1:
  # predicted class 1 is then the annulus plus a separate rim, no longer (1, 1).
  spec = ModelSpec(2, (4, 1), 2, parse_activation("relu"), "he")
  ctx = hand_made_context(spec, KERNELS, BIASES[:2] + [np.array([-1.0])], rings, EVAL)
  [m] = metric_families()["layer_topology"](ctx)
  assert (m["betti0_c1_l0"], m["betti1_c1_l0"]) != (1, 1)
  assert m["betti0_c0_l0"] == 1


def test_non_expensive_and_unfit_models_get_nan(rings):
  spec = ModelSpec(2, (4, 1), 2, parse_activation("relu"), "he")
  for ctx in (hand_made_context(spec, KERNELS, BIASES, rings, EVAL, seed=1),  # seed >= expensive_seeds
              hand_made_context(spec, KERNELS, BIASES, rings, dict(EVAL, betti_min_train_acc=1.0),
                                train_acc=0.99)):
    [m] = metric_families()["layer_topology"](ctx)
    assert set(m) == set(column_names(2, 3, 1))
    assert all(np.isnan(v) for v in m.values())


def test_b2_for_three_dimensional_input():
  rng = np.random.default_rng(0)
  sphere = rng.normal(size=(300, 3))
  sphere /= np.linalg.norm(sphere, axis=1, keepdims=True)
  ball = rng.normal(size=(300, 3))
  ball *= (rng.uniform(size=(300, 1)) ** (1 / 3)) / np.linalg.norm(ball, axis=1, keepdims=True)
  x = np.r_[sphere, ball + 5.0]
  labels = np.repeat([0, 1], 300)
  # Layer 1 keeps only the first coordinate: the sphere becomes an interval.
  m = topology_columns([x, x[:, :1]], labels, 2, 2, k=14, scale=3.0, max_points=None, seed=0)
  assert [m[f"betti{d}_c0_l0"] for d in range(3)] == [1, 0, 1]
  assert [m[f"betti{d}_c1_l0"] for d in range(3)] == [1, 0, 0]
  assert [m[f"betti{d}_c0_l1"] for d in range(3)] == [1, 0, 0]
  assert m["layers_to_trivial_c0"] == 1 and m["layers_to_trivial_c1"] == 0
  assert m["layers_to_trivial"] == 1


def test_a_lost_class_is_never_trivial():
  x = np.random.default_rng(0).uniform(size=(50, 2))
  m = topology_columns([x, x], np.zeros(50, int), 2, 1, k=8, scale=3.0, max_points=None, seed=0)
  assert m["betti0_c0_l0"] == 1 and np.isnan(m["betti0_c1_l0"])
  assert np.isnan(m["layers_to_trivial"]) and np.isnan(m["layers_to_trivial_capped"])
  assert np.isnan(m["betti_total_mean"])


def test_dropped_runs_are_counted_per_cell():
  results = pd.DataFrame(dict(
      dataset=["d1"] * 6 + ["d2"] * 2,
      activation=["relu", "relu", "relu", "tanh", "tanh", "tanh", "relu", "tanh"],
      width=25, depth=9,
      train_acc=[1.0, 0.9991, np.nan, 1.0, 1.0, 0.5, 1.0, 1.0],
      diverged=[False, False, True, False, False, False, False, False]))
  table = fitting.fit_table(results, 1.0).set_index(["dataset", "activation"])
  counts = ["runs", "diverged", "not_fit", "dropped", "kept"]
  assert table.loc[("d1", "relu"), counts].tolist() == [3, 1, 1, 2, 1]
  assert table.loc[("d1", "tanh"), counts].tolist() == [3, 0, 1, 1, 2]
  assert table.loc[("d2", "relu"), "kept"] == 1
  assert fitting.kept_runs(results, 1.0).index.tolist() == [0, 3, 4, 6, 7]
  assert len(fitting.kept_runs(results, 0.999)) == 6  # a documented threshold admits the 0.9991
  lines = fitting.dropped_caveats(fitting.fit_table(results, 1.0), 1.0)
  assert lines == ["relu: 2 of 4 runs dropped (1 with training accuracy below 1, 1 diverged)",
                   "tanh: 1 of 4 runs dropped (1 with training accuracy below 1, 0 diverged)"]


def test_betti_long_melts_every_betti_column():
  row = dict(dataset="d1", activation="relu", width=25, depth=1, seed=0, betti0_c0_l0=9.0,
             betti1_c0_l0=0.0, betti0_c1_l1=1.0, betti1_c1_l1=np.nan, layers_to_trivial_c0=np.nan)
  long = study.betti_long(pd.DataFrame([row]))
  assert sorted(zip(long["cls"], long["dim"], long["layer"], long["betti"])) == [
      (0, 0, 0, 9.0), (0, 1, 0, 0.0), (1, 0, 1, 1.0)]


@pytest.mark.parametrize("field,value,fragment", [
    ("eval.metrics", ("core",), "layer_topology"),
    ("eval.betti_k", 0, "betti_k"),
    ("eval.min_train_acc", 1.5, "min_train_acc"),
    ("model.activations", ("relu", "leakyrelu"), "valid activations"),
])
def test_bad_config_exits_2_with_one_line_before_compute(tmp_path, capsys, field, value, fragment):
  config = get_config("quick")
  section, name = field.split(".")
  config[section][name] = value
  assert_usage_error_before_compute(lambda: run_study_command("topology", config, tmp_path), capsys, tmp_path, fragment)


