"""Tests of research.metrics.edge_subdivision (and its reference and face grouping): the same
regions and patterns as regions.py."""

import math

import numpy as np
import pytest

from research.activations import PiecewiseLinear
from research.metrics import edge_subdivision as ES
from research.metrics import edge_subdivision_reference as ESR
from research.metrics import face_grouping as FG
from research.metrics import regions as R

DOM = np.array([[-1.0, 1.0], [-1.0, 1.0]])


def _net(seed: int, sizes, bias_std: float = 0.5):
  rng = np.random.default_rng(seed)
  ws = [rng.normal(0, math.sqrt(2 / a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
  bs = [rng.normal(0, bias_std, b) for b in sizes[1:]]
  return ws, bs


def _pattern_set(p: np.ndarray) -> set:
  return {row.tobytes() for row in np.ascontiguousarray(p, np.int8)}


def _agree(ws, bs, spec, dom=DOM, plane=None, generic: bool | None = True):
  """Edge subdivision and regions.py give the same count and the same set of patterns; generic:
  whether the fast path must have run (True), must have fallen back (False), or either (None)."""
  reg = R.enumerate_regions(ws, bs, spec, dom, plane, boundary=False)
  sub = ES.subdivide(ws, bs, spec, dom, plane)
  if generic is not None:
    assert (sub is not None) == generic
  if sub is not None:
    assert sub.num_regions == reg.num_regions
    assert len(_pattern_set(sub.patterns)) == sub.num_regions
    assert _pattern_set(sub.patterns) == _pattern_set(reg.patterns)
    np.testing.assert_allclose(sub.areas.sum(), np.prod(dom[:, 1] - dom[:, 0]), rtol=1e-9)
    by_neuron = ESR.subdivide_by_neuron(ws, bs, spec, dom, plane)  # Berzins' order, one cut at a time
    if by_neuron is not None:
      assert _pattern_set(by_neuron.patterns) == _pattern_set(sub.patterns)
      assert len(by_neuron.edges) == len(sub.edges) and len(by_neuron.vertices) == len(sub.vertices)
  assert ES.count_regions_fast(ws, bs, spec, dom, plane) == reg.num_regions
  assert _pattern_set(ES.patterns_fast(ws, bs, spec, dom, plane)) == _pattern_set(reg.patterns)
  return reg.num_regions


RANDOM = [  # (sizes, activation, bias std)
    ((2, 8, 1), "relu", 0.5),
    ((2, 8, 8, 1), "relu", 0.5),
    ((2, 16, 16, 1), "relu", 0.1),
    ((2, 3, 3, 3, 3, 1), "relu", 0.5),
    ((2, 12, 12, 12, 3), "relu", 0.3),
    ((2, 10, 10, 1), "leaky_relu:0.2", 0.5),
    ((2, 10, 10, 1), "leaky_relu:0.01", 0.5),
    ((2, 10, 10, 10, 1), "leaky_relu:0.001", 0.5),
    ((2, 8, 8, 1), "abs", 0.5),
    ((2, 8, 8, 2), "hard_tanh", 0.5),  # two breakpoints per unit
]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("case", range(len(RANDOM)))
def test_random_nets_match_regions_py(case, seed):
  sizes, spec, std = RANDOM[case]
  ws, bs = _net(100 * case + seed, sizes, std)
  assert _agree(ws, bs, spec) >= 1


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8, 40))
@pytest.mark.parametrize("case", range(len(RANDOM)))
def test_many_random_nets_match_regions_py(case, seed):
  sizes, spec, std = RANDOM[case]
  ws, bs = _net(100 * case + seed, sizes, std)
  _agree(ws, bs, spec)


@pytest.mark.parametrize("seed", [1, 2])
def test_issue14_nets(seed):
  rng = np.random.default_rng(seed)
  sizes = (2, 64, 64, 64, 1)
  ws = [rng.normal(0, math.sqrt(2 / a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
  bs = [rng.normal(0, 0.1, b) for b in sizes[1:]]
  assert _agree(ws, bs, "relu") == {1: 15911, 2: 13740}[seed]


# Nets that are degenerate or at the edges of what the fast path handles: (name, sizes, activation,
# bias std, how the net is altered, whether the fast path must run: True, fall back: False, or
# either: None). Each must give regions.py's count and pattern set exactly.
THREE_KNOTS = PiecewiseLinear((-0.5, 0.0, 0.7), (0.1, 1.0, -0.5, 2.0), (-0.45, 0.0, 0.0, -1.75))
NEGATIVE_SLOPE = PiecewiseLinear((0.0,), (-0.5, 1.0), (0.0, 0.0))  # not max(z, a z): np.where path
STEEP = PiecewiseLinear((0.0,), (0.3, 2.0), (0.0, 0.0))


def _zero_biases(ws, bs, rng):
  return ws, [np.zeros_like(b) for b in bs]


def _zero_second_layer_biases(ws, bs, rng):
  return ws, [bs[0], np.zeros_like(bs[1])] + bs[2:]


def _duplicate_second_layer_unit(ws, bs, rng):
  ws, bs = [w.copy() for w in ws], [b.copy() for b in bs]
  ws[1][:, 1], bs[1][1] = ws[1][:, 0], bs[1][0]  # the same bent line twice
  return ws, bs


def _negated_unit(ws, bs, rng):
  ws, bs = [w.copy() for w in ws], [b.copy() for b in bs]
  bs[0][0] = -ws[0][:, 0] @ rng.uniform(-0.5, 0.5, 2)  # through the domain, so it is cut
  ws[0][:, 1], bs[0][1] = -ws[0][:, 0], -bs[0][0]  # the same line, sides swapped
  return ws, bs


def _dead_unit_on_its_line(ws, bs, rng):
  ws, bs = [w.copy() for w in ws], [b.copy() for b in bs]
  ws[0][:, 0], bs[0][0] = 0.0, 0.0  # z = 0 on the whole domain: every vertex is on its "line"
  return ws, bs


def _constant_unit(ws, bs, rng):
  ws, bs = [w.copy() for w in ws], [b.copy() for b in bs]
  ws[0][:, 0], bs[0][0] = 0.0, 0.3  # no line at all
  return ws, bs


def _trained_scale(ws, bs, rng):
  return [3 * w for w in ws], [3 * b for b in bs]  # weights as large as after training


def _same(ws, bs, rng):
  return ws, bs


DEGENERATE = [
    ("zero biases, 3 layers", (2, 6, 6, 6, 1), "relu", 0.5, _zero_biases, False),
    ("zero biases, leaky", (2, 8, 8, 1), "leaky_relu:0.1", 0.5, _zero_biases, False),
    ("zero biases, hard_tanh", (2, 8, 8, 1), "hard_tanh", 0.5, _zero_biases, None),
    ("zero biases in layer 2", (2, 8, 8, 1), "relu", 0.5, _zero_second_layer_biases, None),
    ("duplicated layer-2 unit", (2, 8, 8, 1), "relu", 0.5, _duplicate_second_layer_unit, None),
    ("negated unit", (2, 6, 6, 1), "leaky_relu:0.2", 0.5, _negated_unit, False),
    ("dead unit on its line", (2, 6, 6, 1), "relu", 0.5, _dead_unit_on_its_line, False),
    ("constant unit", (2, 6, 6, 1), "relu", 0.5, _constant_unit, True),
    ("tiny slope", (2, 10, 10, 1), "leaky_relu:1e-6", 0.5, _same, True),
    ("slope 1", (2, 8, 8, 1), "leaky_relu:1", 0.5, _same, True),
    ("negative slope", (2, 8, 8, 1), NEGATIVE_SLOPE, 0.5, _same, True),
    ("slope above 1", (2, 8, 8, 1), STEEP, 0.5, _same, True),
    ("three breakpoints", (2, 6, 6, 1), THREE_KNOTS, 0.5, _same, True),
    ("per-layer relu+leaky", (2, 8, 8, 1), "relu+leaky_relu:0.2", 0.5, _same, True),
    ("per-layer, other breakpoints", (2, 8, 8, 1), "relu+hard_tanh", 0.5, _same, False),
    ("deep narrow", (2, 3, 3, 3, 3, 3, 3, 3, 1), "relu", 0.5, _same, None),
    ("deep narrow leaky", (2, 4, 4, 4, 4, 4, 4, 1), "leaky_relu:0.01", 0.3, _same, True),
    ("wide shallow", (2, 40, 1), "relu", 0.5, _same, True),
    ("trained scale", (2, 12, 12, 12, 1), "leaky_relu:0.01", 0.3, _trained_scale, True),
]


def _degenerate_case(case, seed):
  name, sizes, spec, std, alter, generic = DEGENERATE[case]
  ws, bs = alter(*_net(1000 * case + seed, sizes, std), np.random.default_rng(seed))
  if generic is True and name in ("deep narrow leaky", "trained scale"):
    generic = None  # random deep or large nets may come near a degeneracy by chance
  return ws, bs, spec, generic


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("case", range(len(DEGENERATE)), ids=[d[0] for d in DEGENERATE])
def test_degenerate_and_edge_nets_match_regions_py(case, seed):
  ws, bs, spec, generic = _degenerate_case(case, seed)
  assert _agree(ws, bs, spec, generic=generic) >= 1


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3, 30))
@pytest.mark.parametrize("case", range(len(DEGENERATE)), ids=[d[0] for d in DEGENERATE])
def test_many_degenerate_and_edge_nets_match_regions_py(case, seed):
  ws, bs, spec, generic = _degenerate_case(case, seed)
  _agree(ws, bs, spec, generic=generic)


def test_other_domains_and_a_plane_slice():
  ws, bs = _net(3, (2, 10, 10, 1))
  _agree(ws, bs, "relu", np.array([[-3.0, 2.0], [-2.0, 4.0]]))
  _agree(ws, bs, "relu", np.array([[100.0, 100.5], [-7.0, -6.0]]), generic=None)
  ws, bs = _net(4, (5, 12, 12, 1))
  plane = tuple(np.random.default_rng(0).normal(size=(3, 5)))
  _agree(ws, bs, "relu", np.array([[-2.0, 2.0], [-2.0, 2.0]]), plane=plane)


# ------------------------------------------------------------------------------------------------
# Non-general position: detected, and the answer is regions.py's


@pytest.mark.parametrize("seed", range(4))
def test_zero_biases_fall_back(seed):
  ws, bs = _net(seed, (2, 8, 8, 1))
  bs = [np.zeros_like(b) for b in bs]  # every first-layer line through the origin
  _agree(ws, bs, "relu", generic=False)


@pytest.mark.parametrize("seed", range(4))
def test_duplicated_units_fall_back(seed):
  ws, bs = _net(seed, (2, 6, 6, 1))
  ws[0] = np.concatenate([ws[0], ws[0][:, :2]], 1)  # units 0, 1 twice
  bs[0] = np.concatenate([bs[0], bs[0][:2]])
  ws[1] = np.concatenate([ws[1], ws[1][:2]], 0)
  _agree(ws, bs, "relu", generic=False)


def test_scaled_duplicate_and_parallel_units():
  ws, bs = _net(5, (2, 6, 1))
  # A positive multiple of a unit is the same line (degenerate); a parallel line is generic.
  scaled = (np.c_[ws[0], 3 * ws[0][:, :1]], np.r_[bs[0], 3 * bs[0][:1]])
  parallel = (np.c_[ws[0], ws[0][:, :1]], np.r_[bs[0], bs[0][:1] + 0.05])
  for (W, b), generic in ((scaled, False), (parallel, True)):
    _agree([W, np.ones((W.shape[1], 1))], [b, np.zeros(1)], "relu", generic=generic)


def test_line_through_a_vertex_falls_back():
  ws, bs = _net(6, (2, 5, 1))
  W, b = ws[0], bs[0]
  x = np.linalg.solve(W[:, :2].T, -b[:2])  # where lines 0 and 1 cross
  assert np.abs(x).max() < 1, "pick a net whose first crossing is inside the domain"
  d = np.array([0.3, -1.1])  # a third line through that point
  W = np.c_[W, d]
  b = np.r_[b, -d @ x]
  _agree([W, np.ones((6, 1))], [b, np.zeros(1)], "relu", generic=False)
  # Through two corners of the domain (x + y = 0 meets (1, -1) and (-1, 1)), and along its edge.
  corner = (np.c_[ws[0], [1.0, 1.0]], np.r_[bs[0], 0.0])
  edge = (np.c_[ws[0], [1.0, 0.0]], np.r_[bs[0], 1.0])  # x = -1
  for W2, b2 in (corner, edge):
    _agree([W2, np.ones((6, 1))], [b2, np.zeros(1)], "relu", generic=False)


def test_dead_layers_and_tiny_nets():
  ws, bs = _net(7, (2, 6, 6, 1))
  bs[0] = bs[0] - 10.0  # every first-layer unit dead on the domain: one region
  assert _agree(ws, bs, "relu", generic=None) == 1
  ws, bs = _net(8, (2, 1, 1))
  _agree(ws, bs, "relu", generic=None)
  assert ES.count_regions_fast([np.eye(2), np.ones((2, 1))], [np.zeros(2), np.zeros(1)], "identity", DOM) == 1


def test_smooth_activation():
  ws, bs = _net(0, (2, 4, 1))
  assert math.isnan(ES.count_regions_fast(ws, bs, "tanh", DOM))
  with pytest.raises(ValueError):
    ES.patterns_fast(ws, bs, "tanh", DOM)
  with pytest.raises(ValueError):
    ES.subdivide(ws, bs, None, DOM)


def test_exact_tolerance_only_where_the_cheap_bound_is_not_enough(monkeypatch):
  # On issue 14's first net the |W|-product bound flags a vertex that the exact per-face
  # tolerance clears: the exact one is computed (for the few faces around the flagged vertices,
  # not for all), and the result is still the generic one.
  calls = []
  exact = ES._face_sizes
  monkeypatch.setattr(ES, "_face_sizes", lambda *a: calls.append(len(a[3])) or exact(*a))
  rng = np.random.default_rng(1)
  sizes = (2, 64, 64, 64, 1)
  ws = [rng.normal(0, math.sqrt(2 / a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
  bs = [rng.normal(0, 0.1, b) for b in sizes[1:]]
  sub = ES.subdivide(ws, bs, "relu", DOM)
  assert sub is not None and sub.num_regions == 15911 and calls and max(calls) < 50
  calls.clear()
  ws, bs = _net(0, (2, 8, 8, 1))
  assert ES.subdivide(ws, bs, "relu", DOM) is not None and not calls


def test_face_grouping_survives_hash_collisions(monkeypatch):
  ws, bs = _net(9, (2, 12, 12, 1))
  want = _pattern_set(ES.subdivide(ws, bs, "relu", DOM).patterns)
  monkeypatch.setattr(FG, "_HASH", np.zeros_like(FG._HASH))  # every row collides: exact sort
  sub = ES.subdivide(ws, bs, "relu", DOM)
  assert _pattern_set(sub.patterns) == want and sub.num_regions == len(want)
