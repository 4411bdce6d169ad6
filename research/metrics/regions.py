"""Linear regions of piecewise-linear MLPs: exact 2-D slices, exact segments, and pattern counts.

An *activation region* is the set of inputs sharing one activation pattern (the piece index of
every hidden unit); for a piecewise-linear activation it is convex and the network is affine on
it. We count activation regions, as Hanin & Rolnick and SplineCam do. Two adjacent activation
regions can carry the same affine map (e.g. a dead ReLU unit), so this is an upper bound on the
number of pieces of the function itself.

`enumerate_regions` is exact in the spirit of SplineCam (Humayun et al., CVPR 2023) without torch
or graph-tool: the domain rectangle is one convex polygon carrying the affine map of the input;
layer by layer each polygon is cut along the lines where a unit's pre-activation meets a
breakpoint (convex clipping by a half-plane, Sutherland-Hodgman), every piece gets its pattern and
the affine map is composed through the activation. Work is vectorised over polygons: one numpy
step per (unit, breakpoint) clips every polygon the line crosses at once.

Networks are plain numpy: `weights` (d_in, h1), ..., (h_L, d_out), `biases` (h1,), ..., (d_out,);
a_l = act(a_{l-1} @ W_l + b_l) for hidden layers, logits = a_L @ W_out + b_out; binary head when
d_out == 1 (class 1 iff logit > 0), argmax otherwise. Everything is float64 internally.

Smooth activations (`act=None`, or a spec/Activation without pieces): regions are not defined, so
the public functions return NaN and a reason, never a number that means nothing and never raise.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from research.activations import (Activation, ActivationKind, PiecewiseLinear, get_activation,
                                  parse_activation)
from research.metrics import polygons as _polygons

ActLike = PiecewiseLinear | Activation | ActivationKind | str | None

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
# Segment splits closer than this (in t of [0, 1]) are merged, as slivers are in 2-D.
SEGMENT_TOL = 1e-12


# ------------------------------------------------------------------------------------------------
# Activation handling


def _kind_of(act: ActLike) -> ActivationKind | None:
  """The registry entry behind a spec string or Activation (None for a bare PiecewiseLinear)."""
  if isinstance(act, Activation):
    return act.kind
  if isinstance(act, ActivationKind):
    return act
  if isinstance(act, str):
    return get_activation(act.partition(":")[0])  # unknown names raise: that is a config error
  return None


def regions_defined(act: ActLike) -> bool:
  """Whether linear regions exist for an activation (name, spec, Activation or PiecewiseLinear)."""
  if act is None:
    return False
  if isinstance(act, PiecewiseLinear):
    return True
  return _kind_of(act).piecewise_linear


def _name_of(act: ActLike, name: str | None) -> str:
  if name is not None:
    return name
  if isinstance(act, Activation):
    return act.spec
  if isinstance(act, ActivationKind):
    return act.name
  if isinstance(act, str):
    return act
  return "this activation" if act is None else "a piecewise-linear activation"


def undefined_reason(act: ActLike, name: str | None = None) -> str:
  """Why region counts are NaN for `act` ("" when they are defined)."""
  if regions_defined(act):
    return ""
  return f"linear regions are not defined for {_name_of(act, name)} (not piecewise linear)"


def _to_pwl(act: ActLike) -> PiecewiseLinear | None:
  """The pieces of `act`, or None for a smooth activation."""
  if act is None or isinstance(act, PiecewiseLinear):
    return act
  if isinstance(act, str):
    act = parse_activation(act)  # leaky_relu without a slope raises: the slope is never defaulted
  if isinstance(act, ActivationKind):
    if act.uses_slope and act.fixed_slope is None:
      raise ValueError(f"activation {act.name!r} needs a slope; pass an Activation or a spec string")
    return None if act.pwl is None else act.pwl(act.fixed_slope or 0.0)
  return act.pwl()


def _check_net(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]):
  if len(weights) != len(biases) or not weights:
    raise ValueError(f"need as many weights as biases (>= 1), got {len(weights)} and {len(biases)}")
  ws = [np.asarray(w, np.float64) for w in weights]
  bs = [np.asarray(b, np.float64) for b in biases]
  for i, (w, b) in enumerate(zip(ws, bs)):
    if w.ndim != 2 or b.shape != (w.shape[1],) or (i and w.shape[0] != ws[i - 1].shape[1]):
      raise ValueError(f"layer {i}: weight {w.shape} and bias {b.shape} do not chain")
  return ws, bs


def forward_numpy(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: PiecewiseLinear,
                  x: np.ndarray, return_patterns: bool = False):
  """Plain float64 forward pass: logits (N, d_out) and optionally the patterns (N, hidden units)."""
  ws, bs = _check_net(weights, biases)
  a = np.asarray(x, np.float64)
  pats = []
  for w, b in zip(ws[:-1], bs[:-1]):
    z = a @ w + b
    pats.append(act.piece_index(z))
    a = act(z)
  logits = a @ ws[-1] + bs[-1]
  if return_patterns:
    return logits, (np.concatenate(pats, 1) if pats else np.zeros((len(a), 0), np.int64))
  return logits


def _classes(logits: np.ndarray) -> np.ndarray:
  if logits.shape[1] == 1:
    return (logits[:, 0] > 0).astype(np.int64)
  return np.argmax(logits, 1)


# Vectorised convex-polygon geometry: research.metrics.polygons (the private names are kept).
_next_index, _valid, _areas = _polygons.next_index, _polygons.valid, _polygons.areas
_perimeters, _big_enough, _centroids = _polygons.perimeters, _polygons.big_enough, _polygons.centroids
_signs, _clip, _pad_to = _polygons.signs, _polygons.clip, _polygons.pad_to
_dedupe_vertices = _polygons.dedupe_vertices


# ------------------------------------------------------------------------------------------------
# 2-D enumeration


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


def _input_map(d_in: int, plane) -> tuple[np.ndarray, np.ndarray]:
  """(E (2, d_in), origin (d_in,)) with x = [u, v] @ E + origin."""
  if plane is None:
    if d_in != 2:
      raise ValueError(f"input dimension is {d_in}; pass plane=(origin, e1, e2) to pick a 2-D slice")
    return np.eye(2), np.zeros(2)
  origin, e1, e2 = (np.asarray(p, np.float64) for p in plane)
  if not origin.shape == e1.shape == e2.shape == (d_in,):
    raise ValueError(f"plane vectors must have shape ({d_in},), got {origin.shape}, {e1.shape}, {e2.shape}")
  return np.stack([e1, e2]), origin


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
  pwl = _to_pwl(act)
  if pwl is None:
    return _undefined_regions(domain, undefined_reason(act, activation_name))
  ws, bs = _check_net(weights, biases)
  E, origin = _input_map(ws[0].shape[0], plane)
  (u0, u1), (v0, v1) = domain
  ext = np.abs(domain).max(1)  # |u|, |v| bounds: the scale of an affine function's rounding error
  area_tol = SLIVER_REL * (u1 - u0) * (v1 - v0)
  thin_tol = THIN_REL * ext.max()
  bps = np.asarray(pwl.breakpoints, np.float64)
  slopes, inters = np.asarray(pwl.slopes), np.asarray(pwl.intercepts)

  verts = np.array([[[u0, v0], [u1, v0], [u1, v1], [u0, v1]]])
  nv = np.array([4])
  A = E[None]  # (R, 2, width): the current layer input as an affine map of (u, v)
  c = origin[None]
  pats: list[np.ndarray] = []
  for w, b in zip(ws[:-1], bs[:-1]):
    ZA, Zc = A @ w, c @ w + b  # pre-activations of this layer, per region at the layer start
    parent = np.arange(len(verts))  # region at the layer start that each polygon came from
    for j in range(w.shape[1]):
      a_j, c_j = ZA[:, :, j], Zc[:, j]
      for t in bps:
        a, cc = a_j[parent], c_j[parent] - t
        f = np.einsum("rvk,rk->rv", verts, a) + cc[:, None]
        eps = ON_LINE_REL * (np.abs(a) @ ext + np.abs(cc))
        valid = _valid(nv, verts.shape[1])
        hit = np.flatnonzero((valid & (f > eps[:, None])).any(1) & (valid & (f < -eps[:, None])).any(1))
        if not len(hit):
          continue
        (Pp, n_pos), (Pn, n_neg) = _clip(verts[hit], nv[hit], f[hit], eps[hit])
        ok = _big_enough(Pp, n_pos, area_tol, thin_tol) & _big_enough(Pn, n_neg, area_tol, thin_tol)
        hit, Pp, n_pos, Pn, n_neg = hit[ok], Pp[ok], n_pos[ok], Pn[ok], n_neg[ok]
        if not len(hit):
          continue
        width = max(verts.shape[1], Pp.shape[1], Pn.shape[1])
        verts = _pad_to(verts, width)
        verts[hit] = _pad_to(Pp, width)
        nv[hit] = n_pos
        verts = np.concatenate([verts, _pad_to(Pn, width)])
        nv = np.concatenate([nv, n_neg])
        parent = np.concatenate([parent, parent[hit]])
    # No cut crosses a polygon now, so its centroid's pattern is the polygon's pattern.
    ZA, Zc = ZA[parent], Zc[parent]
    z = np.einsum("rk,rkh->rh", _centroids(verts, nv), ZA) + Zc
    p = np.searchsorted(bps, z, side="right")  # PiecewiseLinear.piece_index convention
    pats = [q[parent] for q in pats] + [p.astype(np.int8)]
    A = ZA * slopes[p][:, None, :]
    c = Zc * slopes[p] + inters[p]
  GA, Gc = A @ ws[-1], c @ ws[-1] + bs[-1]

  verts, nv = _dedupe_vertices(verts, nv, 1e-13 * ext.max())
  areas = _areas(verts, nv)
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
      (cell, cn), = _clip(cell, cn, f, ON_LINE_REL * (np.abs(dA) @ ext + np.abs(dc)), sides=(1,))
    width = cell.shape[1]
    valid = _valid(cn, width)
    nxt_P = np.take_along_axis(cell, _next_index(cn, width)[..., None], 1)
    for j in range(k + 1, K):
      dA, dc = GA[:, :, k] - GA[:, :, j], Gc[:, k] - Gc[:, j]
      eps = ON_LINE_REL * (np.abs(dA) @ ext + np.abs(dc))
      on = lambda P: np.abs(np.einsum("rvk,rk->rv", P, dA) + dc[:, None]) <= eps[:, None]
      edge = valid & on(cell) & on(nxt_P) & (np.abs(nxt_P - cell).max(-1) > 1e-12 * ext.max())
      # The line crosses the region's interior iff the region has vertices strictly on both sides.
      s = _signs(np.einsum("rvk,rk->rv", verts, dA) + dc[:, None], eps)
      vv = _valid(nv, verts.shape[1])
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
    side = lambda uv: _classes(forward_numpy(ws, bs, pwl, uv @ E + origin))
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


# ------------------------------------------------------------------------------------------------
# 1-D: a segment in input space


def segment_intervals(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                      act: PiecewiseLinear, p0: np.ndarray, p1: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
  """Exact regions along x(t) = p0 + t (p1 - p0), t in [0, 1]: breaks (R+1,), patterns (R, units)."""
  ws, bs = _check_net(weights, biases)
  p0, p1 = np.asarray(p0, np.float64), np.asarray(p1, np.float64)
  bps = np.asarray(act.breakpoints, np.float64)
  slopes, inters = np.asarray(act.slopes), np.asarray(act.intercepts)
  t0, t1 = np.zeros(1), np.ones(1)
  a, g = p0[None], (p1 - p0)[None]  # layer input = a + t g on each interval
  pats: list[np.ndarray] = []
  for w, b in zip(ws[:-1], bs[:-1]):
    za, zg = a @ w + b, g @ w
    # Every crossing of every unit with every breakpoint, per interval; then cut there.
    with np.errstate(divide="ignore", invalid="ignore"):
      tc = (bps[None, None, :] - za[..., None]) / zg[..., None]
    tc = tc.reshape(len(t0), -1)
    inside = (tc > t0[:, None] + SEGMENT_TOL) & (tc < t1[:, None] - SEGMENT_TOL)
    tc = np.sort(np.where(inside, tc, np.inf), 1)
    # Crossings within SEGMENT_TOL of the previous one are one cut (units crossing together).
    with np.errstate(invalid="ignore"):  # inf - inf in the padding; those are dropped anyway
      keep = np.isfinite(tc) & (np.diff(np.concatenate([t0[:, None], tc], 1), axis=1) > SEGMENT_TOL)
    counts = keep.sum(1)
    cuts = np.sort(np.where(keep, tc, np.inf), 1)[:, :counts.max(initial=0)]
    # Row i holds t0[i], its cuts, t1[i] (then inf padding); consecutive pairs are the pieces.
    edges = np.full((len(t0), cuts.shape[1] + 2), np.inf)
    edges[:, 0] = t0
    edges[:, 1:-1] = cuts
    edges[np.arange(len(t0)), counts + 1] = t1
    piece = np.arange(cuts.shape[1] + 1)[None] <= counts[:, None]
    parent = np.nonzero(piece)[0]
    t0, t1 = edges[:, :-1][piece], edges[:, 1:][piece]
    za, zg = za[parent], zg[parent]
    z = za + 0.5 * (t0 + t1)[:, None] * zg
    p = np.searchsorted(bps, z, side="right")
    pats = [q[parent] for q in pats] + [p.astype(np.int8)]
    a, g = za * slopes[p] + inters[p], zg * slopes[p]
  patterns = np.concatenate(pats, 1) if pats else np.zeros((1, 0), np.int8)
  return np.concatenate([t0, t1[-1:]]), patterns


def count_regions_on_segment(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                             act: ActLike, p0: np.ndarray, p1: np.ndarray) -> int | float:
  """Exact number of activation regions the segment p0 -> p1 crosses (NaN for a smooth act)."""
  pwl = _to_pwl(act)
  if pwl is None:
    return float("nan")
  return len(segment_intervals(weights, biases, pwl, p0, p1)[1])


def region_density(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: ActLike,
                   p0: np.ndarray, p1: np.ndarray) -> float:
  """Regions crossed per unit length along p0 -> p1 (Hanin & Rolnick); NaN for a smooth act."""
  length = float(np.linalg.norm(np.asarray(p1, np.float64) - np.asarray(p0, np.float64)))
  if length == 0:
    raise ValueError("region_density needs p0 != p1")
  return count_regions_on_segment(weights, biases, act, p0, p1) / length


def region_density_or_nan(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                          act: ActLike, p0: np.ndarray, p1: np.ndarray,
                          activation_name: str | None = None) -> tuple[float, str]:
  """(region density, "") or (NaN, reason) for a smooth activation."""
  if not regions_defined(act):
    return float("nan"), undefined_reason(act, activation_name)
  return region_density(weights, biases, act, p0, p1), ""


# ------------------------------------------------------------------------------------------------
# Pattern counting in JAX


def _pattern_words(pre_activations: tuple[jax.Array, ...], breakpoints: tuple[float, ...]):
  """Each point's pattern packed into uint32 words: bit_length(k) bits per unit, per layer."""
  bits = max(1, len(breakpoints).bit_length())  # piece indices run 0..k
  per_word = 32 // bits
  words = []
  for z in pre_activations:
    for s in range(0, z.shape[-1], per_word):
      chunk = z[:, s:s + per_word]
      # searchsorted(side="right") = number of breakpoints <= z, as PiecewiseLinear.piece_index.
      idx = sum((chunk >= t).astype(jnp.uint32) for t in breakpoints)
      shifts = jnp.arange(chunk.shape[1], dtype=jnp.uint32) * bits
      words.append(jnp.sum(idx << shifts[None, :], axis=1, dtype=jnp.uint32))  # disjoint bits: sum == or
  return words


