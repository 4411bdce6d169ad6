"""Interleaved spirals, the TensorFlow Playground formula generalised to k arms.

Arm k (class k) is the curve s -> (r sin t, r cos t), s in [0, 1], with r = 5 s and
t = turns * 2 pi s + 2 pi k / num_arms; the Playground has 2 arms (dt = 0 and pi) and 1.75 turns.
Noise is U(-1, 1) * noise per coordinate, as in the Playground.

The Playground places point i = 0..n-1 at s = i / n, so the i = 0 point of every arm is the origin:
k identical inputs with k different labels, which makes 100% training accuracy impossible. Training
points here sit at the midpoints s = (i + 0.5) / n instead (same spacing, origin excluded). Test
points draw s ~ U(0, 1), the distribution the midpoint grid discretises, so at noise 0 the test
set is not a copy of the training set.

Ground truth is the arm whose curve is nearest. It is exact at noise 0 (down to float32 rounding)
except at the origin itself, which lies on every arm and is given to arm 0 by convention.
"""

from __future__ import annotations

import math

import jax
import numpy as np
from scipy.spatial import cKDTree

from research.datasets import Dataset, _common, register

_RADIUS = 5.0  # the Playground's outer radius


def arm_points(s: np.ndarray, arm: int, num_arms: int, turns: float) -> np.ndarray:
  """(len(s), 2) points at parameters s in [0, 1] on arm `arm` (float64)."""
  r = _RADIUS * s
  t = turns * 2.0 * math.pi * s + 2.0 * math.pi * arm / num_arms
  return np.stack([r * np.sin(t), r * np.cos(t)], axis=1)


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
  ab = b - a
  length2 = np.sum(ab * ab, axis=1)
  t = np.clip(np.sum((p - a) * ab, axis=1) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
  return np.linalg.norm(p - (a + t[:, None] * ab), axis=1)


def _nearest_arm_truth(num_arms: int, turns: float):
  # Arms as dense polylines; distance to the two segments at the nearest vertex rather than to the
  # vertex itself, so points on an arm near the centre (where arms are close) are still exact.
  s = np.linspace(0.0, 1.0, max(2000, int(2000 * turns)) + 1)
  arms = [arm_points(s, k, num_arms, turns) for k in range(num_arms)]
  trees = [cKDTree(v) for v in arms]
  last = len(s) - 1

  def truth(points: np.ndarray) -> np.ndarray:
    p = np.asarray(points, np.float64)
    distances = []
    for vertices, tree in zip(arms, trees):
      _, j = tree.query(p)
      before = _segment_distance(p, vertices[np.maximum(j - 1, 0)], vertices[j])
      after = _segment_distance(p, vertices[j], vertices[np.minimum(j + 1, last)])
      distances.append(np.minimum(before, after))
    return np.argmin(np.stack(distances, axis=1), axis=1).astype(np.int32)

  return truth


def _check(*, num_arms: int, turns: float, **_) -> None:
  _common.check_int("num_arms", num_arms, low=2)
  _common.check_float("turns", turns, low=0.0, low_open=True)


@register("spirals", check=_check)
def spirals(key: jax.Array, *, num_train_per_class: int = 250, num_test_per_class: int = 250,
            noise: float = 0.0, num_arms: int = 2, turns: float = 1.75) -> Dataset:
  """num_arms interleaved spiral arms, one class each (Playground defaults: 2 arms, 1.75 turns)."""
  key_train, key_test = _common.split_train_test(key)
  n, m = num_train_per_class, num_test_per_class
  s_train = (np.arange(n) + 0.5) / n
  noise_train = _common.box_noise(key_train, (num_arms, n, 2), noise)
  key_s, key_noise = jax.random.split(key_test)
  s_test = _common.uniform(key_s, (num_arms, m))
  noise_test = _common.box_noise(key_noise, (num_arms, m, 2), noise)
  x_train, y_train = _common.stack_classes(
      [arm_points(s_train, k, num_arms, turns) + noise_train[k] for k in range(num_arms)])
  x_test, y_test = _common.stack_classes(
      [arm_points(s_test[k], k, num_arms, turns) + noise_test[k] for k in range(num_arms)])
  domain = _common.domain_box([-_RADIUS] * 2, [_RADIUS] * 2, noise, x_train, x_test)
  return Dataset("spirals", x_train, y_train, x_test, y_test, num_arms, domain,
                 _nearest_arm_truth(num_arms, turns))
