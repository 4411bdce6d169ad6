"""Tests of research.metrics.decision_regions: exact components of decision regions."""

import math

import numpy as np
import pytest
import scipy.ndimage

from research.activations import parse_activation
from research.metrics import boundary as B
from research.metrics import decision_regions as D
from research.metrics import polygons as G
from research.metrics import pwl_networks as N
from research.metrics import regions as R

RELU = parse_activation("relu").pwl()
FOUR = scipy.ndimage.generate_binary_structure(2, 1)


def _box(half: float, centre=(0.0, 0.0)) -> np.ndarray:
  return np.array([[centre[0] - half, centre[0] + half], [centre[1] - half, centre[1] + half]])


def _net(seed: int, sizes, bias_std: float = 0.5):
  """He-initialised MLP with Gaussian biases, as in test_regions."""
  rng = np.random.default_rng(seed)
  ws = [rng.normal(0, math.sqrt(2 / a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
  bs = [rng.normal(0, bias_std, b) for b in sizes[1:]]
  return ws, bs


def _abs_net(head, bias):
  """2-4-K ReLU net with hidden units relu(x), relu(-x), relu(y), relu(-y): |x| = h0 + h1, y = h2 - h3."""
  w1 = np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]])
  return [w1, np.asarray(head, np.float64)], [np.zeros(4), np.asarray(bias, np.float64)]


def _grid_counts(ws, bs, slope: float, domain, resolution: int) -> list[int]:
  """Brute force: 4-connected components of each class's open region (logit < 0, > 0) on a grid.

  Its own forward pass of the leaky family (slope 0 is ReLU), at cell centres, rows <-> y."""
  xs, ys = B.grid_axes(domain, resolution)
  a = xs[None, :, None] * ws[0][0] + ys[:, None, None] * ws[0][1] + bs[0]
  for w, b in zip(ws[1:], bs[1:]):
    a = np.where(a >= 0, a, slope * a) @ w + b
  return [scipy.ndimage.label(mask, FOUR)[1] for mask in (a[..., 0] < 0, a[..., 0] > 0)]


def _counts(ws, bs, act, domain, num_classes=2):
  """(counts on the domain, counts in the plane, half-width of the certified box)."""
  inside = D.class_components(R.enumerate_regions(ws, bs, act, domain), num_classes)
  plane, half = D.plane_components(ws, bs, act, domain, num_classes)
  return inside, plane, half


# ------------------------------------------------------------------------------------------------
# Hand-built networks with known answers


def test_two_parallel_half_planes():
  # logit = |x| - 1 (a 2-2-1 ReLU net): class 1 is |x| > 1, two half-planes; class 0 the strip.
  ws, bs = [np.array([[1.0, -1.0], [0.0, 0.0]]), np.ones((2, 1))], [np.zeros(2), np.array([-1.0])]
  inside, plane, _ = _counts(ws, bs, RELU, _box(2))
  assert inside == plane == {0: 1, 1: 2}


def test_single_half_plane():
  # logit = relu(x) - relu(-x) = x: one half-plane per class, split across two activation regions.
  ws, bs = [np.array([[1.0, -1.0], [0.0, 0.0]]), np.array([[1.0], [-1.0]])], [np.zeros(2), np.zeros(1)]
  inside, plane, _ = _counts(ws, bs, RELU, _box(2))
  assert inside == plane == {0: 1, 1: 1}


def test_touching_at_a_point_does_not_connect():
  # logit = |x| - |y|: class 1 is the left and right wedges, class 0 the top and bottom ones; each
  # pair meets only at the origin, which is in neither open region. Every class piece spans two
  # activation regions (quadrants), so the shared edges on the axes must connect them.
  ws, bs = _abs_net([[1.0], [1.0], [-1.0], [-1.0]], [0.0])
  inside, plane, _ = _counts(ws, bs, RELU, _box(2))
  assert inside == plane == {0: 2, 1: 2}


