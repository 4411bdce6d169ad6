"""Small 2-D controls: XOR (TensorFlow Playground), two moons (sklearn's formula), two blobs.

Noise: xor and blobs add U(-1, 1) * noise per coordinate (the Playground model); moons adds
N(0, noise^2) per coordinate, as sklearn's make_moons does, so `noise` matches sklearn's argument.
"""

from __future__ import annotations

import math

import jax
import numpy as np

from research.datasets import Dataset, _common, register


def _split_sizes(num_train_per_class: int, num_test_per_class: int, key: jax.Array):
  return zip((0, 1), _common.split_train_test(key), (num_train_per_class, num_test_per_class))


# --- xor ------------------------------------------------------------------------------------------


def _check_xor(*, padding: float, **_) -> None:
  _common.check_float("padding", padding, low=0.0)


@register("xor", check=_check_xor)
def xor(key: jax.Array, *, num_train_per_class: int = 250, num_test_per_class: int = 250,
        noise: float = 0.0, padding: float = 0.3) -> Dataset:
  """Playground XOR: |x|, |y| ~ U(padding, 5 + padding), class 1 where x * y > 0, else class 0."""
  splits = []
  for _, split_key, n in _split_sizes(num_train_per_class, num_test_per_class, key):
    parts = []
    for c, class_key in enumerate(jax.random.split(split_key, 2)):
      u = _common.uniform(class_key, (n, 5))  # |x|, |y|, sign of x, noise x, noise y
      sign_x = np.where(u[:, 2] < 0.5, -1.0, 1.0)
      sign_y = sign_x if c == 1 else -sign_x  # quadrant picked by class: exact balance
      clean = np.stack([sign_x * (5.0 * u[:, 0] + padding), sign_y * (5.0 * u[:, 1] + padding)], 1)
      parts.append(clean + (2.0 * u[:, 3:] - 1.0) * noise)
    splits.append(_common.stack_classes(parts))
  (x_train, y_train), (x_test, y_test) = splits
  edge = 5.0 + padding
  domain = _common.domain_box([-edge] * 2, [edge] * 2, noise, x_train, x_test)

  def truth(points: np.ndarray) -> np.ndarray:
    p = np.asarray(points, np.float64)
    return (p[:, 0] * p[:, 1] > 0).astype(np.int32)  # the axes themselves go to class 0

  return Dataset("xor", x_train, y_train, x_test, y_test, 2, domain, truth)


# --- moons ----------------------------------------------------------------------------------------

# Class c is the half unit circle around _MOON_CENTRES[c] at angles _MOON_ANGLES[c] (sklearn:
# outer moon (cos a, sin a), inner moon (1 - cos a, 0.5 - sin a), a in [0, pi]).
_MOON_CENTRES = np.array([[0.0, 0.0], [1.0, 0.5]])
_MOON_ANGLES = np.array([[0.0, math.pi], [math.pi, 2.0 * math.pi]])


def moon_points(angle: np.ndarray, c: int) -> np.ndarray:
  """(len(angle), 2) points of moon c at sklearn's angle parameter in [0, pi] (float64)."""
  a = angle + _MOON_ANGLES[c, 0]
  return _MOON_CENTRES[c] + np.stack([np.cos(a), np.sin(a)], axis=1)


def _arc_distance(p: np.ndarray, c: int) -> np.ndarray:
  q = p - _MOON_CENTRES[c]
  angle = np.mod(np.arctan2(q[:, 1], q[:, 0]), 2.0 * math.pi)
  lo, hi = _MOON_ANGLES[c]
  to_circle = np.abs(np.linalg.norm(q, axis=1) - 1.0)
  ends = moon_points(np.array([0.0, math.pi]), c)
  to_ends = np.min(np.linalg.norm(p[:, None, :] - ends[None], axis=2), axis=1)
  # Outside the arc's angular range the nearest arc point is an end point.
  return np.where((angle >= lo) & (angle <= hi), np.minimum(to_circle, to_ends), to_ends)


@register("moons")
def moons(key: jax.Array, *, num_train_per_class: int = 250, num_test_per_class: int = 250,
          noise: float = 0.0) -> Dataset:
  """sklearn make_moons: train angles linspace(0, pi, n) as sklearn, test angles U(0, pi)."""
  splits = []
  for is_test, split_key, n in _split_sizes(num_train_per_class, num_test_per_class, key):
    key_angle, key_noise = jax.random.split(split_key)
    angles = (math.pi * _common.uniform(key_angle, (2, n)) if is_test
              else np.broadcast_to(np.linspace(0.0, math.pi, n), (2, n)))
    gauss = _common.normal(key_noise, (2, n, 2)) * noise
    splits.append(_common.stack_classes([moon_points(angles[c], c) + gauss[c] for c in (0, 1)]))
  (x_train, y_train), (x_test, y_test) = splits
  # Gaussian noise is unbounded: 4 sigma of padding, widened to the data if any point lies beyond.
  domain = _common.domain_box([-1.0, -0.5], [2.0, 1.0], 4.0 * noise, x_train, x_test)

  def truth(points: np.ndarray) -> np.ndarray:
    p = np.asarray(points, np.float64)
    return (_arc_distance(p, 1) < _arc_distance(p, 0)).astype(np.int32)

  return Dataset("moons", x_train, y_train, x_test, y_test, 2, domain, truth)


# --- blobs ----------------------------------------------------------------------------------------


def _check_blobs(*, separation: float, std: float, **_) -> None:
  separation = _common.check_float("separation", separation, low=0.0, low_open=True)
  # Truncation at 3 std keeps each blob on its own side of x = 0, so the truth is exact at noise 0.
  _common.check_float("std", std, low=0.0, high=separation / 6.0, low_open=True,
                      high_open=True, why=f"less than separation / 6, separation={separation:g}")


@register("blobs", check=_check_blobs)
def blobs(key: jax.Array, *, num_train_per_class: int = 250, num_test_per_class: int = 250,
          noise: float = 0.0, separation: float = 5.0, std: float = 0.5) -> Dataset:
  """Two Gaussian blobs centred at (-+separation/2, 0), truncated at 3 std per coordinate."""
  centres = np.array([[-separation / 2.0, 0.0], [separation / 2.0, 0.0]])
  splits = []
  for _, split_key, n in _split_sizes(num_train_per_class, num_test_per_class, key):
    key_gauss, key_noise = jax.random.split(split_key)
    gauss = _common.truncated_normal(key_gauss, (2, n, 2)) * std
    box = _common.box_noise(key_noise, (2, n, 2), noise)
    splits.append(_common.stack_classes([centres[c] + gauss[c] + box[c] for c in (0, 1)]))
  (x_train, y_train), (x_test, y_test) = splits
  reach = 3.0 * std
  half = separation / 2.0 + reach
  domain = _common.domain_box([-half, -reach], [half, reach], noise, x_train, x_test)

  def truth(points: np.ndarray) -> np.ndarray:
    return (np.asarray(points, np.float64)[:, 0] > 0).astype(np.int32)  # nearest centre

  return Dataset("blobs", x_train, y_train, x_test, y_test, 2, domain, truth)
