"""Exact region counting of trained models: per-model CPU rate, many models on all cores, checked.

`run_region_counting(models, domain)` measures the fast exact enumerator
(edge_subdivision.subdivide_or_enumerate: edge subdivision, falling back to the polygon clipper
regions.enumerate_regions where a net is not in general position) on trained models:
  (a) per model, the CPU seconds of one count (median of `repetitions`, one BLAS thread) and its
      regions per CPU-second, summarised as median and min-max over the models;
  (b) the wall time to count `count_models` models with a process pool of `workers` processes
      (one BLAS thread each), and the CPU seconds they got (`pool_cores_used` on a shared
      machine). With fewer distinct models than that the pool cycles through them, and the row
      says so (`cycled`); every count of a cycled model must equal its count in (a);
  (c) on `reference_models` models spread over the list, the count and the set of patterns equal
      regions.enumerate_regions' (raises otherwise: a benchmark of a wrong count means nothing),
      and that enumerator's CPU seconds, the speedup's baseline.
The result is a plain dict row and a one-line summary. `trained_models` turns a trained batch's
stacked params and slopes into the models this takes.

Measured in the benchmark's run of BENCHMARKS.md (the 64 W-mid models, 2-64-64-64-1 LeakyReLU,
slopes 0/0.01/0.1/0.2, 2,000 steps on spirals, 22,201 regions on average, domain [-5.1, 5.1]^2;
2 idle CPU cores): 26 ms CPU per model, 8.4e5 regions per CPU-second (min 7.7e5, max 8.9e5), none
fell back; 1,000 models (cycled) in 16.8 s on 2 processes (1.98 cores used, +2.2 s pool start);
enumerate_regions 15x slower on the models checked.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import statistics
import time
from typing import Sequence

import numpy as np
import threadpoolctl

from research import process_memory
from research.metrics import edge_subdivision, regions


@dataclasses.dataclass(frozen=True)
class RegionModel:
  """One trained network as the exact region code reads it (float64, head included)."""

  kernels: tuple[np.ndarray, ...]  # (d_in, h1), ..., (h_L, d_out)
  biases: tuple[np.ndarray, ...]  # (h1,), ..., (d_out,)
  activation: str  # a spec string, e.g. "leaky_relu:0.01"


def trained_models(params, slopes: Sequence[float], count: int | None = None) -> list[RegionModel]:
  """The first `count` (default: all) models of a trained batch's stacked params, each with its
  LeakyReLU slope (the benchmark's workloads are leaky-family MLPs; slope 0 is ReLU)."""
  import jax  # only here: counting itself needs no JAX

  from research.models import dense_weights
  count = len(slopes) if count is None else count
  out = []
  for i in range(count):
    kernels, biases = dense_weights(jax.tree.map(lambda a: np.asarray(a[i], np.float64), params))
    out.append(RegionModel(tuple(kernels), tuple(biases), f"leaky_relu:{float(slopes[i]):g}"))
  return out


def _count(model: RegionModel, domain: np.ndarray) -> tuple[int, bool]:
  """(regions, whether the reference enumerator had to decide)."""
  found = edge_subdivision.subdivide_or_enumerate(model.kernels, model.biases, model.activation, domain)
  return int(found.num_regions), not isinstance(found, edge_subdivision.Subdivision)


def _cpu_seconds(fn) -> tuple[float, object]:
  start = time.process_time()
  out = fn()
  return time.process_time() - start, out


# Each pool worker holds the distinct models once (sent at start), so a task is just an index.
_WORKER: dict = {}


def _init_worker(models: list[RegionModel], domain: np.ndarray):
  # One BLAS thread per process: the pool is the parallelism (two threads per worker on two cores
  # would double the CPU seconds of the layer products for no wall time).
  _WORKER.update(models=models, domain=domain, blas=threadpoolctl.threadpool_limits(1))
  process_memory.reuse_freed_memory()  # as the measuring process (the entry point) does


def _count_in_worker(index: int) -> tuple[int, float]:
  """(regions, CPU seconds) of one model in a pool worker."""
  cpu_s, (count, _) = _cpu_seconds(lambda: _count(_WORKER["models"][index], _WORKER["domain"]))
  return count, cpu_s


def _pool_context():
  """Workers forked from a fork server that imported this module once (not forked from the
  caller, which may hold JAX's threads; nor spawned, each importing JAX again: seconds each)."""
  if "forkserver" not in multiprocessing.get_all_start_methods():
    return multiprocessing.get_context("spawn")
  ctx = multiprocessing.get_context("forkserver")
  ctx.set_forkserver_preload([__name__])
  return ctx


def _summary(prefix: str, values: list[float]) -> dict[str, float]:
  return {f"{prefix}_median": statistics.median(values), f"{prefix}_min": min(values),
          f"{prefix}_max": max(values)}


def run_region_counting(models: Sequence[RegionModel], domain, *, count_models: int = 1000,
                        workers: int | None = None, repetitions: int = 3,
                        reference_models: int = 3) -> tuple[dict, str]:
  """(row, log line): the per-model rates (a), the pool's wall time for count_models models (b)
  and the check against regions.enumerate_regions (c); workers None or 0: one per core."""
  if not models:
    raise ValueError("need at least one model")
  domain = np.asarray(domain, np.float64)
  workers = workers or os.cpu_count() or 1
  load_before = os.getloadavg()[0]
  process_memory.reuse_freed_memory()  # the workers do the same: both measure the same allocator

  # (a) One model at a time in this process, one BLAS thread.
  counts, fallbacks, cpu_s = [], [], []
  with threadpoolctl.threadpool_limits(1):
    for model in models:
      runs = [_cpu_seconds(lambda: _count(model, domain)) for _ in range(repetitions)]
      cpu_s.append(statistics.median(t for t, _ in runs))
      counts.append(runs[0][1][0])
      fallbacks.append(runs[0][1][1])
  rates = [n / t for n, t in zip(counts, cpu_s)]

  # (b) count_models models on `workers` processes, started and warmed (each counts one model)
  # before the clock starts; the start is reported apart.
  indices = [i % len(models) for i in range(count_models)]
  t0 = time.perf_counter()
  with concurrent.futures.ProcessPoolExecutor(workers, mp_context=_pool_context(), initializer=_init_worker,
                                              initargs=(list(models), domain)) as pool:
    list(pool.map(_count_in_worker, [0] * workers))
    start_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    done = list(pool.map(_count_in_worker, indices, chunksize=max(1, count_models // (8 * workers))))
    pool_wall_s = time.perf_counter() - t1
  pool_counts, pool_cpu_s = [n for n, _ in done], sum(t for _, t in done)
  wrong = [i for i, n in zip(indices, pool_counts) if n != counts[i]]
  if wrong:
    raise RuntimeError(f"the pool's counts differ from the sequential ones on models {sorted(set(wrong))}")

  # (c) The reference enumerator on models spread over the list: same count, same patterns.
  checked = np.unique(np.linspace(0, len(models) - 1, min(reference_models, len(models))).round().astype(int))
  ref_s = []
  with threadpoolctl.threadpool_limits(1):
    for i in checked:
      m = models[i]
      t, ref = _cpu_seconds(lambda: regions.enumerate_regions(m.kernels, m.biases, m.activation, domain,
                                                              boundary=False))
      ref_s.append(t)
      fast = edge_subdivision.patterns_fast(m.kernels, m.biases, m.activation, domain)
      if ref.num_regions != counts[i] or {r.tobytes() for r in fast} != {r.tobytes() for r in ref.patterns}:
        raise RuntimeError(f"model {i}: {counts[i]} regions by edge subdivision, "
                           f"{ref.num_regions} by regions.enumerate_regions (or other patterns)")

  row = dict(models=len(models), repetitions=repetitions, regions_mean=float(np.mean(counts)),
             regions_min=min(counts), regions_max=max(counts), fallbacks=int(sum(fallbacks)),
             **_summary("count_cpu_s", cpu_s), **_summary("regions_per_cpu_s", rates),
             count_models=count_models, workers=workers, cycled=count_models > len(models),
             pool_start_s=start_s, pool_wall_s=pool_wall_s, pool_cpu_s=pool_cpu_s,
             pool_cores_used=pool_cpu_s / pool_wall_s,
             pool_models_per_s=count_models / pool_wall_s,
             pool_regions_per_s=sum(counts[i] for i in indices) / pool_wall_s,
             reference_models=len(checked), reference_cpu_s_median=statistics.median(ref_s),
             reference_speedup=statistics.median(ref_s) / statistics.median(cpu_s[i] for i in checked),
             load_before=load_before, load_after=os.getloadavg()[0])
  cycled = f" (cycling {len(models)} distinct models)" if row["cycled"] else ""
  line = (f"  exact regions: {len(models)} models, {row['regions_mean']:.0f} regions on average, "
          f"{row['count_cpu_s_median'] * 1e3:.0f} ms CPU each, {row['regions_per_cpu_s_median']:.3g} "
          f"regions/CPU-s (min {row['regions_per_cpu_s_min']:.3g}, max {row['regions_per_cpu_s_max']:.3g}), "
          f"{row['fallbacks']} fell back; {count_models} models on {workers} processes in "
          f"{pool_wall_s:.1f} s{cycled} (+{start_s:.1f} s start, {row['pool_cores_used']:.2f} cores "
          f"used); {len(checked)} checked against "
          f"enumerate_regions ({row['reference_speedup']:.0f}x slower); load {load_before:.1f}")
  return row, line
