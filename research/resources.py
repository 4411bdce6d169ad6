"""What a config will cost, computed from the config alone (nothing generated or compiled).

`estimate(config)` gives the peak memory, the model-steps and a time; `check_resources(config)`
refuses a request beyond the machine (peak memory over the machine's memory, or absurd sizes)
with one line; `describe_estimate(config)` is the line printed before a long run.

Memory is the engine's own accounting: research.train.bytes_per_model and models_per_chunk (the
chunk of the model axis that fits the 2 GiB budget), plus the data of a unit, the grid pass of the
core metric family (GRID_MODELS_PER_BATCH models at a time, and every model's grid predictions,
scores and patterns kept) and, for dying_relu, the born-dead draws of one call. Host-side metrics
(exact regions, Betti numbers, probes) are not modelled: they are bounded by expensive_seeds.

Time: per model-step, points x (6 x parameters / FLOPS_RATE + hidden-and-output units x
SECONDS_PER_POINT_UNIT). The two constants are fitted to the engine's throughput measured on this
2-core machine under load from other jobs (BENCHMARKS.md, load average 3.6-6.6, the engine getting
one core): W-small (500 points, 2-8-8-1) 33,302 model-steps/s and W-mid (1,024 points, 2-64-64-64-1)
753 model-steps/s; the fit predicts 72 model-steps/s for W-wide (1,024 points, 3 x 256), measured
78. On idle cores the engine runs 3-5x faster (IDLE_SPEEDUP: the printed line gives both); it
knows nothing of GPUs.
"""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np

# On idle cores the engine runs 3-5x the fitted rate (BENCHMARKS.md, 2026-12-02: W-small 145,353
# model-steps/s, W-mid 3,780; the flagship default estimated at 6 minutes trained and evaluated in
# 114-124 s): the lower end of that range is the idle figure printed.
IDLE_SPEEDUP = 3.0
FLOPS_RATE = 7.0e10  # sustained matmul FLOP/s of the engine (fit above)
SECONDS_PER_POINT_UNIT = 3.0e-9  # element-wise work per point and unit of a step (fit above)
IN_DIM = 3  # the widest input of the registered data sets (d2 is 3-D; the others 2-D)
DATA_COPIES = 3  # the generated draws, their stacked copy and the device copy
# A precision (config.model.dtypes) is its own unit of the sweep. Relative to float32 on this CPU,
# per model-step: float64 runs at half the SIMD width (2x the time, 2x the bytes); bfloat16 has
# no native CPU arithmetic (XLA converts around each op: 2-4x the float32 time in the precision
# study's runs, the upper end taken) and its activations are kept in float32 (same bytes).
DTYPE_TIME = {"float32": 1.0, "float64": 2.0, "bfloat16": 4.0}
DTYPE_BYTES = {"float32": 1.0, "float64": 2.0, "bfloat16": 1.0}

# Sizes beyond any run this codebase is for: a typo with extra zeros, refused outright.
MAX_MODELS = 10_000_000
MAX_SECONDS = 2 * 24 * 3600  # at the conservative CPU rate; longer is a typo on this project's scale


@dataclasses.dataclass(frozen=True)
class Estimate:
  peak_bytes: int  # the largest unit's training chunk or grid pass, with its data
  model_steps: int  # models x training steps, over every unit
  seconds_estimate: float  # training and the grid pass, at the conservative rate above
  num_models: int = 0
  num_steps: int = 0


def machine_memory_bytes() -> int:
  """Physical memory (psutil, else sysconf), or the cgroup's limit when that is lower."""
  try:
    import psutil
    total = int(psutil.virtual_memory().total)
  except ImportError:  # pragma: no cover
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
  for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
    try:
      with open(path) as f:
        limit = f.read().strip()
      if limit.isdigit() and 0 < int(limit) < total:
        total = int(limit)
    except OSError:
      pass
  return total


