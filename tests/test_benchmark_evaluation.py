"""The benchmark's grid pass (research.benchmark.evaluation.grid_metrics) against a numpy forward
pass: distinct activation patterns, inactive and dead fractions and agreement with the truth, for
models sharded over the fake devices (tests/conftest.py: 4), padded, in tiles, several per tile."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from research.benchmark import evaluation as E
from research.benchmark.workloads import Workload, initial_models
from research.metrics import boundary
from research.models import dense_weights, graphdef_of

W = Workload(name="tiny", points=16, widths=(8, 8), steps=1, slopes=(0.0, 0.2), seeds_per_slope=3,
             lr=1e-3, eval_every_steps=1, timed_steps=1, sequential_models=1)
RESOLUTION = 24  # 576 points: tiles of 96 (576 / 96 = 6 tiles per model)


def _numpy_metrics(kernels, biases, slope, grid, truth):
  """The same four metrics from a float64 forward pass, one model, no tiling."""
  z, pre = grid.astype(np.float64), []
  for k, b in zip(kernels[:-1], biases[:-1]):
    z = z @ k + b
    pre.append(z)
    z = np.where(z >= 0, z, slope * z)
  logit = (z @ kernels[-1] + biases[-1])[:, 0]
  pattern = np.concatenate([p >= 0 for p in pre], axis=1)
  return dict(patterns=len(np.unique(pattern, axis=0)),
              inactive=[np.mean(p <= 0) for p in pre],
              dead=[np.mean((p <= 0).all(0)) for p in pre],
              agreeing=int(np.sum((logit > 0).astype(int) == truth)))


@pytest.fixture(scope="module")
def models_and_grid():
  batch = W.batch(0)  # 6 models: 3 seeds x 2 slopes
  params, rest = initial_models(W, batch, np.arange(6))
  domain = np.array([[-1.5, 1.5], [-1.5, 1.5]])
  grid, shape = boundary.make_grid(domain, RESOLUTION)
  truth = (grid[:, 0] * grid[:, 1] > 0).astype(np.int32)  # xor quadrants: some agree, some not
  return batch, params, rest, grid, shape, truth


@pytest.mark.parametrize("models_per_tile", [1, 2])  # 6 models on 4 devices: padded to 8 / 16
def test_grid_metrics_equal_a_numpy_forward_pass(models_and_grid, models_per_tile):
  batch, params, rest, grid, shape, truth = models_and_grid
  assert len(jax.devices()) == 4  # the sharded path, with pads on every layout
  out = jax.device_get(E.grid_metrics(
      params, rest, jnp.asarray(grid, jnp.float32), jnp.asarray(truth), graphdef=graphdef_of(W.spec()),
      models_per_tile=models_per_tile, tile_points=E.tile_size(len(grid), 100), row_length=shape[1]))
  assert out["patterns"].shape == (6,)
  for i in range(6):
    kernels, biases = dense_weights(jax.tree.map(lambda a: np.asarray(a[i], np.float64), params))
    want = _numpy_metrics(kernels, biases, float(batch.slope[i]), grid, truth)
    assert int(out["patterns"][i]) == want["patterns"], i
    np.testing.assert_allclose(out["inactive"][i], want["inactive"], rtol=1e-6)
    np.testing.assert_allclose(out["dead"][i], want["dead"], rtol=1e-6)
    # agreement is a float32 fraction of the points: the count it stands for, exactly.
    assert round(float(out["agreement"][i]) * len(grid)) == want["agreeing"], i
  # The metrics vary over the models: a result copied from one model (or a pad) would be caught.
  assert len(set(out["patterns"].tolist())) > 1


def test_tile_size_divides_the_points():
  assert E.tile_size(576, 100) == 96 and E.tile_size(1024**2, 4096) == 4096 and E.tile_size(7, 4) == 1
