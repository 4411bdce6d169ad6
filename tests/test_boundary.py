"""Decision-region metrics on hand-made grids with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from research.metrics import boundary as B

DOMAIN = np.array([[-2.0, 2.0], [-2.0, 2.0]])


def _radius_grid(resolution, domain=DOMAIN, centre=(0.0, 0.0)):
  points, shape = B.make_grid(domain, resolution)
  return np.linalg.norm(points - np.asarray(centre), axis=1).reshape(shape)


def test_make_grid_cell_centres_and_orientation():
  domain = np.array([[0.0, 4.0], [10.0, 12.0]])  # x in [0, 4], y in [10, 12]
  points, shape = B.make_grid(domain, 4)
  assert shape == (4, 4) and points.shape == (16, 2)
  grid = points.reshape(4, 4, 2)
  np.testing.assert_allclose(grid[0, :, 0], [0.5, 1.5, 2.5, 3.5])  # columns run along x
  np.testing.assert_allclose(grid[:, 0, 1], [10.25, 10.75, 11.25, 11.75])  # rows run along y, low first
  np.testing.assert_allclose(points[1], [1.5, 10.25])  # row-major: x varies fastest
  with pytest.raises(ValueError):
    B.make_grid(np.zeros((3, 2)), 4)


def test_grid_agreement():
  assert B.grid_agreement(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])) == 0.75
  with pytest.raises(ValueError):
    B.grid_agreement(np.zeros(3), np.zeros(4))


def test_region_topology_hand_made_masks():
  square = np.zeros((20, 20), bool)
  square[5:15, 5:15] = True
  assert B.region_topology(square) == (1, 0)
  r = _radius_grid(60)
  assert B.region_topology((r > 0.8) & (r < 1.5)) == (1, 1)  # annulus
  points, shape = B.make_grid(DOMAIN, 60)
  two = ((np.linalg.norm(points - [-1.0, 0.0], axis=1) < 0.6)
         | (np.linalg.norm(points - [1.0, 0.0], axis=1) < 0.6))
  assert B.region_topology(two.reshape(shape)) == (2, 0)
  holed = np.ones((30, 30), bool)
  holed[5:9, 5:9] = holed[15:20, 20:25] = holed[22:25, 3:6] = False
  assert B.region_topology(holed) == (1, 3)
  assert B.region_topology(np.zeros((5, 5), bool)) == (0, 0)
  assert B.region_topology(np.ones((5, 5), bool)) == (1, 0)


def test_connectivity_pairing():
  # A diamond of pixels touching only at corners: one 8-connected component enclosing one pixel
  # that is 4-cut off from the outside.
  diamond = np.zeros((7, 7), bool)
  for i, j in [(1, 3), (2, 2), (2, 4), (3, 1), (3, 5), (4, 2), (4, 4), (5, 3)]:
    diamond[i, j] = True
  assert B.region_topology(diamond) == (1, 1)
  # Read as a region, the complement is 8-connected through the diagonal gaps (one component) and
  # each diamond pixel is a 4-component it encloses: the documented asymmetry where two classes
  # touch only at corners.
  assert B.region_topology(~diamond) == (1, 8)


def test_regions_cut_by_the_border():
  top = np.zeros((10, 10), bool)
  top[5:] = True  # a half-plane: its complement touches the border, no hole
  assert B.region_topology(top) == (1, 0)
  ring = _radius_grid(60, centre=(0.0, -2.0))
  cut = (ring > 0.8) & (ring < 1.5)  # an annulus centred on the bottom edge: a C, not a ring
  assert B.region_topology(cut) == (1, 0)
  assert B.region_topology(~cut) == (2, 0)  # inside and outside of the C, both on the border
  # A border-touching region with one enclosed hole and a bay open to the border.
  region = np.ones((20, 20), bool)
  region[8:12, 8:12] = False
  region[0:5, 3:6] = False
  assert B.region_topology(region) == (1, 1)


def test_ring_shaped_prediction_grid():
  r = _radius_grid(80)
  pred = np.where(r < 1.2, 0, 1)  # class 0 a disk, class 1 the rest of the square
  topo = B.class_region_topology(pred, 2)
  assert topo == {0: (1, 0), 1: (1, 1)}
  assert B.topology_matches(topo, {0: (1, 0), 1: (1, 1)})
  assert not B.topology_matches(topo, {0: (1, 0), 1: (1, 0)})
  assert B.topology_matches({0: (1, 0), 1: (0, 0)}, {0: (1, 0)})  # a missing class is empty
  split = pred.copy()
  split[:, 40] = 1  # cut the disk in two
  assert B.class_region_topology(split, 2)[0] == (2, 0)


def test_contour_length_of_a_disk():
  radius = 1.5
  r = _radius_grid(400)
  length, pieces = B.boundary_length_from_grid(radius - r, DOMAIN, level=0.0)  # logit-like score
  assert pieces == 1
  assert length == pytest.approx(2 * math.pi * radius, rel=0.01)
  # A hard label grid at level 0.5 also works, with a jagged contour that reads a bit longer.
  hard, pieces = B.boundary_length_from_grid((r < radius).astype(float), DOMAIN, level=0.5)
  assert pieces == 1 and 1.0 < hard / (2 * math.pi * radius) < 1.1
  # A straight boundary across the domain is seen between the outermost cell centres.
  points, shape = B.make_grid(DOMAIN, 100)
  length, pieces = B.boundary_length_from_grid((points[:, 0] - 0.3).reshape(shape), DOMAIN)
  assert pieces == 1 and length == pytest.approx(4.0 - 4.0 / 100)
  assert B.boundary_length_from_grid(np.ones((10, 10)), DOMAIN) == (0.0, 0)


def test_margins_at_known_distances():
  radius, resolution = 1.5, 400
  h = 4.0 / resolution
  rng = np.random.default_rng(0)
  offsets = np.repeat([-0.4, -0.1, 0.05, 0.3], 25)
  angles = rng.uniform(0, 2 * np.pi, len(offsets))
  pts = (radius + offsets)[:, None] * np.c_[np.cos(angles), np.sin(angles)]
  score = radius - _radius_grid(resolution)
  d = B.distances_to_boundary(pts, score, DOMAIN)
  np.testing.assert_allclose(d, np.abs(offsets), atol=h)
  m = B.margin_estimate(pts, score, DOMAIN)
  assert m["mean"] == pytest.approx(np.mean(np.abs(offsets)), abs=h)
  assert m["p10"] == pytest.approx(0.05, abs=h)
  assert np.all(np.isinf(B.distances_to_boundary(pts, np.ones((10, 10)), DOMAIN)))


def _softplus(z):
  return math.log1p(math.exp(z))


def test_accuracy_metrics_binary_by_hand():
  logits = np.array([2.0, -1.0, 0.5, -3.0])
  labels = np.array([1, 0, 0, 0])
  m = B.accuracy_metrics(logits, labels)  # predictions 1, 0, 1, 0
  assert m["accuracy"] == 0.75
  assert m["balanced_accuracy"] == pytest.approx((1.0 + 2 / 3) / 2)
  ce = (_softplus(-2.0) + _softplus(-1.0) + _softplus(0.5) + _softplus(-3.0)) / 4
  assert m["cross_entropy"] == pytest.approx(ce)
  assert B.accuracy_metrics(logits[:, None], labels) == m
  # Stable for huge logits: right answers cost ~0, a wrong one costs |logit|.
  big = B.accuracy_metrics(np.array([1000.0, -1000.0, 1000.0]), np.array([1, 0, 0]))
  assert big["cross_entropy"] == pytest.approx(1000.0 / 3)


def test_accuracy_metrics_multiclass_by_hand():
  logits = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0], [5.0, 1.0, 1.0]])
  labels = np.array([1, 0, 0])  # predictions 1, 2, 0
  m = B.accuracy_metrics(logits, labels)
  assert m["accuracy"] == pytest.approx(2 / 3)
  lse = lambda row: math.log(sum(math.exp(v) for v in row))
  ce = np.mean([lse(logits[i]) - logits[i, labels[i]] for i in range(3)])
  assert m["cross_entropy"] == pytest.approx(ce)
  with pytest.raises(ValueError):
    B.accuracy_metrics(logits, np.array([0, 1, 3]))


def test_balanced_accuracy_on_imbalanced_labels():
  labels = np.r_[np.zeros(90, int), np.ones(10, int)]
  m = B.accuracy_metrics(np.full(100, -2.0), labels)  # always class 0
  assert m["accuracy"] == pytest.approx(0.9)
  assert m["balanced_accuracy"] == pytest.approx(0.5)


def test_noise_robustness():
  n = 4000
  labels = np.repeat([0, 1], n // 2)
  points = np.c_[np.where(labels == 1, 1.0, -1.0), np.zeros(n)]  # each at distance 1 from x = 0
  predict = lambda p: (p[:, 0] > 0).astype(int)
  acc = B.noise_robustness(predict, points, labels, [0.0, 1.0, 100.0], seed=0)
  assert acc[0] == 1.0
  phi_1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))  # P(N(0, 1) < 1) = 0.841
  assert acc[1] == pytest.approx(phi_1, abs=0.02)
  assert acc[2] == pytest.approx(0.5, abs=0.03)
  np.testing.assert_array_equal(acc, B.noise_robustness(predict, points, labels, [0.0, 1.0, 100.0], seed=0))
