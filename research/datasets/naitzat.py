"""The synthetic data of Naitzat, Zhitnikov, Lim, "Topology of Deep Neural Networks" (JMLR 2020).

d1 (2-D): class 0 is nine disjoint disks on a 3 x 3 grid; class 1 is a square with nine round
  holes, each concentric with a disk and larger than it. Betti numbers (9, 0) and (1, 9).
d2 (3-D): nine pairs of linked solid tori on a 3 x 3 grid in the xy-plane. In each pair the class-0
  ring lies in the xy-plane, the class-1 ring in the xz-plane, and each core circle passes through
  the other's centre, so they are linked like chain links; the core circles are ring_radius apart,
  hence the gap ring_radius - 2 tube_radius. Each class (9, 9, 0).
d3 (3-D): nested solid ball and spherical shells, alternating classes 0/1 from the centre out
  (default: ball r <= 1 and shells [1.5, 2], [2.5, 3]; class 0 then has Betti numbers (2, 0, 1),
  class 1 (1, 0, 1)).

Points are uniform on each class's solid region (by volume), drawn with the JAX key, exactly n per
class; noise is U(-1, 1) * noise per coordinate. The ground truth is region membership; a point in
a gap between classes (or outside every region) goes to the class whose region is nearest, so the
boundary lies mid-gap (ties go to class 0).
"""

from __future__ import annotations

import jax
import numpy as np

from research.datasets import Dataset, _common, register


def _grid_centres(spacing: float, dim: int) -> np.ndarray:
  """(9, dim) centres of a 3 x 3 grid in the first two coordinates, centred on the origin."""
  g = spacing * np.array([(i, j) for i in (-1, 0, 1) for j in (-1, 0, 1)], np.float64)
  return np.concatenate([g, np.zeros((9, dim - 2))], axis=1)


def _finish(name: str, key_parts, noise: float, low, high, truth, params=None) -> Dataset:
  """Adds noise to each split's per-class clean points and assembles the Dataset."""
  (x_train, y_train), (x_test, y_test) = [
      _common.stack_classes([x + _common.box_noise(k, x.shape, noise) for k, x in parts])
      for parts in key_parts]
  domain = _common.domain_box(low, high, noise, x_train, x_test)
  return Dataset(name, x_train, y_train, x_test, y_test, 2, domain, truth, params or {})


def _sample_splits(key: jax.Array, counts: tuple[int, int], sample_class):
  """[[(noise key, clean (n, D) points) per class] per split]; sample_class(key, c, n) -> points."""
  out = []
  for split_key, n in zip(_common.split_train_test(key), counts):
    parts = []
    for c, class_key in enumerate(jax.random.split(split_key, 2)):
      key_points, key_noise = jax.random.split(class_key)
      parts.append((key_noise, sample_class(key_points, c, n)))
    out.append(parts)
  return out


# --- d1 -------------------------------------------------------------------------------------------


def _check_d1(*, spacing: float, disk_radius: float, hole_radius: float, half_width: float,
              **_) -> None:
  disk = _common.check_float("disk_radius", disk_radius, low=0.0, low_open=True)
  hole = _common.check_float("hole_radius", hole_radius, low=disk, low_open=True,
                             why=f"larger than disk_radius={disk:g}")
  # Holes must not touch each other or the square's edge, or class 1 would lose its nine holes.
  step = _common.check_float("spacing", spacing, low=2.0 * hole, low_open=True,
                             why=f"more than 2 hole_radius, hole_radius={hole:g}")
  _common.check_float("half_width", half_width, low=step + hole, low_open=True,
                      why=f"more than spacing + hole_radius = {step:g} + {hole:g}")


@register("d1", check=_check_d1)
def d1(key: jax.Array, *, num_train_per_class: int = 1000, num_test_per_class: int = 1000,
       noise: float = 0.0, spacing: float = 3.0, disk_radius: float = 0.5, hole_radius: float = 1.0,
       half_width: float = 4.5) -> Dataset:
  """Nine disks (class 0) in the nine holes of the square [-half_width, half_width]^2 (class 1)."""
  centres = _grid_centres(spacing, 2)

  def distance_to_centres(p: np.ndarray) -> np.ndarray:
    return np.min(np.linalg.norm(p[:, None, :] - centres[None], axis=2), axis=1)

  def sample_class(k: jax.Array, c: int, n: int) -> np.ndarray:
    if c == 1:
      return _common.rejection_sample(k, n, [-half_width] * 2, [half_width] * 2,
                                      lambda p: distance_to_centres(p) >= hole_radius)
    u = _common.uniform(k, (n, 3))  # which disk, radius, angle
    which = np.minimum((9 * u[:, 0]).astype(np.int64), 8)
    r = disk_radius * np.sqrt(u[:, 1])  # sqrt: uniform by area
    angle = 2.0 * np.pi * u[:, 2]
    return centres[which] + np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)

  def truth(points: np.ndarray) -> np.ndarray:
    p = np.asarray(points, np.float64)
    to_centre = distance_to_centres(p)
    to_disks = np.maximum(to_centre - disk_radius, 0.0)
    # Holes lie inside the square, so at most one of the two terms is non-zero.
    to_square = np.linalg.norm(np.maximum(np.abs(p) - half_width, 0.0), axis=1)
    to_class1 = to_square + np.maximum(hole_radius - to_centre, 0.0)
    return (to_class1 < to_disks).astype(np.int32)

  parts = _sample_splits(key, (num_train_per_class, num_test_per_class), sample_class)
  return _finish("d1", parts, noise, [-half_width] * 2, [half_width] * 2, truth)


