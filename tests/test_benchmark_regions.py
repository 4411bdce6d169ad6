"""Tests of research.benchmark.regions: the exact region counting benchmark on tiny models."""

import math

import numpy as np
import pytest

from research.benchmark import regions as BR
from research.benchmark.workloads import Workload, initial_models
from research.metrics import edge_subdivision, regions

DOM = np.array([[-1.0, 1.0], [-1.0, 1.0]])


def _model(seed: int, spec: str, zero_biases: bool = False) -> BR.RegionModel:
  rng = np.random.default_rng(seed)
  sizes = (2, 8, 8, 1)
  ws = [rng.normal(0, math.sqrt(2 / a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
  bs = [np.zeros(b) if zero_biases else rng.normal(0, 0.5, b) for b in sizes[1:]]
  return BR.RegionModel(tuple(ws), tuple(bs), spec)


MODELS = [_model(0, "relu"), _model(1, "leaky_relu:0.1"),
          _model(2, "leaky_relu:0.2", zero_biases=True)]  # every first-layer line through 0


def test_row_counts_rates_and_the_pool():
  row, line = BR.run_region_counting(MODELS, DOM, count_models=7, workers=2, repetitions=2)
  want = [regions.enumerate_regions(m.kernels, m.biases, m.activation, DOM, boundary=False).num_regions
          for m in MODELS]
  assert row["regions_min"] == min(want) and row["regions_max"] == max(want)
  assert row["regions_mean"] == pytest.approx(np.mean(want))
  assert row["fallbacks"] == 1  # the zero-bias net is decided by regions.py
  assert row["models"] == 3 and row["count_models"] == 7 and row["workers"] == 2 and row["cycled"]
  assert row["reference_models"] == 3
  assert 0 < row["regions_per_cpu_s_min"] <= row["regions_per_cpu_s_median"] <= row["regions_per_cpu_s_max"]
  assert row["pool_wall_s"] > 0 and row["pool_regions_per_s"] > 0
  assert "cycling 3 distinct models" in line and "1 fell back" in line


def test_a_count_that_disagrees_with_the_reference_raises(monkeypatch):
  real = edge_subdivision.subdivide_or_enumerate

  class OffByOne:
    def __init__(self, found):
      self.num_regions, self.patterns = found.num_regions + 1, found.patterns

  # Only this process is patched: the pool's workers count right, so the check of (b) catches it.
  monkeypatch.setattr(edge_subdivision, "subdivide_or_enumerate", lambda *a: OffByOne(real(*a)))
  with pytest.raises(RuntimeError, match="differ"):
    BR.run_region_counting(MODELS[:1], DOM, count_models=2, workers=1, repetitions=1)


def test_trained_models_reads_a_batch_of_params():
  w = Workload(name="tiny", points=16, widths=(4, 4), steps=1, slopes=(0.0, 0.2), seeds_per_slope=1,
               lr=1e-3, eval_every_steps=1, timed_steps=1, sequential_models=1)
  batch = w.batch(0)
  params, _ = initial_models(w, batch, np.arange(2))
  models = BR.trained_models(params, batch.slope)
  assert [m.activation for m in models] == ["leaky_relu:0", "leaky_relu:0.2"]
  assert [k.shape for k in models[1].kernels] == [(2, 4), (4, 4), (4, 1)]  # binary head: one logit
  assert all(k.dtype == np.float64 for k in models[0].kernels)
