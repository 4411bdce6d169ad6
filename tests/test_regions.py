"""Tests of research.metrics.regions: exact regions, segments, pattern counts, boundaries."""

import itertools
import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from research.activations import parse_activation
from research.metrics import activation_patterns as AP
from research.metrics import pwl_networks as N
from research.metrics import regions as R
from research.metrics import segment_regions as SR

RELU = parse_activation("relu").pwl()


def _net(seed: int, sizes, bias_std: float = 0.5):
  """He-initialised MLP with Gaussian biases (random weights are in general position)."""
  rng = np.random.default_rng(seed)
  ws = [rng.normal(0, math.sqrt(2 / a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
  bs = [rng.normal(0, bias_std, b) for b in sizes[1:]]
  return ws, bs


def _pre_activations(ws, bs, act, x):
  zs, a = [], x
  for w, b in zip(ws[:-1], bs[:-1]):
    z = a @ w + b
    zs.append(z)
    a = act(z)
  return zs


def _grid(lo: float, hi: float, n: int) -> np.ndarray:
  """(n+1)^2 points, endpoints included, so the grid of n is a subset of the grid of 2n."""
  u = np.linspace(lo, hi, n + 1)
  U, V = np.meshgrid(u, u)
  return np.stack([U.ravel(), V.ravel()], 1)


def _inradius_lower_bound(p: np.ndarray) -> float:
  """area / perimeter <= inradius for a convex polygon."""
  per = np.linalg.norm(np.roll(p, -1, 0) - p, axis=1).sum()
  area = 0.5 * abs((p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1]).sum())
  return area / per


def _canonical(reg: R.Regions):
  """Regions sorted by centroid, each polygon's vertices sorted: comparable up to ordering."""
  cen = np.array([p.mean(0) for p in reg.polygons])
  order = np.lexsort((cen[:, 1].round(9), cen[:, 0].round(9)))
  return [np.array(sorted(map(tuple, reg.polygons[i]))) for i in order], reg.patterns[order]


# ------------------------------------------------------------------------------------------------
# Exact enumeration


@pytest.mark.parametrize("n", [1, 3, 10])
@pytest.mark.parametrize("spec", ["relu", "leaky_relu:0.2", "abs"])
def test_one_hidden_layer_is_a_line_arrangement(n, spec):
  ws, bs = _net(n, (2, n, 1))
  W, b = ws[0], bs[0]
  # Lines W[:, i] . x + b_i = 0; size the box to hold every pairwise intersection with margin.
  pts = [np.linalg.solve(W[:, [i, j]].T, -b[[i, j]]) for i, j in itertools.combinations(range(n), 2)]
  half = 1.5 * max([np.abs(p).max() for p in pts] + [np.abs(b).max() / np.abs(W).max(0).min()]) + 1
  reg = R.enumerate_regions(ws, bs, spec, np.array([[-half, half], [-half, half]]))
  assert reg.num_regions == 1 + n + n * (n - 1) // 2
  assert len(np.unique(reg.patterns, axis=0)) == reg.num_regions


def test_exact_count_is_the_limit_of_grid_pattern_counts():
  dom = (-2.0, 2.0)
  h = (dom[1] - dom[0]) / 1024
  # Seed 1: every region's inradius exceeds the finest grid's half-diagonal, so the grid must
  # hit every region. Seed 0 has a region thinner than that (bound < h / sqrt 2): its grid count
  # stays below the exact one, but never above it and never with a pattern the exact count lacks.
  for seed, resolved in [(1, True), (0, False)]:
    ws, bs = _net(seed, (2, 6, 6, 1))
    reg = R.enumerate_regions(ws, bs, RELU, np.array([dom, dom]))
    thinnest = min(_inradius_lower_bound(p) for p in reg.polygons)
    assert (thinnest > h / math.sqrt(2)) == resolved
    # The grid of n is every (1024 / n)-th point of the finest grid in each direction.
    fine = [z.reshape(1025, 1025, -1) for z in _pre_activations(ws, bs, RELU, _grid(*dom, 1024))]
    counts = []
    for n in (64, 128, 256, 512, 1024):
      zs = tuple(jnp.asarray(z[::1024 // n, ::1024 // n].reshape((n + 1) ** 2, -1), jnp.float32)
                 for z in fine)
      counts.append(int(AP.count_patterns(zs, RELU.breakpoints)))
    assert counts == sorted(counts)
    assert counts[-1] <= reg.num_regions
    if resolved:
      assert counts[0] < counts[-1] == reg.num_regions  # the coarse grid misses some: not trivial
    else:
      assert counts[-1] < reg.num_regions
    # The patterns seen on the grid are exact patterns (12 ReLU bits packed in an int for speed).
    bits = 1 << np.arange(12)
    grid_pats = np.concatenate([RELU.piece_index(z.reshape(1025 ** 2, -1)) for z in fine], 1)
    assert set(np.unique(grid_pats @ bits)) <= set(reg.patterns.astype(np.int64) @ bits)


NETS = {  # name: (sizes, activation spec, plane dimension or None)
    "relu_2x8_binary": ((2, 8, 8, 1), "relu", None),
    "leaky_3x10_multi": ((2, 10, 10, 10, 3), "leaky_relu:0.2", None),
    "abs_2x8": ((2, 8, 8, 1), "abs", None),
    "hard_tanh_2x8_multi": ((2, 8, 8, 4), "hard_tanh", None),
    "relu_plane_5d": ((5, 12, 12, 1), "relu", 5),
    "identity": ((2, 6, 1), "identity", None),
}


@pytest.mark.parametrize("name", sorted(NETS))
def test_tiling_affine_maps_and_patterns_match_forward_pass(name):
  sizes, spec, dim = NETS[name]
  ws, bs = _net(7, sizes)
  act = parse_activation(spec).pwl()
  rng = np.random.default_rng(0)
  plane = None if dim is None else tuple(rng.normal(size=(3, dim)))
  dom = np.array([[-3.0, 2.0], [-2.0, 4.0]])
  reg = R.enumerate_regions(ws, bs, spec, dom, plane=plane)
  E, origin = (np.eye(2), np.zeros(2)) if plane is None else (np.stack(plane[1:]), plane[0])
  assert reg.num_regions == len(reg.polygons) == len(reg.patterns) == len(reg.affine)
  np.testing.assert_allclose(reg.areas.sum(), 30.0, rtol=1e-9)
  assert (reg.areas > 0).all()  # counter-clockwise
  shoelace = [0.5 * (p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1]).sum()
              for p in reg.polygons]
  np.testing.assert_allclose(shoelace, reg.areas, rtol=1e-12)
  assert len(np.unique(reg.patterns, axis=0)) == reg.num_regions  # one region per pattern
  if spec == "identity":
    assert reg.num_regions == 1
  # Points drawn inside each polygon (convex combinations of its vertices): the region's affine
  # map equals the forward pass, and the pattern at the vertex mean is the region's.
  uv = np.concatenate([rng.dirichlet(np.ones(len(p)), 5) @ p for p in reg.polygons])
  A = np.repeat(reg.affine_A, 5, 0)
  c = np.repeat(reg.affine_c, 5, 0)
  want = N.forward_numpy(ws, bs, act, uv @ E + origin)
  np.testing.assert_allclose(np.einsum("rk,rkd->rd", uv, A) + c, want, rtol=1e-5, atol=1e-5)
  cen = np.array([p.mean(0) for p in reg.polygons])
  _, pats = N.forward_numpy(ws, bs, act, cen @ E + origin, return_patterns=True)
  np.testing.assert_array_equal(pats, reg.patterns)


def test_leaky_relu_one_hidden_layer_has_the_relu_partition():
  ws, bs = _net(3, (2, 12, 1))
  dom = np.array([[-3.0, 3.0], [-3.0, 3.0]])
  polys, pats = _canonical(R.enumerate_regions(ws, bs, RELU, dom))
  assert len(polys) > 30
  for spec in ("leaky_relu:0.01", "leaky_relu:0.2"):
    lpolys, lpats = _canonical(R.enumerate_regions(ws, bs, spec, dom))
    assert len(lpolys) == len(polys)
    np.testing.assert_array_equal(lpats, pats)
    for p, q in zip(polys, lpolys):
      np.testing.assert_allclose(p, q, atol=1e-12)


# ------------------------------------------------------------------------------------------------
# Segments


@pytest.mark.parametrize("spec", ["relu", "hard_tanh"])
def test_segment_count_matches_fine_sampling(spec):
  act = parse_activation(spec).pwl()
  ws, bs = _net(11, (5, 16, 16, 16, 1))
  rng = np.random.default_rng(1)
  p0, p1 = rng.normal(size=(2, 5)) * 2
  breaks, pats = SR.segment_intervals(ws, bs, act, p0, p1)
  n = 400_000
  assert np.diff(breaks).min() > 3 / n  # every interval holds sample points: the test is exact
  t = np.linspace(0, 1, n + 1)
  _, sp = N.forward_numpy(ws, bs, act, p0 + t[:, None] * (p1 - p0), return_patterns=True)
  changes = np.flatnonzero(np.any(sp[1:] != sp[:-1], 1))
  count = SR.count_regions_on_segment(ws, bs, spec, p0, p1)
  assert count == len(pats) == 1 + len(changes) > 20
  # The sampled pattern changes sit at the exact breaks, and carry the exact patterns.
  np.testing.assert_allclose(t[changes], breaks[1:-1], atol=1.5 / n)
  np.testing.assert_array_equal(sp[np.r_[0, changes + 1]], pats)
  np.testing.assert_allclose(SR.region_density(ws, bs, spec, p0, p1), count / np.linalg.norm(p1 - p0))


def test_segment_count_agrees_with_2d_enumeration_along_a_line():
  ws, bs = _net(5, (2, 10, 10, 1))
  dom = np.array([[-2.0, 2.0], [-2.0, 2.0]])
  reg = R.enumerate_regions(ws, bs, RELU, dom)
  p0, p1 = np.array([-2.0, -1.3]), np.array([2.0, 1.7])
  # Regions the segment crosses with positive length: clip it to each (convex) polygon.
  crossed = 0
  for p in reg.polygons:
    lo, hi = 0.0, 1.0
    for a, b in zip(p, np.roll(p, -1, 0)):
      nrm = np.array([b[1] - a[1], a[0] - b[0]])  # outward normal of a ccw edge
      num, den = nrm @ (a - p0), nrm @ (p1 - p0)
      if abs(den) < 1e-15:
        lo, hi = (lo, hi) if num >= 0 else (1.0, 0.0)
      elif den > 0:
        hi = min(hi, num / den)
      else:
        lo = max(lo, num / den)
    crossed += hi - lo > 1e-9
  assert SR.count_regions_on_segment(ws, bs, RELU, p0, p1) == crossed > 5


# ------------------------------------------------------------------------------------------------
# Decision boundary


def _relu_abs_layer(extra_w=np.zeros((2, 0)), extra_b=np.zeros(0)):
  """Hidden ReLU units x, -x, y, -y (so |x| = relu(x) + relu(-x)) plus extra units."""
  W = np.concatenate([np.array([[1.0, -1, 0, 0], [0, 0, 1, -1]]), extra_w], 1)
  return W, np.concatenate([np.zeros(4), extra_b])


def test_boundary_of_abs_diamond():
  # logit = 1 - |x| - |y|: the boundary is the diamond |x| + |y| = 1, four edges of length sqrt 2.
  ws, bs = [np.eye(2), -np.ones((2, 1))], [np.zeros(2), np.ones(1)]
  reg = R.enumerate_regions(ws, bs, "abs", np.array([[-2.0, 2.0], [-2.0, 2.0]]))
  assert reg.num_regions == 4
  assert reg.boundary_pieces == 4
  np.testing.assert_allclose(reg.boundary_length, 4 * math.sqrt(2), rtol=1e-12)


def test_boundary_diamond_fragmented_by_extra_relu_units_merges_back():
  # The same diamond from ReLUs, plus units with zero output weight whose lines cut the diamond's
  # edges into several pieces: the merged boundary is still four segments of total 4 sqrt 2.
  W, b = _relu_abs_layer(np.array([[1.0, 0, 0.7], [0, 1, 0.7]]), np.array([-0.3, 0.2, -0.1]))
  ws, bs = [W, np.r_[-np.ones(4), np.zeros(3)][:, None]], [b, np.ones(1)]
  reg = R.enumerate_regions(ws, bs, RELU, np.array([[-2.0, 2.0], [-2.0, 2.0]]))
  assert len(reg.boundary_segments) > 4
  assert reg.boundary_pieces == 4
  np.testing.assert_allclose(reg.boundary_length, 4 * math.sqrt(2), rtol=1e-12)
  corners = {tuple(np.round(p, 9)) for p in reg.boundary_merged.reshape(-1, 2)}
  assert corners == {(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)}


def test_boundary_of_two_layer_square():
  # logit = 1 - max(|x|, |y|) = 1 - |y| - relu(|x| - |y|): the square of side 2, length 8. Its
  # edges are cut by the line y = 0 of layer 1, so merging is needed to get four pieces.
  W1, b1 = _relu_abs_layer()
  W2 = np.array([[1.0, 0], [1, 0], [-1, 1], [-1, 1]])
  ws, bs = [W1, W2, -np.ones((2, 1))], [b1, np.zeros(2), np.ones(1)]
  reg = R.enumerate_regions(ws, bs, RELU, np.array([[-1.5, 1.5], [-1.5, 1.5]]))
  assert reg.boundary_pieces == 4
  assert len(reg.boundary_segments) == 8
  np.testing.assert_allclose(reg.boundary_length, 8.0, rtol=1e-12)


def test_multiclass_boundary_including_edges_on_region_lines():
  # logits (x, y, 0) on [-1, 1]^2: class changes on the rays x = y > 0, x = 0 > y and y = 0 > x.
  # The last two run along region boundaries (the lines of the units), so they are kept only
  # because the classes differ on their two sides.
  W1, b1 = _relu_abs_layer()
  W2 = np.array([[1.0, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]])
  reg = R.enumerate_regions([W1, W2], [b1, np.zeros(3)], RELU, np.array([[-1.0, 1.0], [-1.0, 1.0]]))
  assert reg.boundary_pieces == 3
  np.testing.assert_allclose(reg.boundary_length, 2 + math.sqrt(2), rtol=1e-12)


@pytest.mark.parametrize("sign, length", [(1.0, 2.0), (-1.0, 0.0)])
def test_binary_zero_set_on_a_region_line(sign, length):
  # sign +1: logit = x changes class across x = 0, a region line: boundary of length 2.
  # sign -1: logit = -|x| is zero on x = 0 but negative on both sides: there is no boundary.
  W1, b1 = _relu_abs_layer()
  w2 = np.array([[1.0], [-sign], [0], [0]]) * sign
  reg = R.enumerate_regions([W1, w2], [b1, np.zeros(1)], RELU, np.array([[-1.0, 1.0], [-1.0, 1.0]]))
  np.testing.assert_allclose(reg.boundary_length, length, atol=1e-12)
  assert reg.boundary_pieces == (1 if length else 0)


def test_random_binary_boundary_matches_grid_label_changes():
  # A segment with direction (dx, dy) crosses |dy| / h grid rows and |dx| / h grid columns, so
  # the label changes between grid neighbours count sum(|dx| + |dy|) / h of the exact segments.
  ws, bs = _net(2, (2, 12, 12, 1))
  dom = np.array([[-2.0, 2.0], [-2.0, 2.0]])
  reg = R.enumerate_regions(ws, bs, RELU, dom)
  d = reg.boundary_segments[:, 1] - reg.boundary_segments[:, 0]
  want = np.abs(d).sum()
  n = 1024
  h = 4 / n
  labels = N.forward_numpy(ws, bs, RELU, _grid(-2.0, 2.0, n))[:, 0].reshape(n + 1, n + 1) > 0
  changes = (labels[1:] != labels[:-1]).sum() + (labels[:, 1:] != labels[:, :-1]).sum()
  assert want > 1.0
  np.testing.assert_allclose(changes * h, want, rtol=0.02)


# ------------------------------------------------------------------------------------------------
# Pattern counts in JAX


@pytest.mark.parametrize("spec", ["relu", "hard_tanh"])
def test_count_patterns_is_exact_jittable_and_vmappable(spec):
  act = parse_activation(spec).pwl()
  rng = np.random.default_rng(0)
  x = rng.uniform(-2, 2, (4000, 3))
  per_model = []
  for seed in (0, 1):
    ws, bs = _net(seed, (3, 40, 5, 1))  # 40 units: more than one uint32 word per layer
    per_model.append(_pre_activations(ws, bs, act, x))
  want = [len(np.unique(np.concatenate([act.piece_index(z) for z in zs], 1), axis=0))
          for zs in per_model]
  assert min(want) > 50
  got = [int(AP.count_patterns(tuple(map(jnp.asarray, zs)), act.breakpoints)) for zs in per_model]
  assert got == want
  stacked = tuple(jnp.asarray(np.stack(z)) for z in zip(*per_model))
  vm = jax.jit(jax.vmap(lambda zs: AP.count_patterns(zs, act.breakpoints)))(stacked)
  assert vm.tolist() == want


def test_count_patterns_edge_cases():
  z = (jnp.zeros((10, 3)),)
  assert int(AP.count_patterns(z, (0.0,))) == 1
  assert int(AP.count_patterns(z, ())) == 1  # identity: one piece
  # A point on a breakpoint takes the piece to its right, as PiecewiseLinear.piece_index does.
  assert int(AP.count_patterns((jnp.array([[-1.0], [1.0], [0.0]]),), (0.0,))) == 2
  assert int(AP.count_patterns((jnp.array([[0.0], [1.0]]),), (0.0,))) == 1
  assert int(AP.count_patterns((jnp.array([[1.0], [2.0], [-1.0], [-0.5]]),), (-1.0, 1.0))) == 2


# ------------------------------------------------------------------------------------------------
# Smooth activations


@pytest.mark.parametrize("spec", ["gelu", "tanh", "silu"])
def test_smooth_activation_gives_nan_with_reason(spec):
  ws, bs = _net(0, (2, 4, 1))
  dom = np.array([[-1.0, 1.0], [-1.0, 1.0]])
  reason = f"linear regions are not defined for {spec} (not piecewise linear)"
  assert not N.regions_defined(spec) and not N.regions_defined(None)
  assert N.regions_defined("relu") and N.regions_defined("leaky_relu") and N.regions_defined(RELU)
  count, why = R.region_count_or_nan(ws, bs, spec, dom)
  assert math.isnan(count) and why == reason
  count, why = R.region_count_or_nan(ws, bs, None, dom, activation_name=spec)
  assert math.isnan(count) and why == reason
  reg = R.enumerate_regions(ws, bs, None, dom, activation_name=spec)
  assert math.isnan(reg.num_regions) and math.isnan(reg.boundary_length) and reg.reason == reason
  assert math.isnan(SR.count_regions_on_segment(ws, bs, spec, np.zeros(2), np.ones(2)))
  assert math.isnan(SR.region_density(ws, bs, None, np.zeros(2), np.ones(2)))
  dens, why = SR.region_density_or_nan(ws, bs, spec, np.zeros(2), np.ones(2))
  assert math.isnan(dens) and why == reason
  cnt, why = AP.count_patterns_or_nan((jnp.zeros((5, 4)),), spec)
  assert jnp.isnan(cnt) and why == reason
  assert jnp.isnan(AP.count_patterns((jnp.zeros((5, 4)),), None))
  count, why = R.region_count_or_nan(ws, bs, "relu", dom)
  assert count >= 1 and why == ""


def test_regions_without_the_boundary_are_the_same_regions():
  ws, bs = _net(3, (2, 8, 8, 1))
  domain = np.array([[-3.0, 3.0], [-2.0, 2.0]])
  full = R.enumerate_regions(ws, bs, RELU, domain)
  bare = R.enumerate_regions(ws, bs, RELU, domain, boundary=False)
  assert bare.num_regions == full.num_regions and len(full.boundary_merged) > 0
  for (p, pat), (q, qat) in zip(zip(*_canonical(full)), zip(*_canonical(bare))):
    np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(pat, qat)
  np.testing.assert_array_equal(bare.affine_A, full.affine_A)
  assert len(bare.boundary_segments) == 0 and math.isnan(bare.boundary_length)
  assert math.isnan(bare.boundary_pieces)


# ------------------------------------------------------------------------------------------------
# Scale


@pytest.mark.slow
def test_deep_relu_network_enumerates_within_a_minute():
  ws, bs = _net(0, (2, 64, 64, 64, 1), bias_std=0.1)
  start = time.perf_counter()
  reg = R.enumerate_regions(ws, bs, RELU, np.array([[-6.0, 6.0], [-6.0, 6.0]]))
  seconds = time.perf_counter() - start
  print(f"2-64-64-64-1 on [-6, 6]^2: {reg.num_regions} regions in {seconds:.1f} s")
  assert reg.num_regions > 5000 and seconds < 60
  np.testing.assert_allclose(reg.areas.sum(), 144.0, rtol=1e-9)
  assert len(np.unique(reg.patterns, axis=0)) == reg.num_regions


# ------------------------------------------------------------------------------------------------
# Issue 14: tiny genuine regions


def _issue14_net(seed: int):
  """Berzins' nets of issue 14: numpy default_rng(seed), the four kernels, then the four biases."""
  rng = np.random.default_rng(seed)
  sizes = (2, 64, 64, 64, 1)
  ws = [rng.normal(0, math.sqrt(2 / a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
  bs = [rng.normal(0, 0.1, b) for b in sizes[1:]]
  return ws, bs


def _lp_inradius(ws, bs, pattern, dom) -> float:
  """LP certificate: the largest t with a disk of radius t inside the box on which every unit
  has its pattern's sign strictly (t > 0 beyond float error: the pattern is a real region)."""
  from scipy.optimize import linprog
  A, c, rows, k = np.eye(2), np.zeros(2), [], 0
  for w, b in zip(ws[:-1], bs[:-1]):
    ZA, Zc = A @ w, c @ w + b
    p = pattern[k:k + w.shape[1]]
    k += w.shape[1]
    s = np.where(p > 0, 1.0, -1.0)
    rows.append(np.c_[-s[:, None] * ZA.T, np.linalg.norm(ZA, axis=0), s * Zc])  # -s g.x + t|g| <= s c
    A, c = ZA * p, Zc * p  # ReLU: slope 1 on piece 1, 0 on piece 0
  box = np.array([[-1, 0, 1, -dom[0, 0]], [1, 0, 1, dom[0, 1]], [0, -1, 1, -dom[1, 0]], [0, 1, 1, dom[1, 1]]])
  M = np.concatenate(rows + [box])
  res = linprog([0, 0, -1], A_ub=M[:, :3], b_ub=M[:, 3], bounds=[(None, None)] * 2 + [(None, 1)],
                method="highs")
  assert res.status == 0
  return float(res.x[2])


@pytest.mark.parametrize("seed, want, tiny", [(1, 15911, 5), (2, 13740, 3)])
def test_issue14_tiny_fat_regions_are_counted(seed, want, tiny):
  # Berzins' edge subdivision finds 15,911 and 13,740 regions; the area-only sliver rule
  # (SLIVER_REL) found 15,906 and 13,737: it merged 5 and 3 genuine regions of area 5e-15..4e-12
  # that are small but fat triangles (LP inradius 2e-8..7e-7, far above float error).
  ws, bs = _issue14_net(seed)
  dom = np.array([[-1.0, 1.0], [-1.0, 1.0]])
  reg = R.enumerate_regions(ws, bs, RELU, dom, boundary=False)
  assert reg.num_regions == want == len(np.unique(reg.patterns, axis=0))
  np.testing.assert_allclose(reg.areas.sum(), 4.0, rtol=1e-12)
  small = np.flatnonzero(reg.areas < R.SLIVER_REL * 4.0)  # the ones area alone would drop
  assert len(small) == tiny
  for r in small:
    assert _lp_inradius(ws, bs, reg.patterns[r], dom) > 1e-8  # a real region, by 8 orders
