"""Helpers shared by the data-set modules: parameter checks, random draws, regions, boxes.

Random numbers come from `jax.random` in fixed-size chunks of float32 (chunk i from
`fold_in(key, i)`), so one compiled sampler serves every shape and the values do not depend on the
jax_enable_x64 setting; all geometry is then done in float64 numpy.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

_CHUNK = 4096


# --- parameter checks: raise ValueError naming parameter, value and valid range -------------------


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
  """`value` as an int in [low, high]; raises ValueError naming the parameter otherwise."""
  valid = f">= {low}" if high is None else f"in [{low}, {high}]"
  # bool is an int subclass; True as a count is always a config mistake.
  if (not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_))
      or value < low or (high is not None and value > high)):
    raise ValueError(f"{name} must be an integer {valid}, got {value!r}")
  return int(value)


def check_float(name: str, value: Any, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False, why: str = "") -> float:
  """`value` as a finite float between low and high (open ends as flagged); raises otherwise.

  `why` says where a bound comes from, e.g. "larger than disk_radius=0.5".
  """
  parts = []
  if low is not None:
    parts.append(f"{'>' if low_open else '>='} {low:g}")
  if high is not None:
    parts.append(f"{'<' if high_open else '<='} {high:g}")
  valid = "a finite number" + (" " + " and ".join(parts) if parts else "")
  ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
  ok = ok and math.isfinite(value)
  if ok and low is not None:
    ok = value > low if low_open else value >= low
  if ok and high is not None:
    ok = value < high if high_open else value <= high
  if not ok:
    raise ValueError(f"{name} must be {valid}{f' ({why})' if why else ''}, got {value!r}")
  return float(value)


def check_intervals(name: str, value: Any, count_name: str, count: int) -> None:
  """`value`: None, or `count` radial (low, high) pairs, 0 <= low < high, with gaps between."""
  if value is None:
    return
  valid = (f"None or a sequence of {count} (low, high) pairs ({count_name}={count}) of finite "
           "numbers with 0 <= low < high and each pair ending before the next begins")
  try:
    pairs = np.asarray(value, dtype=np.float64)
  except (TypeError, ValueError):
    raise ValueError(f"{name} must be {valid}, got {value!r}") from None
  if (pairs.shape != (count, 2) or not np.all(np.isfinite(pairs)) or pairs[0, 0] < 0
      or not np.all(pairs[:, 0] < pairs[:, 1]) or not np.all(pairs[:-1, 1] < pairs[1:, 0])):
    raise ValueError(f"{name} must be {valid}, got {value!r}")


# --- random draws --------------------------------------------------------------------------------


@jax.jit
def _uniform_chunk(key: jax.Array, i: jax.Array) -> jax.Array:
  return jax.random.uniform(jax.random.fold_in(key, i), (_CHUNK,), jnp.float32)


@jax.jit
def _truncated_normal_chunk(key: jax.Array, i: jax.Array) -> jax.Array:
  return jax.random.truncated_normal(jax.random.fold_in(key, i), -3.0, 3.0, (_CHUNK,), jnp.float32)


@jax.jit
def _normal_chunk(key: jax.Array, i: jax.Array) -> jax.Array:
  return jax.random.normal(jax.random.fold_in(key, i), (_CHUNK,), jnp.float32)


def _draw(chunk: Callable[[jax.Array, jax.Array], jax.Array], key: jax.Array,
          shape: tuple[int, ...]) -> np.ndarray:
  total = math.prod(shape)
  parts = [np.asarray(chunk(key, np.int32(i))) for i in range(-(-total // _CHUNK))]
  flat = np.concatenate(parts) if parts else np.zeros(0, np.float32)
  return flat[:total].astype(np.float64).reshape(shape)


def uniform(key: jax.Array, shape: tuple[int, ...]) -> np.ndarray:
  """U[0, 1) draws of `shape` from `key`, as float64 numpy."""
  return _draw(_uniform_chunk, key, shape)


def normal(key: jax.Array, shape: tuple[int, ...]) -> np.ndarray:
  """Standard normal draws of `shape` from `key`, as float64 numpy."""
  return _draw(_normal_chunk, key, shape)


def truncated_normal(key: jax.Array, shape: tuple[int, ...]) -> np.ndarray:
  """Standard normal draws truncated to [-3, 3], of `shape` from `key`, as float64 numpy."""
  return _draw(_truncated_normal_chunk, key, shape)


def box_noise(key: jax.Array, shape: tuple[int, ...], noise: float) -> np.ndarray:
  """U(-1, 1) * noise per coordinate, the TensorFlow Playground noise model."""
  return (2.0 * uniform(key, shape) - 1.0) * noise


def split_train_test(key: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Independent keys for the train and the test split."""
  key_train, key_test = jax.random.split(key)
  return key_train, key_test


def rejection_sample(key: jax.Array, n: int, low: np.ndarray, high: np.ndarray,
                     inside: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
  """n points uniform on {x in box [low, high] : inside(x)}, by rejection from the box."""
  low, high = np.asarray(low, np.float64), np.asarray(high, np.float64)
  batch = max(_CHUNK // low.size, 1)
  kept, count = [], 0
  for i in range(100_000):  # the parameter checks keep acceptance far above 1e-5
    points = low + uniform(jax.random.fold_in(key, i), (batch, low.size)) * (high - low)
    points = points[inside(points)]
    kept.append(points)
    count += len(points)
    if count >= n:
      return np.concatenate(kept)[:n]
  raise RuntimeError(f"rejection sampling accepted only {count} of the {n} points needed")


# --- regions and boxes ---------------------------------------------------------------------------


def from_intervals(u: np.ndarray, intervals: np.ndarray) -> np.ndarray:
  """Maps u in [0, 1) to the union of disjoint [low, high] intervals, uniformly by length."""
  low, high = intervals[:, 0], intervals[:, 1]
  cumulative = np.concatenate([[0.0], np.cumsum(high - low)])
  t = u * cumulative[-1]
  j = np.clip(np.searchsorted(cumulative, t, side="right") - 1, 0, len(low) - 1)
  return np.clip(low[j] + (t - cumulative[j]), low[j], high[j])


def layer_labels(radius: np.ndarray, intervals: np.ndarray) -> np.ndarray:
  """Label (layer index mod 2) of the nearest radial layer: boundaries at the gap midpoints."""
  midpoints = 0.5 * (intervals[:-1, 1] + intervals[1:, 0])
  # A point exactly on a midpoint is equidistant; it goes to the outer layer.
  return (np.searchsorted(midpoints, radius, side="right") % 2).astype(np.int32)


def domain_box(low: Sequence[float], high: Sequence[float], pad: float, *points: np.ndarray
               ) -> np.ndarray:
  """(D, 2) box [low - pad, high + pad], widened if needed to hold every row of `points`."""
  box = np.stack([np.asarray(low, np.float64) - pad, np.asarray(high, np.float64) + pad], axis=1)
  for x in points:
    box[:, 0] = np.minimum(box[:, 0], x.min(axis=0))
    box[:, 1] = np.maximum(box[:, 1], x.max(axis=0))
  return box


def stack_classes(parts: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
  """(x float32, y int32) from one (n, D) array per class, class 0 first."""
  x = np.concatenate(parts).astype(np.float32)
  y = np.concatenate([np.full(len(p), c, np.int32) for c, p in enumerate(parts)])
  return x, y
