"""The evaluation section: the grid metrics of many trained models in one call, and exact region
counting of the same models (research.benchmark.regions: per-model rate, a thousand models on
every core, checked against the reference enumerator)."""

from __future__ import annotations

import functools
import statistics
from typing import Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jax.sharding import PartitionSpec as P

from research.benchmark.measure import CompileClock, peak_rss_mb, sgemm_gflops, summarise, timed, timed_cpu
from research.benchmark.workloads import Workload, workload_data
from research.benchmark.regions import run_region_counting, trained_models
from research.metrics import activation_patterns, boundary, sparsity
from research.models import forward, graphdef_of, predict
from research.train import model_mesh, train_models

BREAKPOINTS = (0.0,)


def tile_size(points: int, asked: int) -> int:
  """The largest divisor of `points` that is at most `asked`: the grid splits into equal tiles."""
  return next(t for t in range(min(asked, points), 0, -1) if points % t == 0)


def _tile_metrics(graphdef, p, r, x, truth):
  """One model on one tile of points: pattern words, sparsity partials, agreeing points."""
  logits, inter = forward(graphdef, p, r, x)
  pre = inter["pre"]
  return dict(words=jnp.stack(activation_patterns.pattern_words(pre, BREAKPOINTS)),
              inactive=sparsity.inactive_counts(pre), inactive_units=sparsity.inactive_units(pre),
              agree=jnp.sum(predict(logits) == truth, dtype=jnp.int32))


def _group_metrics(graphdef, params, rest, grid, truth, tile_points: int, row_length: int):
  """The metrics of a group of models (leading axis), the grid in tiles, all models per tile.

  Each tile's forward pass and reductions stay in the core's cache (a 4096-point tile of 64
  floats per unit is 1 MiB per layer) instead of streaming every layer's 1M x 64 pre-activations
  through memory; only the 6 pattern words per point are kept, for the count after the pass.
  """
  tiles = grid.shape[0] // tile_points
  per_tile = jax.vmap(functools.partial(_tile_metrics, graphdef), in_axes=(0, 0, None, None))
  out = jax.lax.map(lambda xt: per_tile(params, rest, *xt),
                    (grid.reshape(tiles, tile_points, -1), truth.reshape(tiles, tile_points)))
  # (tiles, models, words, tile) -> (models, words, points), in grid order for the neighbours.
  words = jnp.moveaxis(out["words"], 0, 2).reshape(*out["words"].shape[1:3], -1)
  neighbours = activation_patterns.grid_neighbours(row_length)
  # One model at a time (lax.map, not vmap): the count's larger sorts then run only if needed.
  patterns = jax.lax.map(lambda w: activation_patterns.count_distinct_rows(list(w), neighbours), words)
  shapes = tuple((grid.shape[0], u.shape[-1]) for u in out["inactive_units"])
  return dict(patterns=patterns,
              inactive=jax.vmap(lambda c: sparsity.fraction_of_pairs(c, tuple(a * b for a, b in shapes)))(
                  out["inactive"].sum(0)),
              dead=jax.vmap(sparsity.dead_fraction)(tuple(u.all(0) for u in out["inactive_units"])),
              agreement=out["agree"].sum(0) / grid.shape[0])


