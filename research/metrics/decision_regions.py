"""Exact connected components of the decision regions of piecewise-linear nets with 2-D input.

The decision region of class k is the OPEN set where logit k beats every other logit (binary head:
class 1 where the logit is > 0, class 0 where it is < 0), so points on the decision boundary belong
to no class. Inside one activation region (regions.enumerate_regions) the logits are affine, so a
class's part of the region is a convex polygon: a *piece*. Two pieces of one class are connected
when they share a boundary segment of positive length on which the class wins strictly; touching
at a single point, or along a segment where the logits tie (logit = |x| has class 1 on both sides
of x = 0 but not on it), connects nothing. The components are those of the piece graph.

`class_components` counts them on the enumerated rectangle, `plane_components` in the whole plane
(R^2), where a theorem speaks (Nguyen, Mukkamala, Hein 2018; Beise et al. 2018: LeakyReLU nets no
wider than their input have connected decision regions), whereas a pixel grid inside the data box
splits a region that is connected only outside the box, or through a sliver thinner than a cell.

Tolerances are relative to the scale of each enumerated rectangle (the largest |coordinate| of its
corners), as in regions.py: pieces below regions.SLIVER_REL of its area and thinner than
regions.THIN_REL of its scale (area / perimeter) are dropped, and shared
segments shorter than LINE_REL of its scale connect nothing. A component joined only through such
a sliver is therefore counted as several, as regions.py undercounts regions that thin.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from research.metrics.polygons import big_enough, centroids, clip, next_index, pad_to, valid
from research.metrics.pwl_networks import ActLike, layer_pwls, to_pwl
from research.metrics.regions import ON_LINE_REL, SLIVER_REL, THIN_REL, Regions, enumerate_regions

# Edge endpoints within LINE_REL * scale of a line lie on it; overlaps shorter than that are points.
# It is the tolerance regions._merge_collinear joins boundary segments with.
LINE_REL = 1e-9
# A vertex of the arrangement counts as inside a box when it is this far (relative to the
# half-width) from the box's edge: a ray leaving the box must cross it over a positive length.
INSIDE_REL = 1e-6
# Two lines whose directions differ by less than this (relative |cross product|) are parallel: they
# are rounding of parallel lines (a ReLU region where one unit is off makes the next layer's lines
# parallel to the other's; rounding tilts them by ~1e-16), and a genuine crossing that flat lies
# ~1e12 times further out than the lines' offsets differ.
PARALLEL_REL = 1e-12
# plane_components' default: boxes up to 2^40 (~1e12) times the first. LeakyReLU with slope s
# shrinks the negative side by s per layer, which puts vertices ~s^-depth domains away (measured
# for random 2-2-1 nets with s = 0.01: 15 of 40 have a vertex beyond 64 domains); each doubling
# costs four enumerations of a ring that holds few regions.
MAX_DOUBLINGS = 40


# ------------------------------------------------------------------------------------------------
# Pieces: each activation region clipped to each class's half-planes


def _logits_of_head(A: np.ndarray, c: np.ndarray, num_classes: int):
  """(A (R, 2, K), c (R, K)): a binary head's logit g becomes the two logits (0, g)."""
  if A.shape[2] == 1:
    if num_classes != 2:
      raise ValueError(f"a head with one logit is binary, got num_classes={num_classes}")
    return np.concatenate([np.zeros_like(A), A], 2), np.concatenate([np.zeros_like(c), c], 1)
  if A.shape[2] != num_classes:
    raise ValueError(f"the head has {A.shape[2]} logits but num_classes={num_classes}")
  return A, c


def _margin_eps(dA: np.ndarray, dc: np.ndarray, ext: np.ndarray) -> np.ndarray:
  """Rounding size of affine functions (R, 2), (R,) over rectangles with |u|, |v| <= ext (R, 2)."""
  # A value within ON_LINE_REL of it is zero, as regions.py treats a vertex on a cut.
  return ON_LINE_REL * ((np.abs(dA) * ext).sum(1) + np.abs(dc))


def _wins(A, c, ext, k: int, x: np.ndarray) -> np.ndarray:
  """Whether class k beats every other class strictly (beyond rounding) at points x (R, n, 2)."""
  ok = np.ones(x.shape[:2], bool)
  for j in range(A.shape[2]):
    if j != k:
      dA, dc = A[:, :, k] - A[:, :, j], c[:, k] - c[:, j]
      ok &= np.einsum("rnk,rk->rn", x, dA) + dc[:, None] > _margin_eps(dA, dc, ext)[:, None]
  return ok


