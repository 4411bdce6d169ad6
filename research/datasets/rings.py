"""Concentric rings, the TensorFlow Playground circle data generalised to k alternating annuli.

Ring j spans radii radii[j] = (low, high) and belongs to class j mod 2. Points of a class have a
uniform angle and a radius uniform on the union of its rings' radial intervals (uniform in r, as in
the Playground, so not uniform in area). Default radii, for num_rings k: ring 0 = [0, 2.5] and
ring j >= 1 = [2.5 j + 1, 2.5 (j + 1)]; for k = 2 that is the Playground's [0, 2.5] and [3.5, 5].

Noise is U(-1, 1) * noise per coordinate and labels stay the generating ring's. (The Playground
instead draws U(-5, 5) * noise, labels by the noisy position and stores the clean one.)

Ground truth labels by radius: the ring whose radial interval is nearest, i.e. boundaries at the
midpoint of each gap; inside ring 0 is ring 0 and beyond the last ring is the last ring.
"""

from __future__ import annotations

import jax
import numpy as np

from research.datasets import Dataset, _common, register


def default_radii(num_rings: int) -> tuple[tuple[float, float], ...]:
  """Playground-like layout: [0, 2.5], then rings of width 1.5 after gaps of width 1."""
  return ((0.0, 2.5),) + tuple((2.5 * j + 1.0, 2.5 * (j + 1)) for j in range(1, num_rings))


def _check(*, num_rings: int, radii, **_) -> None:
  _common.check_int("num_rings", num_rings, low=2)
  _common.check_intervals("radii", radii, "num_rings", num_rings)


@register("rings", check=_check)
def rings(key: jax.Array, *, num_train_per_class: int = 250, num_test_per_class: int = 250,
          noise: float = 0.0, num_rings: int = 2,
          radii: tuple[tuple[float, float], ...] | None = None) -> Dataset:
  """num_rings concentric annuli with alternating labels 0/1 (default: the Playground circle)."""
  if radii is None:
    radii = default_radii(num_rings)
  intervals = np.asarray(radii, np.float64)
  splits = []
  for split_key, n in zip(_common.split_train_test(key), (num_train_per_class, num_test_per_class)):
    parts = []
    for c, class_key in enumerate(jax.random.split(split_key, 2)):
      u = _common.uniform(class_key, (n, 4))  # radius, angle, noise x, noise y
      r = _common.from_intervals(u[:, 0], intervals[c::2])
      angle = 2.0 * np.pi * u[:, 1]
      parts.append(np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
                   + (2.0 * u[:, 2:] - 1.0) * noise)
    splits.append(_common.stack_classes(parts))
  (x_train, y_train), (x_test, y_test) = splits
  outer = intervals[-1, 1]
  domain = _common.domain_box([-outer] * 2, [outer] * 2, noise, x_train, x_test)

  def truth(points: np.ndarray) -> np.ndarray:
    return _common.layer_labels(np.linalg.norm(np.asarray(points, np.float64), axis=1), intervals)

  params = {"radii": tuple((float(lo), float(hi)) for lo, hi in intervals)}
  return Dataset("rings", x_train, y_train, x_test, y_test, 2, domain, truth, params)
