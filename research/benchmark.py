"""The performance benchmark: the engine against the loops a newcomer would write, side by side.

For each training workload (configs/benchmark.py) three implementations train the same models
(same data, same initial weights, same full-batch Adam):
  engine     research.train.train_models: every model in one compiled program (vmap + lax.scan);
  jax loop   one model at a time, one jitted optimiser step per Python iteration;
  torch loop one model at a time, a plain PyTorch CPU loop (optional: skipped without torch).
Repetitions are interleaved (engine, jax loop, torch loop, engine, ...) so that load from other
processes hits every implementation alike; rates are medians with min-max. Warm-up (the first
call, compilation included) and compilation (XLA's own time, from JAX's monitoring events) are
reported apart from the timed repetitions. A sequential repetition trains one model for the full
step count, so its final accuracy is compared with the engine's for the same model.

Throughput is in model-steps/s and in achieved GFLOP/s of the forward and backward matmuls,
against a float32 matmul ceiling measured in the same run: the better of a 2048 x 2048 sgemm in
numpy and in JAX, run within every repetition so that it sees the same load as the workload (on a
shared machine the sgemm rate itself varies twofold); cores_used is the CPU seconds per wall
second an implementation got. The evaluation side times the grid metrics of many models in one
call (activation pattern count, sparsity, agreement with the ground truth) and exact region
enumeration per model.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import importlib.util
import os
import platform
import resource
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pandas as pd

from research import datasets, provenance
from research.activations import parse_activation
from research.metrics import boundary, regions, sparsity
from research.models import (ModelSpec, dense_weights, evaluate, forward, graphdef_of, loss_and_accuracy,
                             predict)
from research.store import atomic_write_csv, atomic_write_json, atomic_write_text
from research.train import TRACE_COUNT, ModelBatch, TrainSpec, bytes_per_model, init_batch, train_models

COLUMNS = ("section", "workload", "implementation", "models", "steps", "reps", "median", "min", "max",
           "unit", "gflops", "ceiling", "ceiling_pct", "cores_used", "x_torch", "warmup_s", "compile_s",
           "train_acc",
           "acc_max_diff", "acc_agree", "peak_rss_mb", "note")
IMPLEMENTATIONS = ("engine", "jax loop", "torch loop")
# PyTorch's own thread count before this module changes it (one per core by default).
DEFAULT_TORCH_THREADS: dict[str, int] = {}
# Every workload trains a binary leaky-family MLP on 2-D spirals; the slope varies per model.
ACTIVATION = "leaky_relu:0.01"
BREAKPOINTS = (0.0,)


@dataclasses.dataclass(frozen=True)
class Workload:
  """One training workload: the models, their data and how it is timed."""

  name: str
  points: int  # training points (half per spiral arm); as many test points
  widths: tuple[int, ...]
  steps: int
  slopes: tuple[float, ...]
  seeds_per_slope: int
  lr: float
  eval_every_steps: int  # the engine's chunk: every engine run reuses its compiled program
  timed_steps: int  # steps of a timed engine repetition (a multiple of eval_every_steps)
  sequential_models: int  # models each sequential loop trains in full (one per repetition)

  @property
  def num_models(self) -> int:
    return len(self.slopes) * self.seeds_per_slope

  def spec(self) -> ModelSpec:
    return ModelSpec(2, tuple(self.widths), 2, parse_activation(ACTIVATION), "he")

  def train_spec(self, steps: int) -> TrainSpec:
    return TrainSpec(optimizer="adam", num_steps=steps, eval_every_steps=self.eval_every_steps)

  def batch(self, seed: int) -> ModelBatch:
    slope = np.repeat(np.asarray(self.slopes, np.float32), self.seeds_per_slope)
    seeds = seed * 100_003 + np.tile(np.arange(self.seeds_per_slope), len(self.slopes))
    m = self.num_models
    return ModelBatch(seed=seeds.astype(np.uint32), slope=slope, lr=np.full(m, self.lr, np.float32),
                      data_index=np.zeros(m, np.int32))

  def sequential_indices(self) -> np.ndarray:
    """The models the sequential loops train: spread over the batch, so over the slopes."""
    return np.unique(np.linspace(0, self.num_models - 1, self.sequential_models).round().astype(int))


def workload_from_config(name: str, c: ml_collections.ConfigDict) -> Workload:
  return Workload(name=c.name, points=c.points, widths=tuple(c.widths), steps=c.steps,
                  slopes=tuple(c.slopes), seeds_per_slope=c.seeds_per_slope, lr=c.lr,
                  eval_every_steps=c.eval_every_steps, timed_steps=c.timed_steps,
                  sequential_models=c.sequential_models)


def matmul_flops(in_dim: int, widths: tuple[int, ...], out_dim: int, points: int) -> int:
  """Forward and backward matmul FLOPs of one full-batch step of one model.

  Forward x_l @ W_l per layer; backward the weight gradient of every layer and the input gradient
  of every layer but the first (nothing needs the gradient of the data): 3 products per layer less
  one, at 2 FLOPs per multiply-add.
  """
  dims = (in_dim, *widths, out_dim)
  macs = [a * b for a, b in zip(dims[:-1], dims[1:])]
  return 2 * points * (3 * sum(macs) - macs[0])


# ----------------------------------------------------------------------------- measurement helpers

class CompileClock:
  """Seconds JAX spends tracing, lowering and compiling (XLA), and persistent-cache hits/misses."""

  def __init__(self):
    self.seconds = collections.Counter()
    self.events = collections.Counter()
    jax.monitoring.register_event_duration_secs_listener(self._duration)
    jax.monitoring.register_event_listener(self._event)

  def _duration(self, event: str, duration: float, **_):
    if event.startswith("/jax/core/compile/") or event.startswith("/jax/compilation_cache/"):
      self.seconds[event.rsplit("/", 1)[-1]] += duration

  def _event(self, event: str, **_):
    if event.startswith("/jax/compilation_cache/"):
      self.events[event.rsplit("/", 1)[-1]] += 1

  def compile_s(self) -> float:
    """Everything JAX did before running: trace, lowering and backend compile (or cache load)."""
    return sum(self.seconds[k] for k in ("jaxpr_trace_duration", "jaxpr_to_mlir_module_duration",
                                         "backend_compile_duration"))

  def snapshot(self) -> tuple[float, dict]:
    return self.compile_s(), dict(self.events)


def peak_rss_mb() -> float:
  """Peak resident memory of this process so far (Linux reports kilobytes)."""
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summarise(values: list[float]) -> dict[str, float]:
  return dict(median=statistics.median(values), min=min(values), max=max(values), reps=len(values))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
  start = time.perf_counter()
  out = jax.block_until_ready(fn())
  return time.perf_counter() - start, out


def timed_cpu(fn: Callable[[], Any]) -> tuple[float, float, Any]:
  """(wall seconds, CPU seconds of this process's threads, result) of one call."""
  c0 = os.times()
  wall, out = timed(fn)
  c1 = os.times()
  return wall, (c1.user + c1.system) - (c0.user + c0.system), out


@functools.lru_cache(maxsize=None)
def _sgemm_operands(size: int):
  rng = np.random.default_rng(0)
  a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
  matmul = jax.jit(jnp.matmul)
  ja, jb = jnp.asarray(a), jnp.asarray(b)
  jax.block_until_ready(matmul(ja, jb))
  np.matmul(a, b)
  return a, b, ja, jb, matmul


def sgemm_gflops(size: int, reps: int) -> dict[str, list[float]]:
  """GFLOP/s of reps float32 size x size matmuls in numpy and in JAX, interleaved."""
  a, b, ja, jb, matmul = _sgemm_operands(size)
  flops = 2 * size**3
  out = {"numpy": [], "jax": []}
  for _ in range(reps):
    out["numpy"].append(flops / timed(lambda: np.matmul(a, b))[0] / 1e9)
    out["jax"].append(flops / timed(lambda: matmul(ja, jb))[0] / 1e9)
  return out


def machine() -> dict:
  """The machine and software the numbers come from."""
  cpu = "unknown"
  try:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
      if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
  except OSError:
    pass
  try:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
  except (ValueError, OSError, AttributeError):
    mem_gb = float("nan")
  info = provenance.collect()
  info.update(cpu=cpu, cores=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
              memory_gb=round(mem_gb, 1), load_average=os.getloadavg(), machine=platform.machine(),
              xla_flags=os.environ.get("XLA_FLAGS", ""), jax_devices=[str(d) for d in jax.devices()],
              compilation_cache_dir=jax.config.jax_compilation_cache_dir)
  torch = _torch()
  info["torch"] = torch.__version__ if torch else None
  if torch:
    info["torch_threads"] = torch.get_num_threads()
  return info


def _torch():
  """The torch module, or None when it is not installed (the torch column is then skipped)."""
  if importlib.util.find_spec("torch") is None:
    return None
  import torch
  DEFAULT_TORCH_THREADS.setdefault("n", torch.get_num_threads())  # before any set_num_threads
  return torch


# ----------------------------------------------------------------------------- the three trainers

def workload_data(w: Workload, seed: int) -> tuple[datasets.Dataset, dict[str, np.ndarray]]:
  """One spirals draw with `w.points` training and as many test points (the engine's layout)."""
  ds = datasets.make_dataset("spirals", jax.random.key(seed), num_train_per_class=w.points // 2,
                             num_test_per_class=w.points // 2, noise=0.1)
  return ds, {k: getattr(ds, k)[None] for k in ("x_train", "y_train", "x_test", "y_test")}


def initial_models(w: Workload, batch: ModelBatch, idx: np.ndarray):
  """(params, rest) of the models `idx` of the batch at initialisation, as the engine makes them."""
  sub = batch.take(idx)
  params, rest, _ = init_batch(jnp.asarray(sub.seed), jnp.asarray(sub.slope), spec=w.spec(),
                               train_spec=w.train_spec(w.steps))
  return jax.device_get(params), jax.device_get(rest)


class JaxLoop:
  """What a JAX newcomer writes: one model at a time, one jitted Adam step per Python iteration."""

  def __init__(self, spec: ModelSpec, lr: float):
    graphdef = graphdef_of(spec)
    self.tx = optax.adam(lr)

    def loss_fn(params, rest, x, y):
      logits, _ = forward(graphdef, params, rest, x)
      return loss_and_accuracy(logits, y)[0]

    @jax.jit
    def step(params, rest, opt_state, x, y):
      grads = jax.grad(loss_fn)(params, rest, x, y)
      updates, opt_state = self.tx.update(grads, opt_state, params)
      return optax.apply_updates(params, updates), opt_state

    self.step = step
    self.accuracy = jax.jit(lambda p, r, x, y: evaluate(graphdef, p, r, x, y)[1])

  def train(self, params, rest, x, y, steps: int):
    """Final params after `steps` steps (blocks until done)."""
    x, y = jnp.asarray(x), jnp.asarray(y)
    opt_state = self.tx.init(params)
    for _ in range(steps):
      params, opt_state = self.step(params, rest, opt_state, x, y)
    return jax.block_until_ready(params)


class TorchLoop:
  """A plain sequential PyTorch CPU loop: nn.Sequential, BCEWithLogitsLoss, torch.optim.Adam."""

  def __init__(self, lr: float, threads: int = 0):
    self.torch = _torch()
    self.threads = threads or DEFAULT_TORCH_THREADS["n"]
    self.lr = lr

  def build(self, kernels: list[np.ndarray], biases: list[np.ndarray], slope: float):
    """The network with the engine's initial weights (a torch Linear stores W transposed)."""
    torch = self.torch
    layers = []
    for i, (k, b) in enumerate(zip(kernels, biases)):
      linear = torch.nn.Linear(*k.shape)
      with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(np.array(k, np.float32).T.copy()))
        linear.bias.copy_(torch.from_numpy(np.array(b, np.float32)))
      layers.append(linear)
      if i < len(kernels) - 1:
        layers.append(torch.nn.LeakyReLU(float(slope)))
    return torch.nn.Sequential(*layers)

  def train(self, net, x: np.ndarray, y: np.ndarray, steps: int):
    torch = self.torch
    torch.set_num_threads(self.threads)
    xt, yt = torch.from_numpy(np.asarray(x, np.float32)), torch.from_numpy(np.asarray(y, np.float32))
    opt = torch.optim.Adam(net.parameters(), lr=self.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(steps):
      opt.zero_grad(set_to_none=True)
      loss_fn(net(xt)[:, 0], yt).backward()
      opt.step()
    return net

  def accuracy(self, net, x: np.ndarray, y: np.ndarray) -> float:
    with self.torch.no_grad():
      logits = net(self.torch.from_numpy(np.asarray(x, np.float32)))[:, 0].numpy()
    return float(np.mean((logits > 0).astype(np.int32) == y))


# ----------------------------------------------------------------------------- one workload

def run_workload(w: Workload, *, seed: int = 0, repetitions: int = 3,
                 torch_threads: tuple[int, ...] = (0,), acc_tolerance: float = 0.02,
                 full_run: bool = False, ceiling_size: int = 2048,
                 clock: CompileClock | None = None,
                 log: Callable[[str], None] = lambda s: None) -> dict:
  """Trains the workload with every implementation; returns rates, times and accuracies.

  The torch loop runs once per entry of `torch_threads` (0 = PyTorch's default) and the row keeps
  the fastest: a benchmark against a handicapped baseline would flatter the engine. A 2048 x 2048
  sgemm (numpy and JAX) runs in every repetition too: the ceiling under the same load.
  """
  clock = clock or CompileClock()
  if w.timed_steps % w.eval_every_steps or w.steps % w.eval_every_steps:
    raise ValueError(f"{w.name}: steps and timed_steps must be multiples of eval_every_steps")
  ds, data = workload_data(w, seed)
  batch, spec = w.batch(seed), w.spec()
  idx = w.sequential_indices()
  params0, rest0 = initial_models(w, batch, idx)
  one = lambda tree, i: jax.tree.map(lambda a: a[i], tree)
  torch = _torch()
  impls = [i for i in IMPLEMENTATIONS if i != "torch loop" or torch is not None]
  out = {i: dict(rates=[], cores=[], warmup_s=0.0, compile_s=0.0, acc={}) for i in impls}
  ceilings = []

  def engine(steps: int):
    return train_models(spec, w.train_spec(steps), data, batch, progress=False)

  # Warm-up: the first call of each implementation, compilation included.
  c0, traces = clock.compile_s(), TRACE_COUNT["train_chunk"]
  t, _ = timed(lambda: engine(w.eval_every_steps))
  out["engine"].update(warmup_s=t, compile_s=clock.compile_s() - c0,
                       traces=TRACE_COUNT["train_chunk"] - traces)
  jax_loop = JaxLoop(spec, w.lr)
  c0 = clock.compile_s()
  t, _ = timed(lambda: jax_loop.train(one(params0, 0), one(rest0, 0), ds.x_train, ds.y_train, 2))
  out["jax loop"].update(warmup_s=t, compile_s=clock.compile_s() - c0)
  torch_loops = {}
  if torch is not None:
    kernels, biases = dense_weights(one(params0, 0))
    for threads in dict.fromkeys(torch_threads):
      loop = TorchLoop(w.lr, threads)
      t, _ = timed(lambda: loop.train(loop.build(kernels, biases, batch.slope[idx[0]]), ds.x_train,
                                      ds.y_train, 10))
      torch_loops[loop.threads] = (loop, dict(rates=[], cores=[], acc={}, warmup_s=t))
  log(f"  {w.name}: warm-up " + ", ".join(f"{i} {out[i]['warmup_s']:.1f}s" for i in impls))

  # The engine's accuracies for the compared models (the reference). A model's result does not
  # depend on the other models of its batch (tests/test_train.py), so by default only the compared
  # models are trained in full; full_run trains every model in full and reports that rate too.
  if full_run:
    t, result = timed(lambda: engine(w.steps))
    acc = {int(i): float(result.final["train_acc"][i]) for i in idx}
    out["engine"].update(full_rate=w.num_models * w.steps / t)
    log(f"  {w.name}: engine full run {t:.1f}s ({w.num_models * w.steps / t:,.0f} model-steps/s)")
  else:
    c0 = clock.compile_s()
    t, result = timed(lambda: train_models(spec, w.train_spec(w.steps), data, batch.take(idx),
                                           progress=False))
    acc = {int(i): float(a) for i, a in zip(idx, result.final["train_acc"])}
    out["engine"]["reference_compile_s"] = clock.compile_s() - c0
    log(f"  {w.name}: engine trains the {len(idx)} compared models in full: {t:.1f}s "
        f"(compile {clock.compile_s() - c0:.1f}s)")
  out["engine"]["acc"] = acc

  # Interleaved repetitions; a sequential repetition trains one of the compared models in full.
  trained = None  # the last timed engine run: the evaluation section measures its models
  for r in range(max(repetitions, len(idx))):
    ceilings.append(max(v[0] for v in sgemm_gflops(ceiling_size, 1).values()))
    if r < repetitions:
      t, cpu, trained = timed_cpu(lambda: engine(w.timed_steps))
      out["engine"]["rates"].append(w.num_models * w.timed_steps / t)
      out["engine"]["cores"].append(cpu / t)
    if r < len(idx):
      i = int(idx[r])
      t, cpu, p = timed_cpu(lambda: jax_loop.train(one(params0, r), one(rest0, r), ds.x_train,
                                                   ds.y_train, w.steps))
      out["jax loop"]["rates"].append(w.steps / t)
      out["jax loop"]["cores"].append(cpu / t)
      out["jax loop"]["acc"][i] = float(jax_loop.accuracy(p, one(rest0, r), ds.x_train, ds.y_train))
      kernels, biases = dense_weights(one(params0, r))
      for threads, (loop, o) in torch_loops.items():
        net = loop.build(kernels, biases, batch.slope[i])
        t, cpu, net = timed_cpu(lambda: loop.train(net, ds.x_train, ds.y_train, w.steps))
        o["rates"].append(w.steps / t)
        o.setdefault("cores", []).append(cpu / t)
        o["acc"][i] = loop.accuracy(net, ds.x_train, ds.y_train)
    log(f"  {w.name}: repetition {r + 1} " + ", ".join(
        f"{i} {out[i]['rates'][-1]:,.0f}" for i in impls if len(out[i]["rates"]) > r) +
        "".join(f", torch loop ({k} thread{'s' * (k > 1)}) {o['rates'][-1]:,.0f}"
                for k, (_, o) in torch_loops.items() if len(o["rates"]) > r))

  if torch_loops:
    # The fastest thread count is the baseline; the others are kept in the note.
    per_threads = {k: o for k, (_, o) in torch_loops.items()}
    best = max(per_threads, key=lambda k: statistics.median(per_threads[k]["rates"]))
    out["torch loop"].update(per_threads[best], threads=best, by_threads={
        k: statistics.median(o["rates"]) for k, o in per_threads.items()})

  flops = matmul_flops(2, w.widths, 1, w.points)
  reference = out["engine"]["acc"]
  ceiling = statistics.median(ceilings)
  for i in impls:
    o = out[i]
    o.update(summarise(o["rates"]))
    o["gflops"] = o["median"] * flops / 1e9
    o["ceiling_pct"] = 100 * o["gflops"] / ceiling
    o["cores_used"] = statistics.median(o["cores"])
    diffs = [abs(a - reference[k]) for k, a in o["acc"].items()]
    o["train_acc"] = float(np.mean([o["acc"][k] for k in o["acc"]])) if o["acc"] else float("nan")
    o["acc_max_diff"] = max(diffs) if diffs else float("nan")
    o["acc_mean_diff"] = abs(o["train_acc"] - np.mean([reference[k] for k in o["acc"]])) if diffs else float("nan")
    o["acc_agree"] = bool(o["acc_mean_diff"] <= acc_tolerance) if diffs else None
  return dict(workload=w, flops_per_model_step=flops, impls=out, trained=trained,
              ceiling_gflops=ceiling, ceilings=ceilings,
              peak_rss_mb=peak_rss_mb(), sequential_models=[int(i) for i in idx])


# ----------------------------------------------------------------------------- evaluation side

@functools.partial(jax.jit, static_argnames=("graphdef", "models_per_batch"))
def grid_metrics(params, rest, grid, truth, *, graphdef, models_per_batch: int):
  """Per model, on every grid point: distinct activation patterns, sparsity, agreement with truth."""
  def one(args):
    p, r = args
    logits, inter = forward(graphdef, p, r, grid)
    return dict(patterns=regions.count_patterns(inter["pre"], BREAKPOINTS),
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


# ----------------------------------------------------------------------------- memory

def run_memory(w: Workload, c: ml_collections.ConfigDict, *, seed: int,
               log: Callable[[str], None] = lambda s: None) -> dict:
  """Trains c.num_models models of the workload's shape for a few steps under the memory budget."""
  _, data = workload_data(w, seed)
  m = c.num_models
  batch = ModelBatch(seed=np.arange(m, dtype=np.uint32), slope=np.resize(np.asarray(w.slopes, np.float32), m),
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


# ----------------------------------------------------------------------------- the table

def training_rows(res: dict) -> list[dict]:
  """One table row per implementation of a trained workload."""
  w, impls = res["workload"], res["impls"]
  torch_rate = impls["torch loop"]["median"] if "torch loop" in impls else None
  rows = []
  for name, o in impls.items():
    sequential = name != "engine"
    rows.append(dict(
        section="train", workload=w.name, implementation=name,
        models=len(o["acc"]) if sequential else w.num_models, steps=w.steps, reps=o["reps"],
        median=o["median"], min=o["min"], max=o["max"], unit="model-steps/s", gflops=o["gflops"],
        ceiling=res["ceiling_gflops"], ceiling_pct=o["ceiling_pct"], cores_used=o["cores_used"],
        x_torch=o["median"] / torch_rate if torch_rate else float("nan"),
        warmup_s=o["warmup_s"], compile_s=o["compile_s"], train_acc=o["train_acc"],
        acc_max_diff=o["acc_max_diff"] if sequential else 0.0, acc_agree=o["acc_agree"] if sequential else True,
        peak_rss_mb=res["peak_rss_mb"],
        note=_note(w, name, o)))
  return rows


def _note(w: Workload, name: str, o: dict) -> str:
  if name == "engine":
    note = f"{w.num_models} models x {w.timed_steps} steps per rep"
    return note + (f"; full run {o['full_rate']:,.0f} model-steps/s" if "full_rate" in o else "")
  note = f"one model x {w.steps} steps per rep"
  if name == "torch loop":
    note += f"; {o['threads']} thread(s), the fastest of " + ", ".join(
        f"{k} thread(s) {v:,.0f}" for k, v in sorted(o["by_threads"].items()))
  return note


def evaluation_rows(res: dict, workload: str) -> list[dict]:
  g, r = res["grid"], res["regions"]
  base = dict(section="eval", workload=workload, steps=float("nan"), gflops=float("nan"),
              ceiling=float("nan"), ceiling_pct=float("nan"), cores_used=float("nan"),
              x_torch=float("nan"), train_acc=float("nan"),
              acc_max_diff=float("nan"), acc_agree=None, peak_rss_mb=res["peak_rss_mb"])
  rows = [dict(base, implementation="grid metrics, one call", models=g["models"], reps=g["reps"],
               median=g["median"], min=g["min"], max=g["max"], unit="s/call", warmup_s=g["warmup_s"],
               compile_s=g["compile_s"],
               note=(f"count_patterns + sparsity + agreement on {g['points']:,} points per model; "
                     f"{g['patterns_mean']:,.0f} patterns, agreement {g['agreement_mean']:.3f} on average"))]
  if r.get("reps"):
    rows.append(dict(base, implementation="enumerate_regions", models=r["models"], reps=r["reps"],
                     median=r["median"], min=r["min"], max=r["max"], unit="s/model", warmup_s=float("nan"),
                     compile_s=0.0, note=(f"exact 2-D regions, {r['regions_mean']:,.0f} on average; the "
                                          f"grid sees {r['grid_patterns_mean']:,.0f} of them on the same models")))
  return rows


def targets(results: dict[str, dict]) -> list[dict]:
  """The issue's targets, each with whether this run met it (ceiling: the workload's own)."""
  out = []

  def add(key: str, text: str, what: Callable[[dict], float], goal: float):
    if key not in results:
      return
    impls = results[key]["impls"]
    try:
      value = what(impls)
    except KeyError:  # no torch: the ratio cannot be measured
      out.append(dict(target=text, value=float("nan"), goal=goal, met=None))
      return
    out.append(dict(target=text, value=value, goal=goal, met=bool(value >= goal)))

  ratio = lambda i: i["engine"]["median"] / i["torch loop"]["median"]
  pct = lambda i: i["engine"]["ceiling_pct"]
  add("small", "W-small: engine / sequential torch (model-steps/s)", ratio, 50)
  add("mid", "W-mid: engine / sequential torch (model-steps/s)", ratio, 4)
  add("mid", "W-mid: engine % of the sgemm ceiling", pct, 60)
  add("wide", "W-wide: engine % of the sgemm ceiling", pct, 60)
  return out


def markdown_table(frame: pd.DataFrame) -> str:
  """The table as GitHub markdown (numbers rounded for reading)."""
  def fmt(v):
    if isinstance(v, (bool, np.bool_)) or v is None:
      return "" if v is None else ("yes" if v else "NO")
    if isinstance(v, (float, np.floating)):
      if np.isnan(v):
        return ""
      return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return str(v)
  cols = [c for c in COLUMNS if c != "note"]
  lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
  lines += ["| " + " | ".join(fmt(r[c]) for c in cols) + " |" for _, r in frame.iterrows()]
  return "\n".join(lines) + "\n"


def main(config: ml_collections.ConfigDict, workdir: str) -> int:
  """Runs every section of the config, writes the table to `workdir`, prints a summary."""
  start = time.perf_counter()
  root = Path(workdir)
  root.mkdir(parents=True, exist_ok=True)
  clock = CompileClock()
  log = lambda s: print(s, flush=True)
  info = machine()
  log(f"benchmark on {info['cpu']} ({info['cores']} cores, {info['memory_gb']} GB), "
      f"{len(info['jax_devices'])} XLA device(s), torch {info['torch'] or 'not installed'}, "
      f"load average {info['load_average'][0]:.1f}")
  if info["torch"] is None:
    log("  note: torch is not installed: the torch loop column is skipped "
        "(pip install -e '.[benchmark]' adds it)")
  sgemm = sgemm_gflops(config.ceiling.size, config.ceiling.repetitions)
  workloads = {k: workload_from_config(k, config.workloads[k]) for k in config.workloads}
  results, rows = {}, []
  for key in config.sections:
    if key in workloads:
      log(f"{workloads[key].name}: {workloads[key].num_models} models, {workloads[key].steps} steps")
      results[key] = run_workload(workloads[key], seed=config.seed, repetitions=config.repetitions,
                                  torch_threads=tuple(config.torch_threads),
                                  acc_tolerance=config.acc_tolerance,
                                  full_run=config.engine_full_run,
                                  ceiling_size=config.ceiling.size, clock=clock, log=log)
    elif key == "evaluation":
      log("evaluation")
      source = results.get(config.evaluation.workload, {})
      results[key] = run_evaluation(workloads[config.evaluation.workload], config.evaluation,
                                    seed=config.seed, clock=clock, trained=source.get("trained"),
                                    log=log)
    elif key == "memory":
      log("memory")
      results[key] = run_memory(workloads[config.memory.workload], config.memory, seed=config.seed,
                                log=log)
    else:
      raise ValueError(f"unknown benchmark section {key!r}; valid: {', '.join([*workloads, 'evaluation', 'memory'])}")
  # The ceiling is measured again at the end and the best of all kept: load varies during a run.
  for lib, values in sgemm_gflops(config.ceiling.size, config.ceiling.repetitions).items():
    sgemm[lib] += values
  ceiling = max(max(v) for v in sgemm.values())
  for key, res in results.items():
    if key in workloads:
      rows += training_rows(res)
    elif key == "evaluation":
      rows += evaluation_rows(res, workloads[config.evaluation.workload].name)
  frame = pd.DataFrame(rows, columns=list(COLUMNS))
  met = targets(results)
  info["load_average_end"] = os.getloadavg()
  report = dict(machine=info, config=config.to_dict(), ceiling_gflops=ceiling, sgemm_gflops=sgemm,
                compile_seconds=dict(clock.seconds), compile_events=dict(clock.events),
                targets=met, memory=results.get("memory"), wall_s=time.perf_counter() - start,
                rows=rows, sequential_accuracies={k: {i: r["impls"][i]["acc"] for i in r["impls"]}
                                                  for k, r in results.items() if k in workloads})
  atomic_write_csv(root / "benchmark.csv", frame)
  atomic_write_json(root / "benchmark.json", report)
  atomic_write_text(root / "benchmark.md", markdown_table(frame))
  log(summary(frame, report))
  return 0


def summary(frame: pd.DataFrame, report: dict) -> str:
  """A few lines for stdout: the ceiling, each workload's headline, the targets."""
  lines = [f"sgemm ceiling: best {report['ceiling_gflops']:.0f} GFLOP/s in this run (numpy "
           f"{max(report['sgemm_gflops']['numpy']):.0f}, JAX {max(report['sgemm_gflops']['jax']):.0f}); "
           f"each workload's % is against the sgemm measured during its own repetitions"]
  for _, r in frame.iterrows():
    if r["section"] == "train":
      acc = "" if r["implementation"] == "engine" else (
          f", accuracy {'agrees' if r['acc_agree'] else 'DIFFERS'} (max diff {r['acc_max_diff']:.3f})")
      x = "" if np.isnan(r["x_torch"]) else f", {r['x_torch']:.1f}x torch"
      lines.append(f"{r['workload']:8s} {r['implementation']:10s} {r['median']:>10,.0f} model-steps/s "
                   f"[{r['min']:,.0f}-{r['max']:,.0f}], {r['gflops']:.1f} GFLOP/s "
                   f"({r['ceiling_pct']:.0f}% of {r['ceiling']:.0f}), {r['cores_used']:.1f} cores{x}{acc}")
    else:
      lines.append(f"{r['workload']:8s} {r['implementation']}: {r['median']:.2f} {r['unit']} "
                   f"[{r['min']:.2f}-{r['max']:.2f}] ({r['models']} models)")
  mem = report.get("memory")
  if mem:
    lines.append(f"memory: {mem['models']:,} models in {mem['chunks']} chunks of {mem['models_per_chunk']} "
                 f"(unchunked estimate {mem['unchunked_estimate_gb']:.1f} GB), peak RSS {mem['peak_rss_mb']:,.0f} MB")
  for t in report["targets"]:
    state = "not measured" if t["met"] is None else ("met" if t["met"] else "NOT met")
    lines.append(f"target {t['target']} >= {t['goal']:g}: {t['value']:.1f} ({state})")
  ev = report["compile_events"]
  lines.append(f"compilation: {sum(report['compile_seconds'].get(k, 0) for k in ('backend_compile_duration',)):.1f}s "
               f"in XLA; persistent cache hits {ev.get('cache_hits', 0)}, misses {ev.get('cache_misses', 0)}; "
               f"wall {report['wall_s']:.0f}s")
  return "\n".join(lines)