def _class_pieces(verts, nv, A, c, ext, area_tol):
  """Pieces of every class in every region: vertices (m, V, 2), counts (m,), class (m,), region (m,)."""
  out = []
  for k in range(A.shape[2]):
    cell, cn = verts, nv
    for j in range(A.shape[2]):
      if j != k:
        dA, dc = A[:, :, k] - A[:, :, j], c[:, k] - c[:, j]
        f = np.einsum("rvk,rk->rv", cell, dA) + dc[:, None]
        (cell, cn), = clip(cell, cn, f, _margin_eps(dA, dc, ext), sides=(1,))
    # A piece of positive area where the class does not win at the centroid lies in a region on
    # which the logits tie throughout (a dead net): no part of the open decision region. Inside a
    # piece the margin is concave (a minimum of affine functions) and >= 0, so it is > 0 at the
    # centroid unless it is 0 throughout.
    keep = (big_enough(cell, cn, area_tol, THIN_REL * ext.max(1))
            & _wins(A, c, ext, k, centroids(cell, cn)[:, None])[:, 0])
    r = np.flatnonzero(keep)
    out.append((cell[r], cn[r], np.full(len(r), k), r))
  width = max(p.shape[1] for p, *_ in out)
  return (np.concatenate([pad_to(p, width) for p, *_ in out]),
          *(np.concatenate([o[i] for o in out]) for i in (1, 2, 3)))


def _tiles_pieces(tiles: Sequence[Regions], num_classes: int):
  """The pieces of several enumerated rectangles (tiles) at once, with per-region maps and scales.

  Returns P, nv, cls, reg (index into the stacked regions of all tiles), A, c, ext (R, 2) and the
  line tolerance of each piece (that of its tile)."""
  polys = [p for t in tiles for p in t.polygons]
  width = max(len(p) for p in polys)
  verts = np.stack([pad_to(p[None], width)[0] for p in polys])
  nv = np.array([len(p) for p in polys])
  A, c = zip(*(_logits_of_head(t.affine_A, t.affine_c, num_classes) for t in tiles))
  A, c = np.concatenate(A), np.concatenate(c)
  tile = np.repeat(np.arange(len(tiles)), [len(t.polygons) for t in tiles])
  ext = np.stack([np.abs(t.domain).max(1) for t in tiles])[tile]
  area_tol = np.array([SLIVER_REL * np.prod(t.domain[:, 1] - t.domain[:, 0]) for t in tiles])[tile]
  P, nv, cls, reg = _class_pieces(verts, nv, A, c, ext, area_tol)
  return P, nv, cls, reg, A, c, ext, LINE_REL * ext[reg].max(1)


# ------------------------------------------------------------------------------------------------
# Shared boundary segments between pieces


def _edge_list(P: np.ndarray, nv: np.ndarray):
  """Every edge of every piece: its piece (e,), start (e, 2) and end (e, 2)."""
  nxt = np.take_along_axis(P, next_index(nv, P.shape[1])[..., None], 1)
  piece, i = np.nonzero(valid(nv, P.shape[1]))
  return piece, P[piece, i], nxt[piece, i]


def _near_parallel_pairs(theta: np.ndarray, window: np.ndarray):
  """Pairs i < j of edges whose directions (angles mod pi) differ by at most window_i + window_j."""
  # If |theta_i - theta_j| <= w_i + w_j then it is <= 2 max(w_i, w_j): the edge with the larger
  # window finds the other within twice its own window, so one sorted range search per edge
  # suffices and an edge with a wide window (a short one) widens only its own search. Each angle
  # is also entered at theta -/+ pi: directions near 0 and near pi are the same.
  n = len(theta)
  th = np.concatenate([theta - np.pi, theta, theta + np.pi])
  idx = np.tile(np.arange(n), 3)
  order = np.argsort(th, kind="stable")
  th, idx = th[order], idx[order]
  lo = np.searchsorted(th, theta - 2 * window, side="left")
  hi = np.searchsorted(th, theta + 2 * window, side="right")
  counts = hi - lo
  i = np.repeat(np.arange(n), counts)
  pos = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
  j = idx[pos]
  keep = (i < j) & (np.abs(th[pos] - theta[i]) <= window[i] + window[j])
  pairs = np.unique(np.stack([i[keep], j[keep]], 1), axis=0)  # found from both ends
  return pairs[:, 0], pairs[:, 1]