def test_a_tie_along_a_shared_edge_does_not_connect():
  # logit = |x| is > 0 on both sides of x = 0 and 0 on it: two components of class 1, and class 0
  # (logit < 0) is empty. A grid whose cell centres miss x = 0 sees one component.
  ws, bs = [np.array([[1.0, -1.0], [0.0, 0.0]]), np.ones((2, 1))], [np.zeros(2), np.zeros(1)]
  inside, plane, _ = _counts(ws, bs, RELU, _box(2))
  assert inside == plane == {0: 0, 1: 2}
  assert _grid_counts(ws, bs, 0.0, _box(2), 64) == [0, 1]


def test_a_region_where_the_logit_is_zero_belongs_to_no_class():
  # logit = relu(x): 0 throughout x <= 0, so class 0 (logit < 0) is empty, not that half-plane.
  ws, bs = [np.array([[1.0], [0.0]]), np.ones((1, 1))], [np.zeros(1), np.zeros(1)]
  inside, plane, _ = _counts(ws, bs, RELU, _box(2))
  assert inside == plane == {0: 0, 1: 1}


def _wedge(apex_y: float, slope: float):
  """logit = y - apex_y + slope |x|: class 0 is the wedge under the peak (0, apex_y), class 1 the rest."""
  return _abs_net([[slope], [slope], [1.0], [-1.0]], [-apex_y])


def test_connected_only_outside_the_data_box():
  # In [-1, 1]^2 class 1 is two pieces, |x| > (3 - y) / 4, joined above the peak at (0, 3).
  ws, bs = _wedge(3.0, 4.0)
  domain = _box(1)
  points, shape = B.make_grid(domain, 200)
  pred = N.classes(N.forward_numpy(ws, bs, RELU, points)).reshape(shape)
  assert B.class_region_topology(pred, 2)[1][0] == 2  # the grid metric
  inside, plane, half = _counts(ws, bs, RELU, domain)
  assert inside == {0: 1, 1: 2}
  assert plane == {0: 1, 1: 1}
  assert half == 4.0  # the first box (half-widths 1, 2, 4, ...) holding the peak


def test_equal_counts_on_two_boxes_do_not_certify():
  # The peak is at (0, 10): boxes of half-width 1 and 2 both show two components of class 1, so
  # stopping at the first repeat would answer 2; the certificate goes on to the box holding it.
  ws, bs = _wedge(10.0, 20.0)
  for half in (1, 2):
    assert D.class_components(R.enumerate_regions(ws, bs, RELU, _box(half)), 2) == {0: 1, 1: 2}
  plane, half = D.plane_components(ws, bs, RELU, _box(1), 2)
  assert plane == {0: 1, 1: 1} and half == 16.0


def test_far_vertex_keeps_the_domain_precise_or_gives_nan():
  # A peak 1e6 domains away: the rings between the boxes are enumerated at their own scale, so
  # the domain is not lost to the sliver tolerance of one huge box; with too few doublings, NaN.
  ws, bs = _wedge(1e6, 2e6)
  domain = _box(1, centre=(0.5, -0.25))
  plane, half = D.plane_components(ws, bs, RELU, domain, 2)
  assert plane == {0: 1, 1: 1} and 1e6 < half < 4e6
  plane, half = D.plane_components(ws, bs, RELU, domain, 2, max_doublings=6)
  assert all(math.isnan(v) for v in plane.values()) and half == 64.0


def test_small_region_near_the_domain_survives_a_far_vertex():
  # Class 1 is the diamond |x| + |y| < 0.01 (area 2e-4); two units the head ignores have nearly
  # parallel lines y = 0.5 and y = 1.5 + 1e-6 x, which cross at x = -1e6. The certified box is
  # ~1e6 wide: as one box its sliver tolerance (1e-12 of its area, ~16) would drop the diamond.
  w1 = np.array([[1.0, -1.0, 0.0, 0.0, 0.0, -1e-6], [0.0, 0.0, 1.0, -1.0, 1.0, 1.0]])
  ws = [w1, np.array([[-1.0], [-1.0], [-1.0], [-1.0], [0.0], [0.0]])]
  bs = [np.array([0.0, 0.0, 0.0, 0.0, -0.5, -1.5]), np.array([0.01])]
  plane, half = D.plane_components(ws, bs, RELU, _box(1), 2)
  assert plane == {0: 1, 1: 1} and 1e6 < half < 4e6


