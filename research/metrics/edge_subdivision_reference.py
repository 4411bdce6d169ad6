"""Edge subdivision one (unit, breakpoint) cut at a time, in Berzins' order: the reference.

`subdivide_by_neuron` builds the same region graph as edge_subdivision.subdivide (same vertices,
edges and patterns; tested), several times slower: each cut splits the edges whose ends it
separates and joins the two new vertices of each face it crosses, vectorised over the edges of
that cut, with growable arrays (`_Grow`, `_GrowT`) so appends do not copy everything. It returns
None, as `subdivide` does, where the net is not in general position with margin on the domain.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse

from research.metrics.edge_subdivision import DEGENERATE_FACTOR, Subdivision, apply_pwl, finish
from research.metrics.pwl_networks import ActLike, check_net, input_map, layer_pwls, to_pwl
from research.metrics.regions import ON_LINE_REL


class _Grow:
  """A growable array along axis 0 (capacity doubling), so appends do not copy everything."""

  def __init__(self, a: np.ndarray):
    self.n = len(a)
    self.a = np.empty((max(16, 2 * len(a)),) + a.shape[1:], a.dtype)
    self.a[:self.n] = a

  def append(self, x: np.ndarray):
    m = self.n + len(x)
    if m > len(self.a):
      b = np.empty((max(m, 2 * len(self.a)),) + self.a.shape[1:], self.a.dtype)
      b[:self.n] = self.a[:self.n]
      self.a = b
    self.a[self.n:m] = x
    self.n = m

  @property
  def view(self) -> np.ndarray:
    return self.a[:self.n]


class _GrowT:
  """Rows (n, h) stored as columns of an (h, capacity) array: one unit's values are contiguous."""

  def __init__(self, a: np.ndarray):
    self.n = len(a)
    self.a = np.empty((a.shape[1], max(16, 2 * len(a))), a.dtype)
    self.a[:, :self.n] = a.T

  def append(self, x: np.ndarray):
    m = self.n + len(x)
    if m > self.a.shape[1]:
      b = np.empty((self.a.shape[0], max(m, 2 * self.a.shape[1])), self.a.dtype)
      b[:, :self.n] = self.a[:, :self.n]
      self.a = b
    self.a[:, self.n:m] = x.T
    self.n = m


def _incidence(ea, eb, f1, f2, num_faces: int, num_vertices: int):
  """Sparse (F, V) matrix counting, per face, the edge ends on its boundary (each vertex twice)."""
  inside = f2 >= 0
  rows = np.concatenate([f1, f1, f2[inside], f2[inside]])
  cols = np.concatenate([ea, eb, ea[inside], eb[inside]])
  return scipy.sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(num_faces, num_vertices))


