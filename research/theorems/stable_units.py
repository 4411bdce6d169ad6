"""Is a second-layer ReLU unit stably unactivated: z(x) = v . relu(W x + b) + c <= 0 on all of R^n0?

Brownlowe, Cornwell, Montes, Quijano, Stulman & Zhang (arXiv 2412.06829) prove, for weights and
biases drawn from symmetric distributions, P = 1 / 2^(n1 + 1) when the first layer has n1 <= n0
units and (2^n0 + 1) / 4^(n0 + 1) when n1 = n0 + 1; with n0 = 2: 1/4, 1/8 and 5/64 for n1 = 1, 2, 3.

Decided exactly per network, for 2-D input (n0 = 2), without a grid: z is piecewise linear on the
arrangement of the n1 first-layer lines, so sup z <= 0 iff z <= 0 at (i) every vertex of the
arrangement (crossing of two lines), (ii) one point of every line (a region with no vertex, such as
a half-plane when n1 = 1, has a whole line of its closure there), and (iii) the recession function
r(d) = v . relu(W d) is <= 0 for every direction d; r is linear between consecutive directions
+-perp(w_i), so it suffices to check those directions and the bisectors between consecutive ones
(needed where two of them are pi apart). Each region is the convex hull of its vertices plus its
recession cone, so these are all the places where z can exceed 0. Ties (z = 0 on a set) have
probability 0. tests/test_study_theorems.py checks the decision against scipy's linprog.
"""

from __future__ import annotations

import numpy as np


def stably_unactivated(W: np.ndarray, b: np.ndarray, v: np.ndarray, c: np.ndarray) -> np.ndarray:
  """(n,) bool for n nets: first layer W (n, 2, k), b (n, k); unit z = v (n, k) . relu(.) + c (n,)."""
  n, d, k = W.shape
  if d != 2:
    raise ValueError(f"the exact test is for 2-D input, got input dimension {d}")
  # Batched matmuls: einsum does not use BLAS for these tiny shapes and took half the time.
  z = lambda x: (np.maximum(x @ W + b[:, None, :], 0) @ v[:, :, None])[..., 0] + c[:, None]
  w = np.swapaxes(W, 1, 2)  # (n, k, 2): the normal of each line w_i . x + b_i = 0
  # (ii) the point of each line nearest the origin
  foot = -b[..., None] * w / (w * w).sum(-1, keepdims=True)
  points = [foot]
  # (i) crossings of every two lines
  i, j = np.triu_indices(k, 1)
  if len(i):
    wi, wj, bi, bj = w[:, i], w[:, j], b[:, i], b[:, j]
    det = wi[..., 0] * wj[..., 1] - wi[..., 1] * wj[..., 0]  # Cramer's rule, batched
    ok = np.abs(det) > 1e-12
    det = np.where(ok, det, 1.0)
    x = np.stack([(-bi * wj[..., 1] + bj * wi[..., 1]) / det, (-bj * wi[..., 0] + bi * wj[..., 0]) / det], -1)
    points.append(np.where(ok[..., None], x, foot[:, :1]))  # parallel lines: no crossing to check
  ok_points = (z(np.concatenate(points, 1)) <= 0).all(1)
  # (iii) directions: +-perp(w_i), and the bisectors of consecutive ones
  perp = np.stack([-w[..., 1], w[..., 0]], -1)
  theta = np.sort(np.mod(np.arctan2(perp[..., 1], perp[..., 0])[..., None] + [0, np.pi], 2 * np.pi)
                  .reshape(n, -1), 1)
  mids = (theta + np.diff(np.concatenate([theta, theta[:, :1] + 2 * np.pi], 1), axis=1) / 2)
  angles = np.concatenate([theta, mids], 1)
  dirs = np.stack([np.cos(angles), np.sin(angles)], -1)
  r = (np.maximum(dirs @ W, 0) @ v[:, :, None])[..., 0]
  return ok_points & (r <= 1e-12 * np.abs(v).sum(1, keepdims=True)).all(1)


def theory(n1: int, n0: int = 2) -> float:
  """Brownlowe et al.'s exact probability, for n1 <= n0 + 1 (NaN beyond: only conjectured there)."""
  if n1 <= n0:
    return 1 / 2 ** (n1 + 1)
  if n1 == n0 + 1:
    return (2 ** n0 + 1) / 4 ** (n0 + 1)
  return float("nan")
