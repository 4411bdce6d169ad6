"""How the benchmark measures: wall and CPU timers, JAX's compile clock, peak memory, the float32
matmul ceiling (sgemm in numpy and JAX), the machine's description, and the optional torch."""

from __future__ import annotations

import collections
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
import numpy as np

from research import provenance

# PyTorch's own thread count before this module changes it (one per core by default).
DEFAULT_TORCH_THREADS: dict[str, int] = {}


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
  torch = torch_or_none()
  info["torch"] = torch.__version__ if torch else None
  if torch:
    info["torch_threads"] = torch.get_num_threads()
  return info


def torch_or_none():
  """The torch module, or None when it is not installed (the torch column is then skipped)."""
  if importlib.util.find_spec("torch") is None:
    return None
  import torch
  DEFAULT_TORCH_THREADS.setdefault("n", torch.get_num_threads())  # before any set_num_threads
  return torch