@functools.partial(jax.jit, static_argnames=("graphdef", "models_per_tile", "tile_points", "row_length"))
def grid_metrics(params, rest, grid, truth, *, graphdef, models_per_tile: int, tile_points: int,
                 row_length: int):
  """Per model, on every grid point: distinct activation patterns, sparsity, agreement with truth.

  The model axis is sharded over the devices (one per core, research.train.model_mesh) as the
  engine shards it; each device takes its models `models_per_tile` at a time through the grid in
  tiles of `tile_points` points (a divisor of the points; tile_size). Models are padded with
  copies of model 0 to fill every device's groups; their results are dropped.
  """
  n = jax.tree.leaves(params)[0].shape[0]
  mesh = model_mesh()
  groups = mesh.devices.size * models_per_tile
  padded = -(-n // groups) * groups
  pad = lambda a: jnp.concatenate([a, jnp.repeat(a[:1], padded - n, axis=0)]) if padded > n else a
  params, rest = jax.tree.map(pad, (params, rest))

  def device_models(params, rest, grid, truth):
    group = lambda a: a.reshape(-1, models_per_tile, *a.shape[1:])
    out = jax.lax.map(lambda pr: _group_metrics(graphdef, *pr, grid, truth, tile_points, row_length),
                      jax.tree.map(group, (params, rest)))
    return jax.tree.map(lambda a: a.reshape(-1, *a.shape[2:]), out)

  out = jax.shard_map(device_models, mesh=mesh, in_specs=(P("models"), P("models"), P(), P()),
                      out_specs=P("models"))(params, rest, grid, truth)
  return jax.tree.map(lambda a: a[:n], out)


def run_evaluation(w: Workload, c: ml_collections.ConfigDict, *, seed: int, clock: CompileClock,
                   trained=None, trained_steps: int | None = None,
                   log: Callable[[str], None] = lambda s: None) -> dict:
  """Times the grid metrics of c.models trained models in one call, and exact region counting.

  `trained`: a TrainResult of the workload's engine run (trained for `trained_steps`) to measure
  (its first c.models models); unless it has enough models trained for c.train_steps, the models
  are trained for c.train_steps first (the default measures fully trained models: a trained net
  has more, smaller regions than one a few hundred steps in).
  """
  ds, data = workload_data(w, seed)
  batch = w.batch(seed).take(np.arange(c.models))
  if trained is None or len(trained.diverged) < c.models or trained_steps != c.train_steps:
    log(f"  training {c.models} {w.name} models for {c.train_steps} steps to measure")
    trained = train_models(w.spec(), w.train_spec(c.train_steps), data, batch, progress=False)
  params, rest = (jax.tree.map(lambda a: a[:c.models], t) for t in (trained.params, trained.rest))
  grid, shape = boundary.make_grid(ds.domain, c.grid_resolution)
  truth = jnp.asarray(ds.truth(grid), jnp.int32)
  grid = jnp.asarray(grid, jnp.float32)
  args = (params, rest, grid, truth)
  static = dict(graphdef=graphdef_of(w.spec()), models_per_tile=c.models_per_tile,
                tile_points=tile_size(grid.shape[0], c.tile_points), row_length=shape[1])
  # Compiled ahead of time so that every call, the first included, is a timed repetition.
  c0 = clock.compile_s()
  compile_s, compiled = timed(lambda: grid_metrics.lower(*args, **static).compile())
  compile_s = max(compile_s, clock.compile_s() - c0)
  runs, ceilings = [], []
  for _ in range(c.repetitions):
    # The sgemm ceiling within every repetition, as the training rows measure it: the same load.
    ceilings.append(max(v[0] for v in sgemm_gflops(c.ceiling_size, 1).values()))
    runs.append(timed_cpu(lambda: compiled(*args)))
  times, out = [t for t, _, _ in runs], jax.device_get(runs[-1][2])
  dims = (w.spec().in_dim, *w.widths, 1)
  flops = 2 * grid.shape[0] * sum(a * b for a, b in zip(dims[:-1], dims[1:])) * c.models  # forward
  gflops = flops / statistics.median(times) / 1e9
  ceiling = statistics.median(ceilings)
  log(f"  grid metrics: {c.models} models on {c.grid_resolution}^2 points, compile {compile_s:.1f}s, "
      f"{statistics.median(times):.2f}s per call ({statistics.median(times) / c.models:.3f}s per model), "
      f"{gflops:.0f} GFLOP/s = {100 * gflops / ceiling:.0f}% of the {ceiling:.0f} GFLOP/s sgemm")
  grid_row = dict(models=c.models, points=int(np.prod(shape)), warmup_s=compile_s + times[0],
                  compile_s=compile_s, seconds_per_model=statistics.median(times) / c.models,
                  gflops=gflops, ceiling_gflops=ceiling, ceiling_pct=100 * gflops / ceiling,
                  ceilings=ceilings, cores_used=statistics.median(cpu / t for t, cpu, _ in runs),
                  patterns_mean=float(np.mean(out["patterns"])),
                  agreement_mean=float(np.mean(out["agreement"])), **summarise(times))

  region_row, line = run_region_counting(
      trained_models(params, batch.slope, min(c.region_models, c.models)), ds.domain,
      count_models=c.region_count_models, workers=c.region_workers or None,
      repetitions=c.region_repetitions, reference_models=c.region_reference_models)
  log(line)
  # The grid sees only the regions larger than a grid cell: its count beside the exact one.
  region_row["grid_patterns_mean"] = float(np.mean(out["patterns"][:region_row["models"]]))
  return dict(grid=grid_row, regions=region_row, peak_rss_mb=peak_rss_mb())
