"""Exact activation regions of a piecewise-linear MLP on a 2-D rectangle (or a 2-D input slice).

An *activation region* is the set of inputs sharing one activation pattern (the piece index of
every hidden unit); for a piecewise-linear activation it is convex and the network is affine on
it. We count activation regions, as Hanin & Rolnick and SplineCam do. Two adjacent activation
regions can carry the same affine map (e.g. a dead ReLU unit), so this is an upper bound on the
number of pieces of the function itself.

`enumerate_regions` is exact in the spirit of SplineCam (Humayun et al., CVPR 2023) without torch
or graph-tool: the domain rectangle is one convex polygon carrying the affine map of the input;
layer by layer each polygon is cut along the lines where a unit's pre-activation meets a
breakpoint (convex clipping by a half-plane, Sutherland-Hodgman, in polygons.py), every piece gets
its pattern and the affine map is composed through the activation. Work is vectorised over
polygons: one numpy step per (unit, breakpoint) clips every polygon the line crosses at once. The
decision boundary is then read off the regions' affine logits (`Regions.boundary_*`). This is the
reference enumerator: edge_subdivision.py is faster and falls back to it; segment_regions.py
counts regions along a segment, activation_patterns.py counts patterns at sampled points.

Networks and activations as in pwl_networks.py (plain numpy, float64 internally). Smooth
activations (`act=None`, or a spec/Activation without pieces): regions are not defined, so the
public functions return NaN and a reason, never a number that means nothing and never raise.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from research.metrics import polygons
from research.metrics.pwl_networks import (ActLike, check_net, classes, forward_numpy, input_map,
                                           layer_pwls, regions_defined, to_pwl, undefined_reason)

# A split is made when its smaller piece is big enough: area at least SLIVER_REL * (domain area),
# or thickness (area / perimeter, between half the inradius and the inradius of a convex polygon)
# at least THIN_REL * (largest |coordinate| of the domain). Otherwise the sliver stays part of its
# neighbour (whose pattern is read at its centroid): such pieces are rounding noise of lines
# passing (almost) through a vertex, a few 1e-16 thick, and the tiling stays exact (areas still
# sum to the domain). Area alone is the wrong test: genuine regions of random 2-64-64-64-1 nets on
# [-1, 1]^2 go down to areas of 5e-15 but are fat triangles (LP inradius 2e-8, issue 14); with
# area alone (SLIVER_REL) they were dropped, 5 and 3 of them on the nets of test_issue14_*.
SLIVER_REL = 1e-12
THIN_REL = 1e-11
# A vertex whose value is within ON_LINE_REL * (the size of the affine function over the domain)
# of the cut is treated as lying on the line; it then belongs to both pieces.
ON_LINE_REL = 1e-10


@dataclasses.dataclass
class Regions:
  """Exact activation regions of a network on a 2-D domain, in (u, v) coordinates."""

  polygons: list[np.ndarray]  # (V, 2) counter-clockwise vertices per region
  patterns: np.ndarray  # (R, total hidden units) int8 piece indices
  affine_A: np.ndarray  # (R, 2, d_out): logits = [u, v] @ A + c inside region r
  affine_c: np.ndarray  # (R, d_out)
  areas: np.ndarray  # (R,)
  num_regions: int | float  # NaN when regions are not defined (smooth activation)
  boundary_segments: np.ndarray  # (S, 2, 2) decision boundary clipped to each region
  boundary_regions: np.ndarray  # (S,) the region each segment lies in
  boundary_merged: np.ndarray  # (M, 2, 2) maximal straight segments of the boundary
  boundary_length: float  # length of the union of the segments
  boundary_pieces: int | float  # M
  domain: np.ndarray  # (2, 2) [[u_lo, u_hi], [v_lo, v_hi]]
  reason: str = ""  # why the counts are NaN; "" when defined

  @property
  def affine(self) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per region (A (2, d_out), c (d_out,)) with logits = [u, v] @ A + c."""
    return list(zip(self.affine_A, self.affine_c))