def _overlaps(p0: np.ndarray, p1: np.ndarray, i: np.ndarray, j: np.ndarray, tol: np.ndarray):
  """Of edge pairs (i, j): on one line and overlapping over more than tol? (mask, overlap midpoints)."""
  # The longer edge's line is the better determined one: the shorter edge must have both ends
  # within tol of it. The overlap is measured along it, so an edge that meets several shorter
  # neighbours each over part of its length (a T-junction) is matched to every one of them.
  length = np.linalg.norm(p1 - p0, axis=1)
  swap = length[i] < length[j]
  a, b = np.where(swap, j, i), np.where(swap, i, j)
  u = (p1[a] - p0[a]) / length[a][:, None]
  n = np.stack([-u[:, 1], u[:, 0]], 1)
  q0, q1 = p0[b] - p0[a], p1[b] - p0[a]
  on_line = (np.abs((q0 * n).sum(1)) <= tol) & (np.abs((q1 * n).sum(1)) <= tol)
  s0, s1 = (q0 * u).sum(1), (q1 * u).sum(1)
  lo = np.maximum(np.minimum(s0, s1), 0.0)
  hi = np.minimum(np.maximum(s0, s1), length[a])
  return on_line & (hi - lo > tol), p0[a] + u * (0.5 * (lo + hi))[:, None]


def _piece_labels(P, nv, cls, reg, A, c, ext, tol) -> np.ndarray:
  """Connected-component label of every piece (pieces of different classes never connect)."""
  piece, p0, p1 = _edge_list(P, nv)
  d = p1 - p0
  length = np.linalg.norm(d, axis=1)
  long = length > tol[piece]  # an edge no longer than tol cannot overlap another by more than tol
  piece, p0, p1, d, length = piece[long], p0[long], p1[long], d[long], length[long]
  theta = np.mod(np.arctan2(d[:, 1], d[:, 0]), np.pi)
  # Ends within tol of a common line tilt an edge of length L by at most ~2 tol / L from it. A
  # pair is judged with the larger tolerance of its two tiles, at most twice the smaller one
  # (neighbouring tiles differ in scale by at most 2), hence 8 tol / L.
  window = np.minimum(8 * tol[piece] / length, np.pi / 2)
  i, j = _near_parallel_pairs(theta, window)
  same = (cls[piece[i]] == cls[piece[j]]) & (piece[i] != piece[j])
  i, j = i[same], j[same]
  overlap, mid = _overlaps(p0, p1, i, j, np.maximum(tol[piece[i]], tol[piece[j]]))
  i, j, mid = i[overlap], j[overlap], mid[overlap]
  # The class must win on the shared segment, not just tie there: then it wins on the whole open
  # segment, since the margin along it is concave and >= 0 at the ends (one region's pieces).
  wins = np.zeros(len(i), bool)
  for k in np.unique(cls[piece[i]]):
    s = np.flatnonzero(cls[piece[i]] == k)
    r = reg[piece[i[s]]]
    wins[s] = _wins(A[r], c[r], ext[r], k, mid[s][:, None])[:, 0]
  m = len(P)
  graph = scipy.sparse.coo_matrix((np.ones(wins.sum()), (piece[i[wins]], piece[j[wins]])), shape=(m, m))
  return scipy.sparse.csgraph.connected_components(graph, directed=False)[1]


def piece_labels(tiles: Sequence[Regions], num_classes: int):
  """The pieces of rectangles that tile a region of the plane: vertices (m, V, 2), vertex counts
  (m,), class (m,) and connected-component label (m,) of each."""
  P, nv, cls, reg, A, c, ext, tol = _tiles_pieces(tiles, num_classes)
  return P, nv, cls, _piece_labels(P, nv, cls, reg, A, c, ext, tol)


def _components(tiles: Sequence[Regions], num_classes: int) -> dict[int, int]:
  """{class: components} over the union of rectangles that tile a region of the plane."""
  _, _, cls, labels = piece_labels(tiles, num_classes)
  return {k: len(np.unique(labels[cls == k])) for k in range(num_classes)}


def class_components(regions: Regions, num_classes: int) -> dict[int, int | float]:
  """{class: connected components of its open decision region inside regions.domain}.

  Exact up to the tolerances of the module docstring; NaN for every class when the regions are
  not defined (smooth activation, see regions.reason). A class that never wins has 0 components.
  """
  if not np.isfinite(regions.num_regions):
    return {k: float("nan") for k in range(num_classes)}
  return _components([regions], num_classes)


# ------------------------------------------------------------------------------------------------
# The whole plane


