"""The evaluation section: the grid metrics of many trained models in one call, and exact region
enumeration per model."""

from __future__ import annotations

import functools
import statistics
from typing import Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from research.activations import parse_activation
from research.benchmark.measure import CompileClock, peak_rss_mb, summarise, timed
from research.benchmark.workloads import Workload, workload_data
from research.metrics import activation_patterns, boundary, regions, sparsity
from research.models import dense_weights, forward, graphdef_of, predict
from research.train import train_models

BREAKPOINTS = (0.0,)


@functools.partial(jax.jit, static_argnames=("graphdef", "models_per_batch"))
def grid_metrics(params, rest, grid, truth, *, graphdef, models_per_batch: int):
  """Per model, on every grid point: distinct activation patterns, sparsity, agreement with truth."""
  def one(args):
    p, r = args
    logits, inter = forward(graphdef, p, r, grid)
    return dict(patterns=activation_patterns.count_patterns(inter["pre"], BREAKPOINTS),
                inactive=sparsity.inactive_fraction(inter["pre"]),
                dead=sparsity.dead_units(inter["pre"]),
                agreement=jnp.mean(predict(logits) == truth))
  return jax.lax.map(one, (params, rest), batch_size=models_per_batch)


def run_evaluation(w: Workload, c: ml_collections.ConfigDict, *, seed: int, clock: CompileClock,
                   trained=None, log: Callable[[str], None] = lambda s: None) -> dict:
  """Times the grid metrics of c.models trained models in one call, and exact region enumeration.

  `trained`: a TrainResult of the workload's engine run to measure (its first c.models models);
  without one (or with too few models) the models are trained for c.train_steps first.
  """
  ds, data = workload_data(w, seed)
  batch = w.batch(seed).take(np.arange(c.models))
  if trained is None or len(trained.diverged) < c.models:
    trained = train_models(w.spec(), w.train_spec(c.train_steps), data, batch, progress=False)
  params, rest = (jax.tree.map(lambda a: a[:c.models], t) for t in (trained.params, trained.rest))
  grid, shape = boundary.make_grid(ds.domain, c.grid_resolution)
  truth = jnp.asarray(ds.truth(grid), jnp.int32)
  grid = jnp.asarray(grid, jnp.float32)
  args = (params, rest, grid, truth)
  static = dict(graphdef=graphdef_of(w.spec()), models_per_batch=c.models_per_batch)
  # Compiled ahead of time so that every call, the first included, is a timed repetition.
  c0 = clock.compile_s()
  compile_s, compiled = timed(lambda: grid_metrics.lower(*args, **static).compile())
  compile_s = max(compile_s, clock.compile_s() - c0)
  runs = [timed(lambda: compiled(*args)) for _ in range(c.repetitions)]
  times, out = [t for t, _ in runs], jax.device_get(runs[-1][1])
  log(f"  grid metrics: {c.models} models on {c.grid_resolution}^2 points, compile {compile_s:.1f}s, "
      f"{statistics.median(times):.1f}s per call")
  grid_row = dict(models=c.models, points=int(np.prod(shape)), warmup_s=compile_s + times[0],
                  compile_s=compile_s,
                  patterns_mean=float(np.mean(out["patterns"])),
                  agreement_mean=float(np.mean(out["agreement"])), **summarise(times))

  region_times, counts = [], []
  for i in range(min(c.region_models, c.models)):
    kernels, biases = dense_weights(jax.tree.map(lambda a: np.asarray(a[i], np.float64), params))
    act = parse_activation(f"leaky_relu:{float(batch.slope[i]):g}")
    t, found = timed(lambda: regions.enumerate_regions(kernels, biases, act, ds.domain))
    region_times.append(t)
    counts.append(found.num_regions)
    log(f"  enumerate_regions: model {i}: {found.num_regions} regions in {t:.1f}s, the grid sees "
        f"{int(out['patterns'][i])} patterns")
  # Agreement of the two counts on the same models: the grid misses regions smaller than a cell.
  grid_seen = [float(out["patterns"][i]) for i in range(len(counts))]
  region_row = dict(models=len(region_times), regions_mean=float(np.mean(counts)) if counts else float("nan"),
                    grid_patterns_mean=float(np.mean(grid_seen)) if grid_seen else float("nan"),
                    **(summarise(region_times) if region_times else {}))
  return dict(grid=grid_row, regions=region_row, peak_rss_mb=peak_rss_mb())