def test_multiclass_head():
  # Logits (|x| - 1, 0, y - 2): class 0 is |x| > 1 below y = |x| + 1 (two pieces, kept apart by
  # the strip |x| <= 1), class 1 the strip below y = 2, class 2 everything above both.
  ws, bs = _abs_net([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, -1.0]],
                    [-1.0, 0.0, -2.0])
  inside, plane, _ = _counts(ws, bs, RELU, _box(3), num_classes=3)
  assert inside == plane == {0: 2, 1: 1, 2: 1}
  with pytest.raises(ValueError):
    D.plane_components(ws, bs, RELU, _box(3), 2)


# ------------------------------------------------------------------------------------------------
# T-junctions: edges that overlap only partly


def _hand_regions(polygons, logits, domain) -> R.Regions:
  """A Regions with given convex polygons and a constant logit on each."""
  n = len(polygons)
  polys = [np.asarray(p, np.float64) for p in polygons]
  return R.Regions(polygons=polys, patterns=np.zeros((n, 0), np.int8), affine_A=np.zeros((n, 2, 1)),
                   affine_c=np.asarray(logits, np.float64)[:, None],
                   areas=np.array([G.areas(p[None], np.array([len(p)]))[0] for p in polys]),
                   num_regions=n, boundary_segments=np.zeros((0, 2, 2)),
                   boundary_regions=np.zeros(0, np.int64), boundary_merged=np.zeros((0, 2, 2)),
                   boundary_length=0.0, boundary_pieces=0, domain=np.asarray(domain, np.float64))


def _rect(x0, x1, y0, y1):
  return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]  # counter-clockwise


@pytest.mark.parametrize("angle", [0.0, 0.3, math.pi / 2, 2.0])
def test_t_junction_partial_overlaps(angle):
  # Left: one tall piece whose edge x = 0 runs from y = -1 to 1. Right: three pieces stacked along
  # it, the middle one of the other class. The tall piece meets each outer one over part of its
  # edge only, and its edge's midpoint (0, 0) lies on the middle piece: neither identical edges
  # nor midpoints would find the connections. Rotated so the lines are not axis-aligned.
  rot = np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])
  pieces = [_rect(-1, 0, -1, 1), _rect(0, 1, 0.2, 1), _rect(0, 1, -0.2, 0.2), _rect(0, 1, -1, -0.2)]
  polys = [np.asarray(p) @ rot for p in pieces]
  domain = _box(1.5)
  assert D.class_components(_hand_regions(polys, [1, 1, -1, 1], domain), 2) == {0: 1, 1: 1}
  assert D.class_components(_hand_regions(polys, [-1, 1, -1, 1], domain), 2) == {0: 1, 1: 2}
  # Moved 1e-6 (well above the tolerance, 1.5e-9 here) off the line, nothing is shared.
  shifted = polys[:1] + [p + np.array([1e-6, 0.0]) @ rot for p in polys[1:]]
  assert D.class_components(_hand_regions(shifted, [1, 1, -1, 1], domain), 2) == {0: 1, 1: 3}


def test_checkerboard_corners_do_not_connect():
  # Four unit squares, diagonal ones of one class: same-class squares share only a corner, and
  # their edges lie on common lines (y = 0, x = 1) that touch end to end, overlapping over length 0.
  squares = [_rect(0, 1, 0, 1), _rect(1, 2, 0, 1), _rect(0, 1, -1, 0), _rect(1, 2, -1, 0)]
  regions = _hand_regions(squares, [1, -1, -1, 1], [[0, 2], [-1, 1]])
  assert D.class_components(regions, 2) == {0: 2, 1: 2}


def test_t_junction_at_ring_seams():
  # plane_components tiles the plane with a box and rings of four rectangles; the wide bottom and
  # top rectangles meet the box and the side rectangles in T-junctions. logit = 5 - |y| has
  # vertices at (0, +-5), where the band's edges cross the (unused) units' line x = 0, so three
  # rings are added and the class-1 band |y| < 5 crosses every seam: one component.
  ws, bs = _abs_net([[0.0], [0.0], [-1.0], [-1.0]], [5.0])
  plane, half = D.plane_components(ws, bs, RELU, _box(1), 2)
  assert plane == {0: 2, 1: 1} and half == 8.0