def subdivide_by_neuron(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: ActLike,
                        domain: np.ndarray, plane=None) -> Subdivision | None:
  """Edge subdivision one (neuron, breakpoint) cut at a time, as Berzins does: the reference for
  `subdivide` (same result, several times slower). None where not in general position."""
  domain = np.asarray(domain, np.float64)
  if domain.shape != (2, 2) or not (domain[:, 0] < domain[:, 1]).all():
    raise ValueError(f"domain must be [[u_lo, u_hi], [v_lo, v_hi]] with lo < hi, got {domain.tolist()}")
  pwl = to_pwl(act)
  if pwl is None:
    raise ValueError("edge subdivision needs a piecewise-linear activation")
  ws, bs = check_net(weights, biases)
  Emat, origin = input_map(ws[0].shape[0], plane)
  (u0, u1), (v0, v1) = domain
  ext = np.abs(domain).max(1)

  X = _Grow(np.array([[u0, v0], [u1, v0], [u1, v1], [u0, v1]]))
  ea = _Grow(np.array([0, 1, 2, 3]))
  eb = _Grow(np.array([1, 2, 3, 0]))
  fs = _Grow(np.array([[0, -1]] * 4, np.int64))  # the faces each edge borders (-1: outside)
  F = 1
  A_in, c_in = Emat[None], origin[None]  # per face: layer input = [u, v] @ A_in + c_in
  layer_in = X.view @ Emat + origin  # the layer input at every vertex
  pats = np.zeros((1, 0), np.int8)
  for w, b, layer in zip(ws[:-1], bs[:-1], layer_pwls(pwl, len(ws) - 1)):
    bps = np.asarray(layer.breakpoints, np.float64)  # this layer's pieces (per-layer activations)
    slopes, inters = np.asarray(layer.slopes), np.asarray(layer.intercepts)
    ZA, Zc = A_in @ w, c_in @ w + b  # per layer-start face: pre-activations of this layer
    Z = _GrowT(layer_in @ w + b)  # this layer's pre-activations at every vertex
    anc = np.arange(F)  # the layer-start face each face lies in
    # The size of each cut's affine function on the domain, the largest over the faces.
    size = (np.abs(ZA) * ext[None, :, None]).sum(1)  # (F0, h)
    for k in range(w.shape[1]):
      for t in bps:
        eps = DEGENERATE_FACTOR * ON_LINE_REL * (size[:, k] + np.abs(Zc[:, k] - t)).max()
        V = X.n
        val = Z.a[k, :V] - t
        if (np.abs(val) <= eps).any():
          return None
        A_, B_ = ea.view, eb.view
        za, zb = val[A_], val[B_]
        pos_a = za > 0
        s = np.flatnonzero(pos_a != (zb > 0))
        if not len(s):
          continue
        a, bb = A_[s], B_[s]
        tt = (za[s] / (za[s] - zb[s]))[:, None]
        Xa, Za = X.a[a], Z.a[:, a].T
        X.append(Xa + tt * (X.a[bb] - Xa))
        nz = Za + tt * (Z.a[:, bb].T - Za)
        nz[:, k] = t
        Z.append(nz)
        nid = V + np.arange(len(s))
        # The faces crossed: each must have exactly two of its edges split (a convex face).
        fab = fs.a[s]
        inc_f = fab.T.ravel()
        inc_v = np.concatenate([nid, nid])
        keep = inc_f >= 0
        inc_f, inc_v = inc_f[keep], inc_v[keep]
        order = np.argsort(inc_f, kind="stable")
        sf, sv = inc_f[order], inc_v[order]
        if len(sf) % 2 or (sf[0::2] != sf[1::2]).any() or (sf[2::2] == sf[1:-1:2]).any():
          return None
        hit, p, q = sf[0::2], sv[0::2], sv[1::2]
        nh = len(hit)
        newid = np.full(F + 1, -1, np.int64)  # slot F (index -1) is the outside
        newid[hit] = F + np.arange(nh)
        is_hit = newid >= 0
        # Split edges: (a, b) becomes (a, new) in place and (new, b) appended, same faces.
        side = np.concatenate([pos_a, zb[s] > 0])  # which side of the cut each edge lies on
        eb.a[s] = nid
        ea.append(nid)
        eb.append(bb)
        fs.append(fab)
        # Edges of a crossed face on the negative side now border its new (negative) half.
        cur = fs.view
        move = is_hit[cur] & ~side[:, None]
        cur[move] = newid[cur[move]]
        # The cut: positive half keeps the face's id.
        ea.append(p)
        eb.append(q)
        fs.append(np.stack([hit, F + np.arange(nh)], 1))
        anc = np.concatenate([anc, anc[hit]])
        F += nh
    # This layer's pattern of each face, read at its vertex mean (z is affine on the face).
    V = X.n
    inc = _incidence(ea.view, eb.view, fs.view[:, 0], fs.view[:, 1], F, V)
    cnt = np.asarray(inc.sum(1)).ravel()
    zv = Z.a[:, :V].T
    zmean = (inc @ zv) / cnt[:, None]
    p = np.zeros(zmean.shape, np.int64)  # searchsorted(bps, zmean, side="right")
    for t in bps:
      p += zmean >= t
    pats = np.concatenate([pats[anc], p.astype(np.int8)], 1)
    A_in = ZA[anc] * slopes[p][:, None, :]
    c_in = Zc[anc] * slopes[p] + inters[p]
    layer_in = apply_pwl(layer, zv)

  return finish(X.view.copy(), ea.view, eb.view, fs.view, F, pats, domain)