def _architectures(model) -> list[tuple[int, ...]]:
  depths = [int(d) for d in model.depths]
  if "neurons" in model:
    return [(int(n) // d,) * d for n in model.neurons for d in depths]
  return [(int(w),) * d for w in model.widths for d in depths]


def _sweep_estimate(c) -> Estimate:
  from research import datasets
  from research.metrics.evaluation import GRID_MODELS_PER_BATCH
  from research.models import ModelSpec
  from research.activations import parse_activation
  from research.sweep import train_spec_of
  from research.train import DEFAULT_MEMORY_BUDGET_BYTES, bytes_per_model, models_per_chunk
  seeds = int(c.num_seeds)
  per_unit = len(c.model.activations) * len(c.optim.learning_rates) * seeds
  archs = _architectures(c.model)
  steps = int(c.optim.num_steps)
  grid = int(c.eval.grid_resolution) ** 2
  train_spec = train_spec_of(c)
  activation = parse_activation(c.model.activations[0])
  dtypes = tuple(c.model.get("dtypes", ("float32",)))  # configs stored before the field
  time_factor = sum(DTYPE_TIME.get(d, 1.0) for d in dtypes)
  bytes_factor = max(DTYPE_BYTES.get(d, 1.0) for d in dtypes)
  peak, model_steps, seconds, models = 0, 0, 0.0, 0
  for spec in c.data.names:
    _, params = datasets.dataset_params(c.data, spec)
    n_train = 2 * int(params["num_train_per_class"])  # two classes (the registered sets)
    n_test = 2 * int(params["num_test_per_class"])
    data_bytes = DATA_COPIES * seeds * (n_train + n_test) * (IN_DIM + 1) * 4
    shapes = dict(x_train=np.broadcast_to(np.float32(0), (1, n_train, IN_DIM)),
                  x_test=np.broadcast_to(np.float32(0), (1, n_test, IN_DIM)))
    for widths in archs:
      model = ModelSpec(IN_DIM, widths, 2, activation, c.model.init)
      per_model = bytes_per_model(model, n_train, n_test, train_spec.batch_size)
      chunk = models_per_chunk(model, train_spec, shapes, per_unit, int(c.max_models_per_chunk),
                               DEFAULT_MEMORY_BUDGET_BYTES)
      units = sum(widths) + 1
      grid_pass = 4 * grid * (2 * units + IN_DIM) * min(GRID_MODELS_PER_BATCH, per_unit)
      grid_kept = per_unit * grid * (1 + 4 + 4 * math.ceil(units / 16))
      peak = max(peak, data_bytes + bytes_factor * max(chunk * per_model, grid_pass + grid_kept)
                 + 4 * grid * IN_DIM)
      num_params = sum((a + 1) * b for a, b in zip((IN_DIM, *widths), (*widths, 1)))
      points = train_spec.batch_size if 0 < train_spec.batch_size < n_train else n_train
      step_s = points * (6 * num_params / FLOPS_RATE + units * SECONDS_PER_POINT_UNIT)
      grid_s = grid * (2 * num_params / FLOPS_RATE + units * SECONDS_PER_POINT_UNIT)
      checkpoints = 1 + len(tuple(c.eval.get("checkpoint_steps", ())))
      model_steps += len(dtypes) * per_unit * steps
      models += len(dtypes) * per_unit
      seconds += time_factor * per_unit * (steps * step_s + checkpoints * grid_s)
  return Estimate(int(peak), int(model_steps), float(seconds), models, steps)


def _born_dead_bytes(b) -> int:
  width, depth = max(int(w) for w in b.widths), max(int(d) for d in b.depths)
  per_call = int(b.inits_per_call)
  weights = per_call * depth * width * (width + 1) * 4
  activations = per_call * int(b.points_per_side) ** 2 * width * 4 * 2
  return 3 * weights + activations


def _activation_cost_bytes(c) -> int:
  peak = 3 * 4 * int(c.elementwise_size)
  for net in c.networks.values():
    widths = (int(net.in_dim), *map(int, net.hidden_widths), int(net.num_classes))
    params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    peak = max(peak, 4 * (8 * params + 4 * int(net.batch_size) * sum(widths)))
  return peak


def estimate(config) -> Estimate:
  """Peak memory, model-steps and time of a study config (see the module docstring)."""
  peak, model_steps, seconds, models, steps = 0, 0, 0.0, 0, 0
  if all(k in config for k in ("num_seeds", "data", "model", "optim", "eval")) and "names" in config.data:
    e = _sweep_estimate(config)
    peak, model_steps, seconds, models, steps = (e.peak_bytes, e.model_steps, e.seconds_estimate,
                                                 e.num_models, e.num_steps)
  if "born_dead" in config:
    peak = max(peak, _born_dead_bytes(config.born_dead))
  if "networks" in config and "elementwise_size" in config:
    peak = max(peak, _activation_cost_bytes(config))
  return Estimate(int(peak), int(model_steps), float(seconds), models, steps)


def format_bytes(n: float) -> str:
  for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
    if n >= size or unit == "MB":
      return f"{n / size:.1f} {unit}" if n / size < 100 else f"{n / size:,.0f} {unit}"
  return f"{n} B"  # pragma: no cover


def format_seconds(s: float) -> str:
  if s < 1:
    return "under a second"
  if s < 120:
    return f"{s:.0f} s"
  if s < 7200:
    return f"{s / 60:.0f} minutes"
  if s < 3 * 86400:
    return f"{s / 3600:.1f} hours"
  return f"{s / 86400:,.0f} days"


def describe(e: Estimate) -> str:
  if not e.num_models:  # a study of its own computations (theorems, ...): not modelled here
    return (f"peak {format_bytes(e.peak_bytes)} (no sweep)" if e.peak_bytes else
            "no sweep: its memory and time are not estimated")
  return (f"about {e.num_models:,} models x {e.num_steps:,} steps, peak {format_bytes(e.peak_bytes)}, "
          f"roughly {format_seconds(e.seconds_estimate / IDLE_SPEEDUP)} of training on 2 idle CPU cores "
          f"(up to {format_seconds(e.seconds_estimate)} on shared ones)")


def describe_estimate(config) -> str:
  """One line: 'about 1,280 models x 2,000 steps, peak 0.6 GB, roughly 90 s of training ...'."""
  return describe(estimate(config))


def check_resources(config) -> Estimate:
  """Raises ConfigError (one line, with the estimate) for a request beyond this machine."""
  from research.validation import ConfigError
  try:
    e = estimate(config)
  except (TypeError, ValueError, KeyError, AttributeError) as err:  # validation reports the field
    raise ConfigError(f"config cannot be sized: {err}") from None
  memory = machine_memory_bytes()
  if e.num_models > MAX_MODELS:
    raise ConfigError(f"config asks for {e.num_models:,} models (more than {MAX_MODELS:,}): "
                      f"{describe(e)}; lower num_seeds or the grid of the sweep")
  if e.peak_bytes > memory:
    raise ConfigError(f"config needs more memory than this machine has ({format_bytes(memory)}): "
                      f"{describe(e)}; lower the sizes (points per class, widths, "
                      "eval.grid_resolution, num_seeds, max_models_per_chunk)")
  if e.seconds_estimate > MAX_SECONDS:
    raise ConfigError(f"config would run for more than {MAX_SECONDS // 86400} days: {describe(e)}; "
                      "lower num_seeds, optim.num_steps, the points per class or the sweep grid")
  return e
