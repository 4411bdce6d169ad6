"""Vectorised convex-polygon geometry on padded arrays: P (m, V, 2) vertices, nv (m,) valid counts.

Polygons are counter-clockwise; rows are padded to a common width V and only the first nv[i]
vertices of row i are used. Shared by regions.py (enumeration) and decision_regions.py.
"""

from __future__ import annotations

import numpy as np




def next_index(nv: np.ndarray, width: int) -> np.ndarray:
  """Index of each vertex's successor (wrapping at the polygon's own vertex count)."""
  idx = np.arange(width)[None] + 1
  return np.where(idx < nv[:, None], idx, 0)


def valid(nv: np.ndarray, width: int) -> np.ndarray:
  """Mask (m, width) of the vertices in use."""
  return np.arange(width)[None] < nv[:, None]


def areas(P: np.ndarray, nv: np.ndarray) -> np.ndarray:
  """Signed shoelace areas (positive for counter-clockwise)."""
  Q = np.take_along_axis(P, next_index(nv, P.shape[1])[..., None], 1)
  cross = P[..., 0] * Q[..., 1] - Q[..., 0] * P[..., 1]
  return 0.5 * np.where(valid(nv, P.shape[1]), cross, 0.0).sum(1)


def perimeters(P: np.ndarray, nv: np.ndarray) -> np.ndarray:
  """Perimeters of padded polygons."""
  Q = np.take_along_axis(P, next_index(nv, P.shape[1])[..., None], 1)
  return np.where(valid(nv, P.shape[1]), np.linalg.norm(Q - P, axis=-1), 0.0).sum(1)


def big_enough(P: np.ndarray, nv: np.ndarray, area_tol, thin_tol) -> np.ndarray:
  """Whether polygons are real pieces, not slivers: area >= area_tol or area / perimeter >= thin_tol."""
  a = areas(P, nv)
  return (a >= area_tol) | ((a > 0) & (a >= thin_tol * perimeters(P, nv)))


def centroids(P: np.ndarray, nv: np.ndarray) -> np.ndarray:
  """Vertex means: inside a convex polygon, which is all a pattern lookup needs."""
  w = valid(nv, P.shape[1])
  return (P * w[..., None]).sum(1) / np.maximum(nv, 1)[:, None]


def signs(f: np.ndarray, eps: np.ndarray) -> np.ndarray:
  """Sign of f (m, V) per polygon, 0 within eps (m,) of zero."""
  return np.where(f > eps[:, None], 1, np.where(f < -eps[:, None], -1, 0)).astype(np.int8)


def clip(P: np.ndarray, nv: np.ndarray, f: np.ndarray, eps: np.ndarray, sides=(1, -1)):
  """Sutherland-Hodgman clip of convex polygons by f >= 0 (side 1) / f <= 0 (side -1): [(P, nv)]."""
  # f (m, V) is an affine function's value at each vertex. Vertices with |f| <= eps lie on the
  # line and go to both sides; a crossing point is made only on edges whose ends are strictly
  # apart, so no near-duplicate vertices appear. Orientation (counter-clockwise) is preserved.
  m, width, _ = P.shape
  used = valid(nv, width)
  nxt = next_index(nv, width)
  s = signs(f, eps)
  sn = np.take_along_axis(s, nxt, 1)
  fn = np.take_along_axis(f, nxt, 1)
  Pn = np.take_along_axis(P, nxt[..., None], 1)
  cross = used & (s.astype(np.int16) * sn < 0)
  t = f / np.where(cross, f - fn, 1.0)
  X = P + t[..., None] * (Pn - P)
  cand = np.stack([P, X], 2).reshape(m, 2 * width, 2)  # vertex i, then the crossing on edge i
  out = []
  for side in sides:
    mask = np.stack([used & (s * side >= 0), cross], 2).reshape(m, 2 * width)
    n = mask.sum(1)
    order = np.argsort(~mask, axis=1, kind="stable")[:, :max(int(n.max(initial=0)), 1)]
    out.append((np.take_along_axis(cand, order[..., None], 1), n))
  return out


def pad_to(P: np.ndarray, width: int) -> np.ndarray:
  """P padded with zero vertices to at least `width` columns."""
  if P.shape[1] >= width:
    return P
  return np.concatenate([P, np.zeros((P.shape[0], width - P.shape[1], 2))], 1)


def dedupe_vertices(P: np.ndarray, nv: np.ndarray, tol: float):
  """Drops vertices within tol of their successor (crossings made right at a vertex)."""
  Q = np.take_along_axis(P, next_index(nv, P.shape[1])[..., None], 1)
  keep = valid(nv, P.shape[1]) & (np.abs(P - Q).max(-1) > tol)
  n = keep.sum(1)
  order = np.argsort(~keep, axis=1, kind="stable")[:, :max(int(n.max(initial=0)), 1)]
  return np.take_along_axis(P, order[..., None], 1), n