def _count_distinct_rows(words: list[jax.Array]) -> jax.Array:
  srt = jax.lax.sort(tuple(words), num_keys=len(words))  # one lexicographic sort over all words
  change = jnp.zeros(srt[0].shape[0] - 1, bool)
  for w in srt:
    change = change | (w[1:] != w[:-1])
  return 1 + jnp.sum(change, dtype=jnp.int32)


@functools.partial(jax.jit, static_argnames="breakpoints")
def count_patterns(pre_activations: tuple[jax.Array, ...],
                   breakpoints: tuple[float, ...] | None) -> jax.Array:
  """Exact number of distinct activation patterns among P points (int32; NaN if breakpoints=None)."""
  # pre_activations: one (P, H_l) array per hidden layer; breakpoints: the activation's, a static
  # hashable tuple (None for a smooth activation). Patterns are packed into uint32 words (6 words
  # for 192 ReLU units), sorted lexicographically in one multi-key sort and changes counted, so
  # memory is O(P * words) beyond the inputs. Works under jit and vmap over a leading model axis.
  if breakpoints is None:
    return jnp.asarray(jnp.nan, jnp.float32)
  P = pre_activations[0].shape[0]
  if P == 0:
    return jnp.asarray(0, jnp.int32)
  if not breakpoints or not sum(z.shape[-1] for z in pre_activations):
    return jnp.asarray(1, jnp.int32)  # one piece everywhere: every point has the same pattern
  return _count_distinct_rows(_pattern_words(pre_activations, tuple(float(t) for t in breakpoints)))


def count_patterns_or_nan(pre_activations: tuple[jax.Array, ...], act: ActLike,
                          activation_name: str | None = None) -> tuple[jax.Array, str]:
  """(count_patterns, "") or (NaN, reason) for a smooth activation."""
  pwl = _to_pwl(act)
  if pwl is None:
    return jnp.asarray(jnp.nan, jnp.float32), undefined_reason(act, activation_name)
  return count_patterns(pre_activations, pwl.breakpoints), ""