def _undefined_regions(domain: np.ndarray, reason: str) -> Regions:
  nan = float("nan")
  return Regions([], np.zeros((0, 0), np.int8), np.zeros((0, 2, 0)), np.zeros((0, 0)), np.zeros(0),
                 nan, np.zeros((0, 2, 2)), np.zeros(0, np.int64), np.zeros((0, 2, 2)), nan, nan,
                 domain, reason)


def enumerate_regions(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: ActLike,
                      domain: np.ndarray,
                      plane: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                      activation_name: str | None = None, boundary: bool = True) -> Regions:
  """Exact activation regions and decision boundary of an MLP on a 2-D rectangle (or slice).

  boundary=False skips the decision boundary (about 15% of the time on a 2-64-64-64-1 net), for
  callers that need only the regions: its fields are then empty, its length and piece count NaN.
  """
  domain = np.asarray(domain, np.float64)
  if domain.shape != (2, 2) or not (domain[:, 0] < domain[:, 1]).all():
    raise ValueError(f"domain must be [[u_lo, u_hi], [v_lo, v_hi]] with lo < hi, got {domain.tolist()}")
  pwl = to_pwl(act)
  if pwl is None:
    return _undefined_regions(domain, undefined_reason(act, activation_name))
  ws, bs = check_net(weights, biases)
  E, origin = input_map(ws[0].shape[0], plane)
  (u0, u1), (v0, v1) = domain
  ext = np.abs(domain).max(1)  # |u|, |v| bounds: the scale of an affine function's rounding error
  area_tol = SLIVER_REL * (u1 - u0) * (v1 - v0)
  thin_tol = THIN_REL * ext.max()

  verts = np.array([[[u0, v0], [u1, v0], [u1, v1], [u0, v1]]])
  nv = np.array([4])
  A = E[None]  # (R, 2, width): the current layer input as an affine map of (u, v)
  c = origin[None]
  pats: list[np.ndarray] = []
  for w, b, layer in zip(ws[:-1], bs[:-1], layer_pwls(pwl, len(ws) - 1)):
    bps = np.asarray(layer.breakpoints, np.float64)  # this layer's pieces (per-layer activations)
    slopes, inters = np.asarray(layer.slopes), np.asarray(layer.intercepts)
    ZA, Zc = A @ w, c @ w + b  # pre-activations of this layer, per region at the layer start
    parent = np.arange(len(verts))  # region at the layer start that each polygon came from
    for j in range(w.shape[1]):
      a_j, c_j = ZA[:, :, j], Zc[:, j]
      for t in bps:
        a, cc = a_j[parent], c_j[parent] - t
        f = np.einsum("rvk,rk->rv", verts, a) + cc[:, None]
        eps = ON_LINE_REL * (np.abs(a) @ ext + np.abs(cc))
        valid = polygons.valid(nv, verts.shape[1])
        hit = np.flatnonzero((valid & (f > eps[:, None])).any(1) & (valid & (f < -eps[:, None])).any(1))
        if not len(hit):
          continue
        (Pp, n_pos), (Pn, n_neg) = polygons.clip(verts[hit], nv[hit], f[hit], eps[hit])
        ok = (polygons.big_enough(Pp, n_pos, area_tol, thin_tol)
              & polygons.big_enough(Pn, n_neg, area_tol, thin_tol))
        hit, Pp, n_pos, Pn, n_neg = hit[ok], Pp[ok], n_pos[ok], Pn[ok], n_neg[ok]
        if not len(hit):
          continue
        width = max(verts.shape[1], Pp.shape[1], Pn.shape[1])
        verts = polygons.pad_to(verts, width)
        verts[hit] = polygons.pad_to(Pp, width)
        nv[hit] = n_pos
        verts = np.concatenate([verts, polygons.pad_to(Pn, width)])
        nv = np.concatenate([nv, n_neg])
        parent = np.concatenate([parent, parent[hit]])
    # No cut crosses a polygon now, so its centroid's pattern is the polygon's pattern.
    ZA, Zc = ZA[parent], Zc[parent]
    z = np.einsum("rk,rkh->rh", polygons.centroids(verts, nv), ZA) + Zc
    p = np.searchsorted(bps, z, side="right")  # PiecewiseLinear.piece_index convention
    pats = [q[parent] for q in pats] + [p.astype(np.int8)]
    A = ZA * slopes[p][:, None, :]
    c = Zc * slopes[p] + inters[p]
  GA, Gc = A @ ws[-1], c @ ws[-1] + bs[-1]

  verts, nv = polygons.dedupe_vertices(verts, nv, 1e-13 * ext.max())
  areas = polygons.areas(verts, nv)
  if boundary:
    segs, seg_reg = _boundary_segments(verts, nv, GA, Gc, ext, ws, bs, pwl, E, origin)
    merged = _merge_collinear(segs, 1e-9 * ext.max())
    length, pieces = float(np.linalg.norm(merged[:, 1] - merged[:, 0], axis=1).sum()), len(merged)
  else:
    segs, seg_reg, merged = np.zeros((0, 2, 2)), np.zeros(0, np.int64), np.zeros((0, 2, 2))
    length, pieces = float("nan"), float("nan")
  patterns = np.concatenate(pats, 1) if pats else np.zeros((len(verts), 0), np.int8)
  return Regions(
      polygons=[verts[r, :nv[r]].copy() for r in range(len(verts))], patterns=patterns,
      affine_A=GA, affine_c=Gc, areas=areas, num_regions=len(verts), boundary_segments=segs,
      boundary_regions=seg_reg, boundary_merged=merged, boundary_length=length,
      boundary_pieces=pieces, domain=domain)


