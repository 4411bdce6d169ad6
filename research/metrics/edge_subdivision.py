"""Exact activation regions of a 2-D slice by edge subdivision (Berzins, ICML 2023), in numpy.

The domain rectangle is a planar graph (4 vertices, 4 edges, 1 face). For every hidden unit (and,
for a piecewise-linear activation with several breakpoints, every breakpoint) the value of its
pre-activation minus the breakpoint is known at every vertex; an edge whose two ends have opposite
signs gets a new vertex (linear interpolation: the net is affine along an edge, which every
earlier cut has already subdivided), and the two new vertices on the boundary of each face crossed
are joined by a new edge that splits the face. Vertices carry the pre-activations of the whole
layer, so new vertices get them by the same interpolation; the next layer's values at the
vertices are act(z) @ W + b. Faces are tracked on the edges (each edge knows its one or two
faces), and a face's pattern is its sign vector, as regions.enumerate_regions reads a polygon's
pattern at its centroid.

Two implementations, same graph (same vertices, edges and patterns; tested):
- `subdivide` (here, used by the public functions, several times faster): all cuts of one layer at
  once. Inside a face of the layer-start graph every unit of the layer is a straight line, so the
  layer's graph there does not depend on the order: the layer-start edges are cut at all their
  crossings, each face's two crossings with a line make a chord, chords are cut where the other
  lines change sign along them, and faces are the distinct (layer-start face, sign words) of the
  sides of the edges (face_grouping.py). Each layer-start face must then hold 1 + chords + chord
  crossings faces.
- `edge_subdivision_reference.subdivide_by_neuron`: Berzins' order, one (unit, breakpoint) cut at
  a time, vectorised over the edges of each cut; `subdivide` is tested against it.
This module also holds what both share: the `Subdivision` result, its final sliver and area check
(`finish`), the activation's fast path (`apply_pwl`) and the degeneracy tolerance
(DEGENERATE_FACTOR).

Both count regions and patterns exactly as regions.enumerate_regions does, under one condition,
checked, never assumed: general position with margin. If a vertex lies within a few times
regions.ON_LINE_REL of a line not through it (a line through a vertex: zero first-layer biases put
every line through the origin; duplicated units; a line through a box corner; three lines
through a point), if a face is crossed other than through exactly two of its edges, if the face
counts disagree, or if a final face is a sliver that regions.SLIVER_REL / THIN_REL would have
merged, they return None and the public functions fall back to regions.enumerate_regions, whose
result is then the answer. A count is never silently different.

Public entry points (same network convention as regions.py: weights (d_in, h1) ... (h_L, d_out),
biases (h1,) ... (d_out,); the output layer is ignored, only hidden units make regions; act is a
spec string, Activation, ActivationKind or PiecewiseLinear; plane=(origin, e1, e2) for a slice of
a higher-dimensional input, as in regions.enumerate_regions):

  count_regions_fast(weights, biases, act, domain, plane=None) -> int (NaN for a smooth act)
  patterns_fast(weights, biases, act, domain, plane=None) -> (R, hidden units) int8 piece indices
  subdivide(weights, biases, act, domain, plane=None) -> Subdivision | None (None: not generic)
  subdivide_or_enumerate(...) -> Subdivision, or regions.enumerate_regions' Regions where None
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Sequence

import numpy as np

from research.metrics.face_grouping import chains, pack, paired, patterns_of, unique_rows, unpack
from research.metrics.pwl_networks import ActLike, check_net, input_map, layer_pwls, to_pwl
from research.metrics.regions import ON_LINE_REL, SLIVER_REL, THIN_REL, enumerate_regions

# A vertex whose value for a cut is within DEGENERATE_FACTOR * ON_LINE_REL * (the largest size, over
# the layer-start faces that hold the vertex, of that cut's affine function on the domain) is too
# close to call: regions.py tests it with that size on the polygon it clips, a piece of one of
# those faces. `subdivide` first tries a cheap upper bound of every such size (from |W| products,
# no per-face maps), and only for the (vertex, line) pairs that bound flags composes the maps of
# the few faces around them (_face_sizes; the reference takes the largest over all faces).
DEGENERATE_FACTOR = 4.0


@dataclasses.dataclass
class Subdivision:
  """The planar graph of the activation regions: vertices, edges, faces and face patterns."""

  vertices: np.ndarray  # (V, 2) in (u, v) coordinates
  edges: np.ndarray  # (E, 2) vertex indices
  edge_faces: np.ndarray  # (E, 2) the faces each edge borders (-1: outside the domain)
  areas: np.ndarray  # (F,) one per face (region)
  _patterns: object  # the patterns, or a function that builds them (on first use)

  @property
  def patterns(self) -> np.ndarray:
    """(F, hidden units) int8 piece indices, one row per face (region)."""
    if callable(self._patterns):
      self._patterns = self._patterns()
    return self._patterns

  @property
  def num_regions(self) -> int:
    return len(self.areas)


def apply_pwl(pwl, z: np.ndarray, overwrite: bool = False) -> np.ndarray:
  """pwl(z), with fast paths for one breakpoint at 0 without intercepts (ReLU, LeakyReLU);
  overwrite: z may be overwritten with the result (spares an allocation on the fast paths)."""
  if pwl.breakpoints == (0.0,) and pwl.intercepts == (0.0, 0.0):
    lo, hi = pwl.slopes
    # max(z, lo z) is z for z >= 0 and lo z below when 0 <= lo <= 1: no temporaries of np.where
    # (a third of a layer's time on 2-64-64-64 nets). ReLU gives +0.0 where the general form
    # gives -0.0: the same number in every later product.
    out = z if overwrite else None
    if hi == 1.0 and lo == 0.0:
      return np.maximum(z, 0.0, out=out)
    if hi == 1.0 and 0.0 < lo <= 1.0:
      return np.maximum(z, lo * z, out=out)
    return np.where(z >= 0, hi * z, lo * z)
  return pwl(z)


def _line_values(Z: np.ndarray, bps: np.ndarray) -> np.ndarray:
  """Z - breakpoint for every line (unit j, breakpoint i is column j * len(bps) + i); Z itself,
  not a copy, for the one breakpoint 0 (ReLU, LeakyReLU), so writes to it are writes to Z."""
  if len(bps) == 1:
    return Z if bps[0] == 0.0 else Z - bps[0]
  return (Z[:, :, None] - bps).reshape(len(Z), -1)


def _lerp(Y: np.ndarray, a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
  """Y[a] + t (Y[b] - Y[a]) row by row, in place on one gathered copy (the same floats)."""
  out = Y[b]
  ya = Y[a]
  out -= ya
  out *= t[:, None]
  out += ya
  return out


def finish(Xv, A_, B_, fs, F, pats, domain) -> Subdivision | None:
  """The Subdivision, or None if a face is a sliver regions.py would not have split off."""
  # Areas and thicknesses (area / perimeter) of the faces. A face is convex, so it is the fan of
  # triangles from any one of its vertices (its apex) to its edges: |cross| summed over the edges
  # is twice its area (one scatter for the apex instead of three bincounts for a vertex mean).
  # Coordinates as two 1-D columns: gathers of contiguous floats.
  (u0, u1), (v0, v1) = domain
  ext = np.abs(domain).max(1)
  F1, F2 = fs[:, 0], fs[:, 1]
  inside = np.flatnonzero(F2 >= 0)
  F2in = F2[inside]
  xu, xv = np.ascontiguousarray(Xv[:, 0]), np.ascontiguousarray(Xv[:, 1])
  au, av, bu, bv = xu[A_], xv[A_], xu[B_], xv[B_]
  apex = np.empty(F, np.int64)
  apex[F1] = A_
  apex[F2in] = A_[inside]

  def twice_fan_area(face, a_u, a_v, b_u, b_v):
    o = apex[face]
    ou, ov = xu[o], xv[o]
    return np.abs((a_u - ou) * (b_v - ov) - (a_v - ov) * (b_u - ou))

  area = 0.5 * (np.bincount(F1, twice_fan_area(F1, au, av, bu, bv), F)
                + np.bincount(F2in, twice_fan_area(F2in, au[inside], av[inside], bu[inside], bv[inside]), F))
  length = np.hypot(bu - au, bv - av)
  perim = np.bincount(F1, length, F) + np.bincount(F2in, length[inside], F)
  area_tol = SLIVER_REL * (u1 - u0) * (v1 - v0)
  thin_tol = THIN_REL * ext.max()
  # A face at least twice as thick as THIN_REL (or as large as SLIVER_REL) makes every piece that
  # held it pass regions.py's test when it was split off (a superset is at least half as thick).
  if not ((area >= area_tol) | (area >= 2 * thin_tol * perim)).all():
    return None
  if not np.isclose(area.sum(), (u1 - u0) * (v1 - v0), rtol=1e-9, atol=0):
    return None
  return Subdivision(Xv, np.stack([A_, B_], 1), np.stack([F1, F2], 1), area, pats)


def _face_sizes(ws, bs, pwl, pats, li, Emat, origin, ext) -> np.ndarray:
  """(faces, lines) the size |a| . ext + |c - t| of every line of layer li on each face with these
  patterns (its map a . x + c composed from them): the scale of regions.py's tolerance there."""
  bps = np.asarray(layer_pwls(pwl, len(ws) - 1)[li].breakpoints, np.float64)
  A = np.broadcast_to(Emat, (len(pats),) + Emat.shape)
  c = np.broadcast_to(origin, (len(pats),) + origin.shape)
  col = 0
  # (faces, 2, d) @ (d, h) as one (2 faces, d) @ (d, h) product: numpy's batched matmul would call
  # a tiny gemm per face (seconds for thousands of faces).
  compose = lambda A, w: (A.reshape(-1, A.shape[-1]) @ w).reshape(len(A), 2, w.shape[1])
  for w, b, layer in zip(ws[:li], bs[:li], layer_pwls(pwl, len(ws) - 1)):
    slopes, inters = np.asarray(layer.slopes), np.asarray(layer.intercepts)
    ZA, Zc = compose(A, w), c @ w + b
    p = pats[:, col:col + w.shape[1]].astype(np.int64)
    col += w.shape[1]
    A, c = ZA * slopes[p][:, None, :], Zc * slopes[p] + inters[p]
  ZA, Zc = compose(A, ws[li]), c @ ws[li] + bs[li]
  size = (np.abs(ZA) * ext[None, :, None]).sum(1)[:, :, None] + np.abs(Zc[:, :, None] - bps)
  return size.reshape(len(pats), -1)