def _pattern_half_planes(ws, bs, pwl, patterns: np.ndarray):
  """Per region, half-planes a.x + b >= 0 (R, m, 2), (R, m) whose intersection is the whole set
  of R^2 with that activation pattern (unbounded where it is); a = 0, b = 1 where there is none."""
  R = len(patterns)
  A, c = np.broadcast_to(np.eye(2), (R, 2, 2)), np.zeros((R, 2))
  a_out, b_out, col = [], [], 0
  for w, b, layer in zip(ws[:-1], bs[:-1], layer_pwls(pwl, len(ws) - 1)):
    bp_lo = np.r_[-np.inf, layer.breakpoints]  # piece q lies between breakpoints q - 1 and q
    bp_hi = np.r_[layer.breakpoints, np.inf]
    slopes, inters = np.asarray(layer.slopes), np.asarray(layer.intercepts)
    ZA, Zc = A @ w, c @ w + b  # pre-activations as affine maps of the input, per region
    p = patterns[:, col:col + w.shape[1]].astype(np.int64)
    col += w.shape[1]
    for sign, bound in ((1.0, bp_lo[p]), (-1.0, bp_hi[p])):  # z >= lower, -z >= -upper
      finite = np.isfinite(bound)
      a_out.append(np.where(finite[..., None], sign * np.swapaxes(ZA, 1, 2), 0.0))
      b_out.append(np.where(finite, sign * (Zc - np.where(finite, bound, 0.0)), 1.0))
    A, c = ZA * slopes[p][:, None, :], Zc * slopes[p] + inters[p]
  if not a_out:
    return np.zeros((R, 0, 2)), np.zeros((R, 0))
  return np.concatenate(a_out, 1), np.concatenate(b_out, 1)


def _decision_lines(A: np.ndarray, c: np.ndarray):
  """Per region, the lines logit_k = logit_j (k < j) on which the class can change."""
  pairs = [(k, j) for k in range(A.shape[2]) for j in range(k + 1, A.shape[2])]
  return (np.stack([A[:, :, k] - A[:, :, j] for k, j in pairs], 1),
          np.stack([c[:, k] - c[:, j] for k, j in pairs], 1))