def _boundary_segments(verts, nv, GA, Gc, ext, ws, bs, pwl, E, origin):
  """Decision-boundary pieces inside each region: the shared edges of its argmax cells."""
  # A binary head is treated as the two logits (0, g), so the zero line of g is the edge between
  # the cells of class 0 and 1. Within a region the cell of class k is the polygon clipped by
  # g_k >= g_j for every j; its edges on a line g_k = g_j (j > k, so each edge is taken once) are
  # boundary. If that line runs along the region's own edge rather than through it (hand-built
  # networks do this), the classes 1e-7 to either side are read from the network itself and the
  # edge kept only if they differ: logit = -|x| touches zero on x = 0 but changes no class.
  if GA.shape[2] == 1:
    GA = np.concatenate([np.zeros_like(GA), GA], 2)
    Gc = np.concatenate([np.zeros_like(Gc), Gc], 1)
  K = GA.shape[2]
  segs, regs, check = [], [], []
  for k in range(K):
    cell, cn = verts, nv
    for j in range(K):
      if j == k:
        continue
      dA, dc = GA[:, :, k] - GA[:, :, j], Gc[:, k] - Gc[:, j]
      f = np.einsum("rvk,rk->rv", cell, dA) + dc[:, None]
      (cell, cn), = polygons.clip(cell, cn, f, ON_LINE_REL * (np.abs(dA) @ ext + np.abs(dc)), sides=(1,))
    width = cell.shape[1]
    valid = polygons.valid(cn, width)
    nxt_P = np.take_along_axis(cell, polygons.next_index(cn, width)[..., None], 1)
    for j in range(k + 1, K):
      dA, dc = GA[:, :, k] - GA[:, :, j], Gc[:, k] - Gc[:, j]
      eps = ON_LINE_REL * (np.abs(dA) @ ext + np.abs(dc))
      on = lambda P: np.abs(np.einsum("rvk,rk->rv", P, dA) + dc[:, None]) <= eps[:, None]
      edge = valid & on(cell) & on(nxt_P) & (np.abs(nxt_P - cell).max(-1) > 1e-12 * ext.max())
      # The line crosses the region's interior iff the region has vertices strictly on both sides.
      s = polygons.signs(np.einsum("rvk,rk->rv", verts, dA) + dc[:, None], eps)
      vv = polygons.valid(nv, verts.shape[1])
      through = ((s > 0) & vv).any(1) & ((s < 0) & vv).any(1)
      r, i = np.nonzero(edge)
      segs.append(np.stack([cell[r, i], nxt_P[r, i]], 1))
      regs.append(r)
      check.append(~through[r])
  segs = np.concatenate(segs) if segs else np.zeros((0, 2, 2))
  regs = np.concatenate(regs) if regs else np.zeros(0, np.int64)
  check = np.concatenate(check) if check else np.zeros(0, bool)
  if check.any():
    s = segs[check]
    d = s[:, 1] - s[:, 0]
    n = np.stack([-d[:, 1], d[:, 0]], 1) / np.linalg.norm(d, axis=1, keepdims=True)
    mid = s.mean(1)
    delta = 1e-7 * ext.max()
    side = lambda uv: classes(forward_numpy(ws, bs, pwl, uv @ E + origin))
    keep = np.ones(len(segs), bool)
    keep[np.flatnonzero(check)] = side(mid + delta * n) != side(mid - delta * n)
    segs, regs = segs[keep], regs[keep]
  return segs, regs


