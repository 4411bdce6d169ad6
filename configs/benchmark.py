"""Performance benchmark: the engine against sequential and batched PyTorch (BENCHMARKS.md).

  python -m experiments.benchmark --workdir workdirs/benchmark
  python -m experiments.benchmark --config configs/benchmark.py:quick --workdir /tmp/bq

Three training workloads, each trained by the engine, a per-model jitted-step JAX loop, a plain
PyTorch loop and the batched PyTorch peer (every model stacked, one Adam; torch is optional,
pinned 2.13.0: pip install -e '.[benchmark]') from the same initial weights; then the evaluation
side (grid metrics of many models in one call, exact regions per CPU-second and for 1,000
models) and a memory run (many models chunked to a memory budget). Writes benchmark.csv,
benchmark.md and benchmark.json to the workdir and a summary to stdout.
Default: 7 min 19 s measured on 2 idle CPU cores with a warm compilation cache (BENCHMARKS.md;
about a minute more cold, and longer under load). Quick: about 1 minute warm.
"""

import ml_collections

from configs.common import parse_arg


def _workload(name, points, widths, steps, slopes, seeds_per_slope, lr, eval_every_steps, timed_steps,
              sequential_models, peer_timed_steps):
  return ml_collections.ConfigDict(dict(
      name=name, points=points, widths=widths, steps=steps, slopes=slopes,
      seeds_per_slope=seeds_per_slope, lr=lr, eval_every_steps=eval_every_steps,
      timed_steps=timed_steps, sequential_models=sequential_models,
      peer_timed_steps=peer_timed_steps))


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  arg = parse_arg(arg, quick=False)
  c = ml_collections.ConfigDict()
  c.study = "benchmark"
  c.seed = 0  # data draw and the base of every model's init seed
  # The XLA CPU device count is the entry points' --cpu_devices flag (default: one per core;
  # --cpu_devices=default keeps JAX's single CPU device), not a config field.
  c.repetitions = 3  # timed engine repetitions; each sequential loop trains sequential_models models
  # The torch loop runs with each of these thread counts (0 = PyTorch's default, one per core) and
  # the fastest is the baseline. One thread by default: on these matrices it matches or beats two on
  # an idle machine, and two OpenMP threads collapse under load from other processes (W-mid: 6
  # against 438 steps/s at load average 3.7, see BENCHMARKS.md); (1, 0) measures both.
  c.torch_threads = (1,)
  # The batched torch peer (every model stacked, one Adam): each variant with each thread count,
  # all in the same interleaved repetitions; the fastest is the peer. Variants:
  # research/benchmark/batched_peer.py (bmm, vmap, bmm+compile, bmm/G: groups of G models).
  c.torch_batched_variants = ("bmm", "vmap", "bmm+compile", "bmm/4")
  c.torch_batched_threads = (1, 2)
  # Final training accuracy of a sequential loop must be within this of the engine's, on average
  # over the models both trained (same data, initial weights and optimiser; float rounding differs).
  c.acc_tolerance = 0.02
  # The engine's reference accuracies come from training just the compared models in full (a model's
  # result does not depend on its batch, tested); True also trains every model in full (W-mid alone
  # is then about 2 more minutes) and reports that run's rate.
  c.engine_full_run = False

  c.ceiling = ml_collections.ConfigDict(dict(size=2048, repetitions=5))

  slopes = (0.0, 0.01, 0.1, 0.2)  # LeakyReLU slopes; 0.0 is ReLU
  c.workloads = ml_collections.ConfigDict()
  # Overhead-bound: the TensorFlow Playground's scale.
  c.workloads.small = _workload("W-small", 500, (8, 8), 5000, slopes, 64, 0.01, 500, 500, 3, 100)
  c.workloads.mid = _workload("W-mid", 1024, (64, 64, 64), 2000, slopes, 16, 1e-3, 250, 250, 3, 50)
  # Compute-bound.
  c.workloads.wide = _workload("W-wide", 1024, (256, 256, 256), 500, slopes, 4, 1e-3, 50, 50, 2, 10)

  c.evaluation = ml_collections.ConfigDict()
  # `models` models of this workload trained for train_steps are measured (the last timed engine
  # run's when it trained that many steps, else trained here): one call computes every model's
  # metrics on the grid, then their exact regions are counted.
  c.evaluation.workload = "mid"
  c.evaluation.models = 64
  # Fully trained (the workload's 2,000 steps; about 45 s more than reusing a timed engine run's
  # 250): training sharpens the boundary and adds small regions.
  c.evaluation.train_steps = 2000
  c.evaluation.grid_resolution = 1024
  # The grid pass: each device (one per core) takes its models this many at a time through the
  # grid in tiles of about tile_points points (a divisor of the grid's points), so a tile's
  # pre-activations stay in the core's cache (4096 x 64 floats = 1 MiB per layer). Measured on
  # 8 models at 1024^2, idle: 1 model x 4096 points 0.244 s/model, 2 x 4096 0.249 s/model.
  c.evaluation.models_per_tile = 1
  c.evaluation.tile_points = 4096
  c.evaluation.ceiling_size = 2048  # the sgemm measured in every repetition (as c.ceiling.size)
  c.evaluation.repetitions = 1  # compiled ahead of time, so every call is timed; one is ~2 minutes
  # Exact regions (research/benchmark/regions.py): each of region_models models counted
  # region_repetitions times on one core (the per-model rate: regions per CPU-second); then
  # region_count_models counts (cycling through those models) on region_workers processes (0: one
  # per core), the wall time of "1,000 models"; region_reference_models of them checked against
  # regions.enumerate_regions (same count, same patterns), its time the speedup's baseline.
  c.evaluation.region_models = 64
  c.evaluation.region_repetitions = 3
  c.evaluation.region_count_models = 1000
  c.evaluation.region_workers = 0
  c.evaluation.region_reference_models = 3

  c.memory = ml_collections.ConfigDict()
  c.memory.workload = "mid"
  c.memory.num_models = 10_000
  c.memory.steps = 2
  c.memory.budget_mb = 2048.0  # research.train.DEFAULT_MEMORY_BUDGET_BYTES

  c.sections = ("small", "mid", "wide", "evaluation", "memory")

  if arg.quick:
    c.repetitions = 3
    c.engine_full_run = True  # cheap here, and saves compiling a program for the compared models
    c.workloads.small = _workload("W-small", 500, (8, 8), 300, slopes, 8, 0.01, 100, 100, 2, 50)
    c.workloads.mid = _workload("W-mid", 1024, (64, 64, 64), 100, slopes, 2, 1e-3, 50, 50, 2, 20)
    c.workloads.wide = _workload("W-wide", 1024, (256, 256, 256), 20, slopes, 1, 1e-3, 10, 10, 1, 5)
    c.evaluation.models = 8  # the quick W-mid's models
    c.evaluation.grid_resolution = 256
    c.evaluation.repetitions = 2
    c.evaluation.train_steps = 50  # the quick W-mid's timed steps: its timed run is measured
    c.evaluation.region_models = 8
    c.evaluation.region_count_models = 32
    c.evaluation.region_reference_models = 2
    c.memory.workload = "small"
    c.memory.num_models = 2_000
    c.memory.budget_mb = 16.0  # small enough to force several chunks
  return c