def _farthest_vertex(ha, hb, la, lb, centre) -> np.ndarray:
  """Per region, max |x - centre|_inf over the vertices of its whole-plane region and of the
  decision lines inside it (-inf where there are none): half-planes (ha, hb), lines (la, lb)."""
  # Candidates are the crossings of every two lines (region edges and decision lines); those in
  # the region (all its half-planes hold, up to rounding) are its vertices and the places where
  # the decision boundary meets its edges or bends. Regions go in chunks to bound memory.
  i, j = np.triu_indices(la.shape[1], 1)
  out = np.full(len(ha), -np.inf)
  chunk = max(1, 2 ** 22 // max(1, len(i) * ha.shape[1]))
  for s in range(0, len(ha), chunk):
    a, b, h, hb_ = la[s:s + chunk], lb[s:s + chunk], ha[s:s + chunk], hb[s:s + chunk]
    ai, aj, bi, bj = a[:, i], a[:, j], b[:, i], b[:, j]
    det = ai[..., 0] * aj[..., 1] - ai[..., 1] * aj[..., 0]
    scale = np.linalg.norm(ai, axis=-1) * np.linalg.norm(aj, axis=-1)
    crossing = np.abs(det) > PARALLEL_REL * scale  # parallel lines (and missing ones) do not meet
    det = np.where(crossing, det, 1.0)
    x = np.stack([(bj * ai[..., 1] - bi * aj[..., 1]) / det, (bi * aj[..., 0] - bj * ai[..., 0]) / det], -1)
    value = np.einsum("rpk,rmk->rpm", x, h) + hb_[:, None, :]
    size = np.abs(h).sum(-1)[:, None, :] * np.abs(x).max(-1, keepdims=True) + np.abs(hb_)[:, None, :]
    inside = crossing & (value >= -1e-9 * size).all(-1)  # lenient: a doubtful vertex is kept
    dist = np.where(inside, np.abs(x - centre).max(-1), -np.inf)
    out[s:s + chunk] = dist.max(-1, initial=-np.inf)
  return out


def _farthest_arrangement_vertex(tiles: Sequence[Regions], ws, bs, pwl, num_classes: int,
                                 centre: np.ndarray, half: float) -> float:
  """max |x - centre|_inf over the vertices of the whole-plane arrangement of activation regions
  and decision lines held by the regions that reach the edge of the box (-inf if none do)."""
  # Only regions reaching the box's edge can extend beyond it; the others are whole inside.
  out = -np.inf
  for t in tiles:
    far = np.array([np.abs(p - centre).max() >= half * (1 - 1e-9) for p in t.polygons])
    if not far.any():
      continue
    A, c = _logits_of_head(t.affine_A[far], t.affine_c[far], num_classes)
    ha, hb = _pattern_half_planes(ws, bs, pwl, t.patterns[far])
    la, lb = _decision_lines(A, c)
    la, lb = np.concatenate([ha, la], 1), np.concatenate([hb, lb], 1)
    out = max(out, float(_farthest_vertex(ha, hb, la, lb, centre).max()))
  return out


def _ring(centre: np.ndarray, inner: float, outer: float) -> list[np.ndarray]:
  """The four rectangles tiling the square of half-width `outer` minus that of half-width `inner`."""
  (x, y), h, H = centre, inner, outer
  return [np.array(b) for b in ([[x - H, x + H], [y - H, y - h]], [[x - H, x + H], [y + h, y + H]],
                                [[x - H, x - h], [y - h, y + h]], [[x + h, x + H], [y - h, y + h]])]


def plane_components(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: ActLike,
                     domain: np.ndarray, num_classes: int, *, max_doublings: int = MAX_DOUBLINGS
                     ) -> tuple[dict[int, int | float], float]:
  """({class: components of its open decision region in the whole plane R^2}, box half-width).

  The plane is covered by squares centred on the domain, the first of half-width max(side) / 2
  (it holds the domain), each next one twice as wide, until a square is certified: every vertex of
  the arrangement (activation regions, and the decision boundary inside them) lies strictly inside
  it. The vertices of the whole-plane regions that reach the square's edge are computed exactly
  from their activation patterns, so this is checked, not guessed; beyond a certified square the
  regions and class pieces only run out along rays between which nothing changes, every piece out
  there is joined to its part inside, and the counts in the square are those of the plane. (Equal
  counts on two successive squares prove nothing: a wedge whose apex lies beyond both shows two
  components in each.) Each doubling adds the ring between the squares as four rectangles
  enumerated on their own, so tolerances stay relative to the local scale and the domain keeps
  its precision however far the square grows (one box 1e6 domains wide would drop every region
  of the domain as a sliver).

  Counts are NaN for every class, and the half-width NaN, for a smooth activation (regions are not
  defined: pwl_networks.undefined_reason says why) and for non-finite weights. Counts are NaN,
  with the largest half-width allowed, when a vertex lies beyond 2^max_doublings times the first
  square, rather than a count that may be wrong there.
  """
  tiles, half = plane_tiles(weights, biases, act, domain, num_classes, max_doublings=max_doublings)
  if tiles is None:
    return {k: float("nan") for k in range(num_classes)}, half
  return _components(tiles, num_classes), half


def plane_tiles(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: ActLike,
                domain: np.ndarray, num_classes: int, *, max_doublings: int = MAX_DOUBLINGS
                ) -> tuple[list[Regions] | None, float]:
  """(enumerated rectangles tiling the certified square, its half-width), as plane_components
  finds them (see there); (None, NaN) or (None, largest half-width) where it gives NaN counts."""
  pwl = to_pwl(act)
  if pwl is None:
    return None, float("nan")
  ws = [np.asarray(w, np.float64) for w in weights]
  bs = [np.asarray(b, np.float64) for b in biases]
  if not all(np.isfinite(a).all() for a in ws + bs):  # a diverged net has no regions to count
    return None, float("nan")
  domain = np.asarray(domain, np.float64)
  centre = domain.mean(1)
  first = float((domain[:, 1] - domain[:, 0]).max()) / 2
  last = first * 2.0 ** max_doublings
  half = first
  def enumerate_(box):  # polygons, patterns and maps are all that is read: no decision boundary
    return enumerate_regions(ws, bs, pwl, box, boundary=False)

  tiles = [enumerate_(np.stack([centre - half, centre + half], 1))]
  while True:
    far = _farthest_arrangement_vertex(tiles[-4:], ws, bs, pwl, num_classes, centre, half)
    if far < half * (1 - INSIDE_REL):
      return tiles, half
    if not far < last * (1 - INSIDE_REL):
      return None, last
    # Rings up to the first doubling that holds the farthest vertex seen; the regions reached
    # there may have vertices further out still, hence the loop.
    while half < far / (1 - INSIDE_REL):
      tiles += [enumerate_(box) for box in _ring(centre, half, 2 * half)]
      half *= 2