# --- d2 -------------------------------------------------------------------------------------------


def _check_d2(*, spacing: float, ring_radius: float, tube_radius: float, **_) -> None:
  ring = _common.check_float("ring_radius", ring_radius, low=0.0, low_open=True)
  # Linked core circles are ring_radius apart: thicker tubes would make the two classes touch.
  tube = _common.check_float("tube_radius", tube_radius, low=0.0, high=ring / 2.0,
                             low_open=True, high_open=True,
                             why=f"less than ring_radius / 2, ring_radius={ring:g}")
  _common.check_float("spacing", spacing, low=3.0 * ring + 2.0 * tube, low_open=True,
                      why=f"more than 3 ring_radius + 2 tube_radius = 3 * {ring:g} + 2 * {tube:g}")


@register("d2", check=_check_d2)
def d2(key: jax.Array, *, num_train_per_class: int = 1000, num_test_per_class: int = 1000,
       noise: float = 0.0, spacing: float = 4.5, ring_radius: float = 1.0,
       tube_radius: float = 0.25) -> Dataset:
  """Nine pairs of linked solid tori, one torus of each class per pair, on a 3 x 3 grid."""
  centres = _grid_centres(spacing, 3)
  offsets = np.array([[-ring_radius / 2.0, 0.0, 0.0], [ring_radius / 2.0, 0.0, 0.0]])
  axes = (2, 1)  # normal of class c's ring plane: z (xy-plane) for 0, y (xz-plane) for 1
  reach = ring_radius + tube_radius

  def in_torus(q: np.ndarray) -> np.ndarray:  # torus around the z axis at the origin
    return (np.hypot(q[:, 0], q[:, 1]) - ring_radius) ** 2 + q[:, 2] ** 2 <= tube_radius**2

  def sample_class(k: jax.Array, c: int, n: int) -> np.ndarray:
    key_pair, key_torus = jax.random.split(k)
    which = np.minimum((9 * _common.uniform(key_pair, (n,))).astype(np.int64), 8)
    q = _common.rejection_sample(key_torus, n, [-reach, -reach, -tube_radius],
                                 [reach, reach, tube_radius], in_torus)
    if c == 1:
      q = q[:, [0, 2, 1]]  # into the xz-plane (the torus is symmetric under this swap)
    return centres[which] + offsets[c] + q

  def distance_to_class(p: np.ndarray, c: int) -> np.ndarray:
    q = p[:, None, :] - (centres + offsets[c])[None]  # (P, 9, 3)
    height = q[..., axes[c]]
    in_plane = np.sqrt(np.maximum(np.sum(q * q, axis=2) - height**2, 0.0))
    to_core = np.hypot(in_plane - ring_radius, height)
    return np.maximum(np.min(to_core, axis=1) - tube_radius, 0.0)

  def truth(points: np.ndarray) -> np.ndarray:
    p = np.asarray(points, np.float64)
    return (distance_to_class(p, 1) < distance_to_class(p, 0)).astype(np.int32)

  parts = _sample_splits(key, (num_train_per_class, num_test_per_class), sample_class)
  low = [-spacing - 1.5 * ring_radius - tube_radius, -spacing - reach, -reach]
  return _finish("d2", parts, noise, low, [-v for v in low], truth)


# --- d3 -------------------------------------------------------------------------------------------


def default_shell_radii(num_shells: int) -> tuple[tuple[float, float], ...]:
  """Ball [0, 1], then shells of thickness 0.5 after gaps of 0.5: [j + 0.5, j + 1] for j >= 1."""
  return ((0.0, 1.0),) + tuple((j + 0.5, j + 1.0) for j in range(1, num_shells))


def _check_d3(*, num_shells: int, radii, **_) -> None:
  _common.check_int("num_shells", num_shells, low=2)
  _common.check_intervals("radii", radii, "num_shells", num_shells)


@register("d3", check=_check_d3)
def d3(key: jax.Array, *, num_train_per_class: int = 1000, num_test_per_class: int = 1000,
       noise: float = 0.0, num_shells: int = 3,
       radii: tuple[tuple[float, float], ...] | None = None) -> Dataset:
  """Nested ball and spherical shells with radial extents `radii`, classes alternating 0/1."""
  if radii is None:
    radii = default_shell_radii(num_shells)
  intervals = np.asarray(radii, np.float64)

  def sample_class(k: jax.Array, c: int, n: int) -> np.ndarray:
    key_radius, key_direction = jax.random.split(k)
    # Uniform by volume: r^3 uniform on the union of the class's [low^3, high^3] intervals.
    r = np.cbrt(_common.from_intervals(_common.uniform(key_radius, (n,)), intervals[c::2] ** 3))
    direction = _common.normal(key_direction, (n, 3))
    return r[:, None] * direction / np.linalg.norm(direction, axis=1, keepdims=True)

  def truth(points: np.ndarray) -> np.ndarray:
    return _common.layer_labels(np.linalg.norm(np.asarray(points, np.float64), axis=1), intervals)

  parts = _sample_splits(key, (num_train_per_class, num_test_per_class), sample_class)
  outer = intervals[-1, 1]
  params = {"radii": tuple((float(lo), float(hi)) for lo, hi in intervals)}
  return _finish("d3", parts, noise, [-outer] * 3, [outer] * 3, truth, params)