def subdivide(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: ActLike,
              domain: np.ndarray, plane=None) -> Subdivision | None:
  """The exact region graph by edge subdivision, or None where the net is not in general position
  (with margin) on the domain and regions.enumerate_regions must decide. Raises for a smooth act.

  All cuts of one layer are made at once: inside a face of the layer-start graph every unit of the
  layer is a straight line, so the layer's graph there is known without an order. The edges of
  the layer-start graph are cut at all their crossings (sorted along each edge); each face's two
  crossings with a line are its chord; chord j is cut where the sign of line k differs at its two
  ends (and chord k where line j's does: this is checked); faces are the distinct (layer-start
  face, sign vector of the layer) of the two sides of every edge, read at its midpoint. Each
  layer-start face then holds 1 + chords + crossings faces, which is checked too."""
  domain = np.asarray(domain, np.float64)
  if domain.shape != (2, 2) or not (domain[:, 0] < domain[:, 1]).all():
    raise ValueError(f"domain must be [[u_lo, u_hi], [v_lo, v_hi]] with lo < hi, got {domain.tolist()}")
  pwl = to_pwl(act)
  if pwl is None:
    raise ValueError("edge subdivision needs a piecewise-linear activation")
  ws, bs = check_net(weights, biases)
  pieces = layer_pwls(pwl, len(ws) - 1)
  if len({p.breakpoints for p in pieces}) > 1:
    return None  # the line bookkeeping assumes one set of breakpoints: enumerate_regions decides
  Emat, origin = input_map(ws[0].shape[0], plane)
  (u0, u1), (v0, v1) = domain
  ext = np.abs(domain).max(1)
  bps = np.asarray((pieces[0] if pieces else pwl).breakpoints, np.float64)
  nb = len(bps)
  # The largest |slope| of any layer bounds how fast each layer's input can change.
  slopes = np.concatenate([np.asarray(p.slopes) for p in (pieces or [pwl])])

  X = np.array([[u0, v0], [u1, v0], [u1, v1], [u0, v1]])
  ea, eb = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 0])
  fs = np.array([[0, -1]] * 4, np.int64)  # the faces each edge borders (-1: outside)
  F = 1
  # gamma (2, d): a bound on |d(layer input) / du|, |d / dv| over all faces (exact for the input).
  gamma = np.abs(Emat)
  smax = np.abs(slopes).max()
  layer_in = X @ Emat + origin
  hist = []  # per layer: (layer-start face of each face, its sign words or None, units)
  layers = list(zip(ws[:-1], bs[:-1]))
  for li, (w, b) in enumerate(layers):
    last_layer = li == len(layers) - 1
    h = w.shape[1]
    L = h * nb  # lines: unit j, breakpoint i is line j * nb + i
    gmax = gamma @ np.abs(w)  # (2, h): bounds |d z / du|, |d z / dv| over all faces
    Z = layer_in @ w
    Z += b
    if L == 0:  # no breakpoints: one piece, nothing is cut
      hist.append((np.arange(F), None, h))
      gamma = smax * gmax
      layer_in = pieces[li](Z)
      continue
    V = len(X)
    G = _line_values(Z, bps)
    # regions.py calls a vertex on a line when its value is within ON_LINE_REL * |a| . ext + |c|
    # for the line's affine map a . x + c on the polygon at hand. For x in that polygon,
    # |c| <= |value at x| + |a| . ext, and |a| <= gmax: so size bounds every polygon's scale.
    grad = np.repeat((gmax * ext[:, None]).sum(0), nb)
    size = np.abs(G).max(0) + 2 * grad
    eps = DEGENERATE_FACTOR * ON_LINE_REL * size

    def too_close(values, faces_of, own_lines=()):
      """Whether a vertex (row of values) is within the tolerance of a line not through it: the
      cheap bound first; the pairs it flags are checked against the exact tolerance of the faces
      holding the vertex (faces_of(rows) -> (row index, face) pairs). own_lines: per row, the
      distinct lines the vertex was made on (value exactly 0, skipped). Counting the near entries
      spares a mask of the skipped ones when nothing else is near, the usual case."""
      near = np.abs(values) <= eps
      if np.count_nonzero(near) <= len(own_lines) * len(values):
        return False
      rows, lines = np.nonzero(near)
      other = np.ones(len(rows), bool)
      for own in own_lines:
        other &= lines != own[rows]
      rows, lines = rows[other], lines[other]
      urows, at = np.unique(rows, return_inverse=True)
      pair_row, pair_face = faces_of(urows)
      faces, face_at = np.unique(pair_face, return_inverse=True)
      sizes = _face_sizes(ws, bs, pwl, patterns_of(hist, F, nb, faces), li, Emat, origin, ext)
      tol = np.zeros((len(urows), L))
      np.maximum.at(tol, pair_row, sizes[face_at])
      return bool((np.abs(values[rows, lines]) <= DEGENERATE_FACTOR * ON_LINE_REL * tol[at, lines]).any())

    def faces_at_vertices(vs):
      """(index into vs, face) of every face around the layer-start vertices vs (sorted)."""
      pairs = []
      for end in (ea, eb):
        at = np.flatnonzero(np.isin(end, vs))
        for side in (0, 1):
          pairs.append((np.searchsorted(vs, end[at]), fs[at, side]))
      pr, pf = (np.concatenate(x) for x in zip(*pairs))
      return pr[pf >= 0], pf[pf >= 0]

    if too_close(G, faces_at_vertices):  # a line through a vertex of the layer-start graph
      return None
    Sw = pack(G > 0)  # (V, words): which side of every line each vertex lies on
    # Crossings of the layer-start edges (unpacked only on the edges some line crosses).
    flips = Sw[ea] ^ Sw[eb]
    crossed = np.flatnonzero(flips.any(1))
    ce, cl = np.nonzero(unpack(flips[crossed], L))
    ce = crossed[ce]
    a, bb = ea[ce], eb[ce]
    ga, gb = G[a, cl], G[bb, cl]
    t = ga / (ga - gb)
    Xb = _lerp(X, a, bb, t)
    Zb = _lerp(Z, a, bb, t)
    Gb = _line_values(Zb, bps)
    rb = np.arange(len(ce))
    Gb[rb, cl] = 0.0  # on its own line exactly (in Zb too where Gb is Zb)
    def faces_at_edge_crossings(rows):
      pr, pf = np.repeat(np.arange(len(rows)), 2), fs[ce[rows]].ravel()
      return pr[pf >= 0], pf[pf >= 0]

    if too_close(Gb, faces_at_edge_crossings, (cl,)):  # two lines meet on an edge
      return None
    Sb = pack(Gb > 0)
    vb = V + rb
    # Chords: the two crossings of each line with the boundary of each face it crosses.
    inc_f = fs[ce].T.ravel()
    keep = inc_f >= 0
    pairs = paired((inc_f * L + np.tile(cl, 2))[keep], np.tile(rb, 2)[keep])
    if pairs is None:
      return None
    ck, P, Q = pairs  # P, Q: indices into the crossings
    chord_f, chord_l = ck // L, ck % L
    nc = len(ck)
    # Crossings of chords inside their face: line k changes sign between the ends of chord j.
    # (Both ends of chord j are on line j, value 0, sign bit 0: it never crosses itself.)
    ci, lj = np.nonzero(unpack(Sb[P] ^ Sb[Q], L))
    own = chord_l[ci]
    pk = (chord_f[ci] * L + np.minimum(own, lj)) * L + np.maximum(own, lj)
    up = own < lj
    iu, idn = np.flatnonzero(up), np.flatnonzero(~up)
    ou, od = np.argsort(pk[iu]), np.argsort(pk[idn])  # distinct keys (checked): no stable sort
    if len(iu) != len(idn) or (pk[iu][ou] != pk[idn][od]).any() or (np.diff(pk[iu][ou]) == 0).any():
      return None  # chord j crosses line k but chord k does not cross line j: not generic
    gp, gq = Gb[P[ci], lj], Gb[Q[ci], lj]
    s = gp / (gp - gq)  # position of each crossing along its chord
    pu, qu = P[ci[iu]], Q[ci[iu]]
    Xi = _lerp(Xb, pu, qu, s[iu])
    Zi = _lerp(Zb, pu, qu, s[iu])
    Gi = _line_values(Zi, bps)
    r = np.arange(len(iu))
    Gi[r, own[iu]] = 0.0
    Gi[r, lj[iu]] = 0.0
    in_face = lambda rows: (np.arange(len(rows)), chord_f[ci[iu[rows]]])
    if too_close(Gi, in_face, (own[iu], lj[iu])):  # three lines through one point
      return None
    vi = V + len(ce) + r
    vid = np.empty(len(ci), np.int64)
    vid[iu] = vi
    vid[idn[od]] = vi[ou]
    # The new graph: layer-start edges cut at their crossings, chords cut at theirs.
    X = np.concatenate([X, Xb, Xi])
    Sw = np.concatenate([Sw, Sb, pack(Gi > 0)])
    ba, bb_, bseg = chains(ea, eb, ce, t, vb)
    ca, cb, cseg = chains(vb[P], vb[Q], ci, s, vid)
    # Faces: the two sides of every edge, as (layer-start face, signs of the layer's lines). At
    # most one end of an edge lies on a line other than its own, and there its sign bit is 0, so
    # the side of the edge is the OR of its ends; its own line is set to either side.
    mb = Sw[ba] | Sw[bb_]
    mc = Sw[ca] | Sw[cb]
    cl_ = chord_l[cseg]
    word, bit = cl_ // 64, np.left_shift(np.uint64(1), (cl_ % 64).astype(np.uint64))
    cr = np.arange(len(ca))
    mc_pos, mc_neg = mc.copy(), mc
    mc_pos[cr, word] |= bit
    mc_neg[cr, word] &= ~bit
    bf = fs[bseg]
    side2 = np.flatnonzero(bf[:, 1] >= 0)
    f0 = np.concatenate([bf[:, 0], bf[side2, 1], chord_f[cseg], chord_f[cseg]])
    words = np.concatenate([mb, mb[side2], mc_pos, mc_neg])
    gid, first, F_new = unique_rows(f0, words)
    if F_new != F + nc + len(iu):  # Euler, face by face: 1 + chords + crossings
      return None
    nB = len(ba)
    fb = np.full((nB, 2), -1, np.int64)
    fb[:, 0] = gid[:nB]
    fb[side2, 1] = gid[nB:nB + len(side2)]
    o = nB + len(side2)
    fcs = np.stack([gid[o:o + len(ca)], gid[o + len(ca):]], 1)
    ea, eb = np.concatenate([ba, ca]), np.concatenate([bb_, cb])
    fs = np.concatenate([fb, fcs])
    anc = f0[first]
    hist.append((anc, words[first], h))
    F = F_new
    if not last_layer:
      Z = np.concatenate([Z, Zb, Zi])
      gamma = smax * gmax
      layer_in = apply_pwl(pieces[li], Z, overwrite=True)  # Z is not read again
  return finish(X, ea, eb, fs, F, functools.partial(patterns_of, hist, F, nb), domain)


def subdivide_or_enumerate(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: ActLike,
                           domain: np.ndarray, plane=None):
  """The Subdivision, or regions.enumerate_regions' Regions where the net is not in general
  position (both carry num_regions and patterns; isinstance(_, Subdivision) tells which ran)."""
  sub = subdivide(weights, biases, act, domain, plane)
  return sub if sub is not None else enumerate_regions(weights, biases, act, domain, plane, boundary=False)


def count_regions_fast(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: ActLike,
                       domain: np.ndarray, plane=None) -> int | float:
  """Number of activation regions on the domain, as regions.enumerate_regions counts them."""
  if to_pwl(act) is None:
    return float("nan")
  return subdivide_or_enumerate(weights, biases, act, domain, plane).num_regions


def patterns_fast(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: ActLike,
                  domain: np.ndarray, plane=None) -> np.ndarray:
  """Activation patterns of the regions (R, hidden units) int8, as regions.enumerate_regions's
  (rows in another order). Raises for a smooth activation, where no regions exist."""
  if to_pwl(act) is None:
    raise ValueError("patterns are not defined for a smooth activation")
  return subdivide_or_enumerate(weights, biases, act, domain, plane).patterns
