"""Process-wide JAX set-up: the persistent compilation cache and the number of CPU devices.

The cache must be configured before the first compilation of the process and the device count
before the first use of a device, so entry points call `setup()` before anything else (through
experiments._entry.setup_jax, which applies the --cpu_devices flag); the engine
(research.train) calls `enable_compilation_cache()` when it is imported, so every user of the
engine gets the cache even without an entry point.

Cache location: $RESEARCH_JAX_CACHE if set ("off" disables it), else $JAX_COMPILATION_CACHE_DIR,
else ~/.cache/research/jax. Entries are keyed by the program, the jax/jaxlib version and the XLA
flags, so a stale entry is never reused; the folder is capped (oldest entries evicted).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import jax

CACHE_ENV = "RESEARCH_JAX_CACHE"
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "research" / "jax"
CACHE_MAX_BYTES = 2 * 1024**3
# Programs that compile faster than this are not worth a disk round trip.
CACHE_MIN_COMPILE_S = 0.5


def cache_dir() -> Path | None:
  """Where compiled programs are cached, or None when caching is switched off."""
  value = os.environ.get(CACHE_ENV) or os.environ.get("JAX_COMPILATION_CACHE_DIR")
  if value and value.lower() in ("0", "off", "false", "none"):
    return None
  return Path(value).expanduser() if value else DEFAULT_CACHE_DIR


def enable_compilation_cache(path: str | Path | None = None) -> Path | None:
  """Turns on JAX's persistent compilation cache (idempotent); returns its folder or None."""
  folder = Path(path).expanduser() if path is not None else cache_dir()
  if folder is None:
    return None
  if jax.config.jax_compilation_cache_dir == str(folder):
    return folder
  folder.mkdir(parents=True, exist_ok=True)
  jax.config.update("jax_compilation_cache_dir", str(folder))
  jax.config.update("jax_persistent_cache_min_compile_time_secs", CACHE_MIN_COMPILE_S)
  jax.config.update("jax_compilation_cache_max_size", CACHE_MAX_BYTES)
  # JAX decides once per process whether the cache is used, at the first compilation: if something
  # compiled before this call, that decision (no cache) is undone so the next compilation re-checks.
  from jax._src import compilation_cache
  if getattr(compilation_cache, "_cache_checked", False) and not getattr(compilation_cache, "_cache_used", True):
    compilation_cache.reset_cache()
  return folder


def precision(dtype: str):
  """The context a unit of `dtype` runs in: jax_enable_x64 on for float64 and off otherwise.

  Scoped to the unit rather than set for the process: with x64 on for the whole process, every
  default-dtype call (the data generators' draws among them) would give other numbers, so a
  float32 unit of a run that also trains float64 would not be the float32 unit of any other run
  though its stored results carry the same hash. jit caches programs per x64 setting.
  """
  return jax.enable_x64(dtype == "float64")


def num_cores() -> int:
  """CPU cores this process may run on."""
  try:
    return len(os.sched_getaffinity(0))
  except AttributeError:  # not Linux
    return os.cpu_count() or 1


def set_cpu_devices(count: int | None = None) -> int:
  """Splits the CPU into `count` XLA devices (default: one per core); returns the device count.

  The engine shards the model axis over every device, so each core runs its share of the models as
  a separate program instead of XLA splitting every small op over both cores (see BENCHMARKS.md).
  Only possible before the CPU backend starts: later calls warn and change nothing.
  """
  count = num_cores() if count is None else int(count)
  if count < 1:
    raise ValueError(f"cpu device count must be >= 1, got {count}")
  from jax._src import xla_bridge
  if xla_bridge.backends_are_initialized():
    if jax.config.jax_num_cpu_devices not in (-1, count):
      warnings.warn(f"JAX already started with {jax.device_count()} devices; cpu_devices={count} ignored")
    return jax.device_count()
  jax.config.update("jax_num_cpu_devices", count)
  return count


def parse_cpu_devices(value: str | int | None) -> str | int | None:
  """A --cpu_devices value: "cores", "default" (-> None, JAX's own) or a positive int."""
  if value is None or value == "default":
    return None
  if value == "cores":
    return value
  try:
    count = int(value)
  except (TypeError, ValueError):
    count = 0
  if count < 1:
    raise ValueError(f"cpu_devices={value!r} is not valid; valid: 'cores', 'default' or a positive integer")
  return count


def forced_device_count() -> bool:
  """Whether XLA_FLAGS already fixes the number of host devices (the tests fake several)."""
  return "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", "")


def setup(cpu_devices: int | str | None = None, cache: bool = True) -> None:
  """What an entry point calls first: the compilation cache, and optionally the CPU device count.

  cpu_devices: None leaves JAX's default (one CPU device), "cores" gives one device per core, an
  int that many devices. It only shapes the CPU backend: on a GPU host the engine still uses the GPUs.
  """
  if cache:
    enable_compilation_cache()
  # An explicit XLA_FLAGS device count wins: whoever set it wants exactly that many devices.
  if cpu_devices is not None and not forced_device_count():
    set_cpu_devices(None if cpu_devices == "cores" else int(cpu_devices))
