"""The memory section: many models of a workload's shape trained under a memory budget."""

from __future__ import annotations

from typing import Callable

import jax
import ml_collections
import numpy as np

from research.activations import leaky_family
from research.benchmark.measure import peak_rss_mb, timed
from research.benchmark.workloads import Workload, workload_data
from research.model_batch import ModelBatch
from research.train import TrainSpec, bytes_per_model, train_models


def run_memory(w: Workload, c: ml_collections.ConfigDict, *, seed: int,
               log: Callable[[str], None] = lambda s: None) -> dict:
  """Trains c.num_models models of the workload's shape for a few steps under the memory budget."""
  _, data = workload_data(w, seed)
  m = c.num_models
  acts = leaky_family(np.resize(np.asarray(w.slopes), m))
  batch = ModelBatch(seed=np.arange(m, dtype=np.uint32), activations=acts,
                     lr=np.full(m, w.lr, np.float32), data_index=np.zeros(m, np.int32))
  spec = w.spec()
  budget = int(c.budget_mb * 1024**2)
  per_model = bytes_per_model(spec, data["x_train"].shape[1], data["x_test"].shape[1])
  before = peak_rss_mb()
  t, result = timed(lambda: train_models(
      spec, TrainSpec(num_steps=c.steps, eval_every_steps=c.steps), data, batch,
      max_models_per_chunk=m, memory_budget_bytes=budget, progress=False))
  chunks = -(-m // result.models_per_chunk)
  log(f"  memory: {m:,} models in {chunks} chunks of {result.models_per_chunk}, {t:.1f}s, "
      f"peak RSS {peak_rss_mb():,.0f} MB")
  return dict(models=m, steps=c.steps, seconds=t, budget_mb=c.budget_mb,
              estimated_mb_per_model=per_model / 1024**2,
              unchunked_estimate_gb=per_model * m / 1024**3, models_per_chunk=result.models_per_chunk,
              chunks=chunks, peak_rss_before_mb=before, peak_rss_mb=peak_rss_mb(),
              all_finite=bool(np.all([np.isfinite(l).all() for l in jax.tree.leaves(result.params)])))
