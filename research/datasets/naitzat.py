"""The synthetic data of Naitzat, Zhitnikov, Lim, "Topology of Deep Neural Networks" (JMLR 2020).

d1 (2-D): Naitzat et al.'s generator: a regular grid of step 0.19 over [-10, 10)^2; class 0 is
  nine disks of radius 1.3 (eight on a circle of radius 7, one at the centre), class 1 the rest of
  the square outside a 0.5-wide margin around each disk; scaled by 0.1 into [-1, 1]^2. Betti
  numbers (9, 0) and (1, 9).
d2 (3-D): nine pairs of linked solid tori on a 3 x 3 grid in the xy-plane. In each pair the class-0
  ring lies in the xy-plane, the class-1 ring in the xz-plane, and each core circle passes through
  the other's centre, so they are linked like chain links; the core circles are ring_radius apart,
  hence the gap ring_radius - 2 tube_radius. Each class (9, 9, 0).
d3 (3-D): nested solid ball and spherical shells, alternating classes 0/1 from the centre out
  (default: ball r <= 1 and shells [1.5, 2], [2.5, 3]; class 0 then has Betti numbers (2, 0, 1),
  class 1 (1, 0, 1)).

d2 and d3 points are uniform on each class's solid region (by volume), drawn with the JAX key,
exactly n per class (d1's are drawn from its grid without replacement); noise is U(-1, 1) * noise
per coordinate. The ground truth is region membership; a point in a gap between classes (or
outside every region) goes to the class whose region is nearest, so the boundary lies mid-gap
(ties go to class 0). d2 and d3 follow the paper's description, not their generator files.
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

# Naitzat et al.'s generator (topnn_framework transformers/raw_circles_generator.py): a regular
# grid over [-10, 10)^2 with step 0.19; nine disks of radius 1.3, eight at angles 2 pi j / 8 on a
# circle of radius 7 and one at the centre; grid points within 1.3 of a centre are class 0 (the
# disks), points between 1.3 and 1.8 are removed (a 0.5-wide margin), the rest are class 1.
D1_CIRCLE_DISKS = 8


def d1_centres(circle_radius: float) -> np.ndarray:
  """(9, 2) disk centres: eight on the circle of radius circle_radius, then the origin."""
  angle = 2.0 * np.pi * np.arange(D1_CIRCLE_DISKS) / D1_CIRCLE_DISKS
  ring = circle_radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
  return np.concatenate([ring, np.zeros((1, 2))], axis=0)


def _check_d1(*, num_train_per_class: int, num_test_per_class: int, grid_step: float,
              disk_radius: float, margin: float, circle_radius: float, half_width: float,
              scale: float, **_) -> None:
  disk = _common.check_float("disk_radius", disk_radius, low=0.0, low_open=True)
  gap = _common.check_float("margin", margin, low=0.0, low_open=True)
  _common.check_float("grid_step", grid_step, low=0.0, high=disk, low_open=True, high_open=True,
                      why=f"less than disk_radius={disk:g}, so that every disk holds grid points")
  reach = disk + gap
  # Disks with their margins must not touch: neighbours on the circle are 2 R sin(pi / 8) apart,
  # and the circle's disks are R from the central one.
  low = reach / np.sin(np.pi / D1_CIRCLE_DISKS)
  ring = _common.check_float("circle_radius", circle_radius, low=low, low_open=True,
                             why=f"more than (disk_radius + margin) / sin(pi/8) = {low:g}")
  _common.check_float("half_width", half_width, low=ring + reach, low_open=True,
                      why=f"more than circle_radius + disk_radius + margin = {ring + reach:g}")
  _common.check_float("scale", scale, low=0.0, low_open=True)
  _check_d1_counts(num_train_per_class, num_test_per_class, grid_step, disk_radius, margin,
                   circle_radius, half_width)


def _check_d1_counts(num_train: int, num_test: int, *grid) -> np.ndarray:
  """The grid's points per class; raises when a split would need more points than the grid has."""
  available = np.bincount(d1_grid(*grid)[1], minlength=2)
  if num_train + num_test > available.min():
    raise ValueError(f"num_train_per_class + num_test_per_class = {num_train + num_test} is more "
                     f"than the {available.min()} grid points of the smaller class (grid_step="
                     f"{grid[0]:g}); use fewer points or a finer grid_step")
  return available


def d1_grid(grid_step: float, disk_radius: float, margin: float, circle_radius: float,
            half_width: float) -> tuple[np.ndarray, np.ndarray]:
  """Naitzat et al.'s grid points (unscaled) and their classes, the margin removed."""
  axis = np.arange(-half_width, half_width, grid_step)  # their np.arange, endpoint excluded
  xx, yy = np.meshgrid(axis, axis)
  points = np.stack([xx.ravel(), yy.ravel()], axis=1)
  to_centre = np.min(np.linalg.norm(points[:, None, :] - d1_centres(circle_radius)[None], axis=2),
                     axis=1)
  keep = (to_centre < disk_radius) | (to_centre >= disk_radius + margin)
  return points[keep], (to_centre[keep] >= disk_radius).astype(np.int32)


@register("d1", check=_check_d1)
def d1(key: jax.Array, *, num_train_per_class: int = 600, num_test_per_class: int = 200,
       noise: float = 0.0, grid_step: float = 0.19, disk_radius: float = 1.3, margin: float = 0.5,
       circle_radius: float = 7.0, half_width: float = 10.0, scale: float = 0.1) -> Dataset:
  """Naitzat et al.'s D-I: nine disks (class 0), eight on a circle and one at the centre, in the
  nine holes of a square (class 1), on their grid; coordinates times `scale`.

  Each split draws its points per class from the grid without replacement (train and test are
  disjoint), as their train_test_split did. scale 0.1 puts the data in [-1, 1]^2, the range of the
  D-I file they trained on (data/circles_type_8/circles_type_8.tfrecords spans [-1.15, 1.05]).
  """
  points, labels = d1_grid(grid_step, disk_radius, margin, circle_radius, half_width)
  need = num_train_per_class + num_test_per_class
  available = np.bincount(labels, minlength=2)  # checked against need by _check_d1
  centres = d1_centres(circle_radius)
  splits = [[], []]  # [train, test] of [(noise key, points) per class]
  for c, class_key in enumerate(jax.random.split(key, 2)):
    key_order, key_noise_train, key_noise_test = jax.random.split(class_key, 3)
    # One permutation per class serves both splits, disjoint by slicing.
    order = np.asarray(jax.random.permutation(key_order, int(available[c])))
    pts = scale * points[labels == c][order]
    splits[0].append((key_noise_train, pts[:num_train_per_class]))
    splits[1].append((key_noise_test, pts[num_train_per_class:need]))

  def truth(p: np.ndarray) -> np.ndarray:
    q = np.asarray(p, np.float64) / scale
    to_centre = np.min(np.linalg.norm(q[:, None, :] - centres[None], axis=2), axis=1)
    to_disks = np.maximum(to_centre - disk_radius, 0.0)
    to_square = np.linalg.norm(np.maximum(np.abs(q) - half_width, 0.0), axis=1)
    to_class1 = to_square + np.maximum(disk_radius + margin - to_centre, 0.0)
    return (to_class1 < to_disks).astype(np.int32)

  bound = [scale * half_width] * 2
  return _finish("d1", splits, noise, [-b for b in bound], bound, truth)


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