# ------------------------------------------------------------------------------------------------
# Random networks against independent answers


# 2-3-3-1 nets on [-3, 3]^2 whose exact counts agree with a 4-connected grid of 1024^2 and of
# 2048^2 cells, every grid component covering >= 4000 cells at 2048^2, and at least one class in
# >= 2 components. Screened from seeds 0..39: the others differ from the grid only by single
# cells at the tip of a wedge thinner than a cell (e.g. ReLU seed 5, LeakyReLU seed 3), where
# the grid, not the exact count, is wrong.
GRID_CASES = [("relu", 2, (1, 2)), ("relu", 4, (3, 1)), ("relu", 19, (2, 1)), ("relu", 39, (1, 2)),
              ("leaky_relu:0.1", 2, (1, 2)), ("leaky_relu:0.1", 8, (2, 1)),
              ("leaky_relu:0.1", 18, (1, 2)), ("leaky_relu:0.1", 34, (1, 2))]


@pytest.mark.parametrize("act,seed,expected", GRID_CASES)
def test_agrees_with_a_fine_grid(act, seed, expected):
  pwl = parse_activation(act).pwl()
  ws, bs = _net(seed, [2, 3, 3, 1])
  domain = _box(3)
  counts = D.class_components(R.enumerate_regions(ws, bs, pwl, domain), 2)
  assert (counts[0], counts[1]) == expected
  assert _grid_counts(ws, bs, pwl.slopes[0], domain, 2048) == list(expected)


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("slope", [0.01, 0.2])
def test_leaky_width_2_regions_are_connected_in_the_plane(depth, slope):
  # Theorem (Nguyen et al. 2018; Beise et al.): each LeakyReLU layer of width 2 on 2-D input is a
  # homeomorphism of R^2 (invertible weights), so each class is the preimage of an open half-plane:
  # exactly one component per class. Vertices lie up to ~slope^-depth domains out, so this needs
  # the rings; inside the box the same nets often show two components.
  pwl = parse_activation(f"leaky_relu:{slope}").pwl()
  for seed in range(5):
    ws, bs = _net(seed, [2] * (depth + 1) + [1])
    plane, _ = D.plane_components(ws, bs, pwl, _box(3), 2)
    assert plane == {0: 1, 1: 1}, (seed, plane)


def test_relu_width_2_can_be_disconnected_in_the_plane():
  # The contrast the theorem draws: a random 2-2-2-1 ReLU net with two components of class 0.
  ws, bs = _net(42, [2, 2, 2, 1])
  plane, _ = D.plane_components(ws, bs, RELU, _box(3), 2)
  assert plane == {0: 2, 1: 1}


@pytest.mark.parametrize("act", ["relu", "leaky_relu:0.1"])
def test_certified_box_counts_do_not_change_further_out(act):
  # Beyond a certified box nothing changes: one box four times wider gives the same counts.
  pwl = parse_activation(act).pwl()
  checked = 0
  for seed in range(8):
    ws, bs = _net(seed, [2, 4, 4, 1])
    plane, half = D.plane_components(ws, bs, pwl, _box(3), 2)
    if half <= 96:  # one box stays precise to these scales
      checked += 1
      assert D.class_components(R.enumerate_regions(ws, bs, pwl, _box(4 * half)), 2) == plane
  assert checked >= 3


def test_smooth_activation_and_nan_weights_give_nan():
  ws, bs = _net(0, [2, 3, 1])
  counts = D.class_components(R.enumerate_regions(ws, bs, "tanh", _box(3)), 2)
  assert all(math.isnan(v) for v in counts.values())
  plane, half = D.plane_components(ws, bs, "tanh", _box(3), 2)
  assert all(math.isnan(v) for v in plane.values()) and math.isnan(half)
  plane, half = D.plane_components([np.full((2, 3), np.nan), ws[1]], bs, RELU, _box(3), 2)
  assert all(math.isnan(v) for v in plane.values()) and math.isnan(half)