def _merge_collinear(segs: np.ndarray, tol: float) -> np.ndarray:
  """Maximal straight segments: the union, line by line, of segments on a common line."""
  # Segments are grouped by their supporting line (direction angle within 1e-9 rad, offset within
  # tol), projected onto it, and overlapping or touching intervals (gap <= tol) merged. This joins
  # consecutive collinear pieces that share an endpoint (a boundary line running straight through
  # several regions whose maps agree along it) and removes double counting where one edge was
  # reported by the regions on both sides of it.
  if not len(segs):
    return np.zeros((0, 2, 2))
  d = segs[:, 1] - segs[:, 0]
  d = d / np.linalg.norm(d, axis=1, keepdims=True)
  flip = (d[:, 1] < 0) | ((d[:, 1] == 0) & (d[:, 0] < 0))
  d[flip] *= -1
  angle = np.arctan2(d[:, 1], d[:, 0])  # in [0, pi]
  # Angles near pi and near 0 are the same line direction: fold the top end down.
  top = angle > np.pi - 1e-9
  angle[top] -= np.pi
  d[top] *= -1
  n = np.stack([-d[:, 1], d[:, 0]], 1)
  offset = (n * segs[:, 0]).sum(1)
  order = np.argsort(angle, kind="stable")
  group = np.zeros(len(segs), np.int64)
  group[order] = np.cumsum(np.r_[0, np.diff(angle[order]) > 1e-9])
  order = np.lexsort((offset, group))
  new = np.r_[True, (np.diff(group[order]) != 0) | (np.diff(offset[order]) > tol)]
  line = np.empty(len(segs), np.int64)
  line[order] = np.cumsum(new) - 1
  out = []
  for g in range(line.max() + 1):
    idx = np.flatnonzero(line == g)
    dg, ng = d[idx[0]], n[idx[0]]
    og = offset[idx].mean()
    a = segs[idx] @ dg  # (m, 2) positions along the line
    lo, hi = a.min(1), a.max(1)
    o = np.argsort(lo)
    cur_lo, cur_hi = lo[o[0]], hi[o[0]]
    for i in o[1:]:
      if lo[i] <= cur_hi + tol:
        cur_hi = max(cur_hi, hi[i])
      else:
        out.append((cur_lo, cur_hi, dg, ng, og))
        cur_lo, cur_hi = lo[i], hi[i]
    out.append((cur_lo, cur_hi, dg, ng, og))
  return np.array([[o_ * n_ + lo_ * d_, o_ * n_ + hi_ * d_] for lo_, hi_, d_, n_, o_ in out])


def region_count_or_nan(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: ActLike,
                        domain: np.ndarray, activation_name: str | None = None,
                        plane: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                        ) -> tuple[float, str]:
  """(number of regions on the domain, "") or (NaN, reason) for a smooth activation."""
  if not regions_defined(act):
    return float("nan"), undefined_reason(act, activation_name)
  return float(enumerate_regions(weights, biases, act, domain, plane, boundary=False).num_regions), ""

