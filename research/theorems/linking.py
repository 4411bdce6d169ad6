"""Linking number of two rings through the layers of width-3 networks (after Ren & Lim, ICML 2026).

Ren & Lim ("Low-dimensional topology of deep neural networks", PMLR 306) track linking numbers
through layers of width 3; their abstract ranks feedforward nets with monotonic activations below
ResNets and transformers and says a non-monotonic activation lifts a feedforward net into their
class. Their theorem statements were not available to us (only the abstract), so the statement
tested here is our reading, with our own argument:

  For a width-3 layer x -> act(W x + b) with a monotone activation, the images of two disjoint
  closed curves, where they are disjoint, have the same |linking number| as the curves.

Why: with W invertible (probability 1) the affine part keeps lk up to sign; a strictly increasing
act (LeakyReLU, tanh) is an embedding, which keeps it; for ReLU, x - t min(x, 0) is injective for
t < 1, so the images stay disjoint along t in [0, 1) and lk is constant up to t = 1 whenever the
images at t = 1 are disjoint. Once the images meet they meet in every later layer, so a monotone
width-3 net can never unlink D-II's linked rings, and no plane after it separates them (a plane
separates only unlinked curves). |x| (non-monotone) folds space: x - 2t min(x, 0) passes through
ReLU at t = 1/2, the images may cross on the way, and lk can change with the final images apart.

Measured: the rings are polygons of `points` vertices, mapped vertex by vertex; lk of two closed
polygons is the exact Gauss integral (sum over segment pairs of the signed solid angle, Klenin &
Langowski 2000). The mapped polygon stands for the image curve only if the curve stays near it,
so a layer's lk counts as *certified* when (i) the polygons are further apart than the sum of
their deviations from the image curves, estimated at the images of the segment midpoints, and
(ii) the Gauss sum is within 0.1 of an integer; otherwise the layer is *unresolved* (the images
touch, or are too close to tell at this sampling). The midpoint estimate is not a proof: a
piecewise-linear image can bend more than once inside one segment.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from research.activations import parse_activation


def rings(points: int, linked: bool = True) -> tuple[np.ndarray, np.ndarray]:
  """Two unit circles (points, 3): A in the xy-plane at 0, B in the xz-plane through A's centre
  (a Hopf link, lk = +-1) or moved 3 away (unlinked, lk = 0)."""
  t = 2 * np.pi * np.arange(points) / points
  a = np.stack([np.cos(t), np.sin(t), 0 * t], 1)
  b = np.stack([1 + np.cos(t), 0 * t, np.sin(t)], 1) + (0 if linked else np.array([2.0, 0, 0]))
  return a, b


@jax.jit
def _link_and_gap(A: jax.Array, B: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Per pair of closed polygons A (n, m, 3), B (n, k, 3): the Gauss linking sum, and a lower
  bound of their distance (over segment pairs: midpoints' distance minus half of each length)."""
  unit = lambda x: x / jnp.maximum(jnp.linalg.norm(x, axis=-1, keepdims=True), 1e-30)
  a0, a1 = A[:, :, None], jnp.roll(A, -1, 1)[:, :, None]  # (n, m, 1, 3)
  b0, b1 = B[:, None], jnp.roll(B, -1, 1)[:, None]  # (n, 1, k, 3)
  r13, r14, r23, r24 = b0 - a0, b1 - a0, b0 - a1, b1 - a1
  n1, n2 = unit(jnp.cross(r13, r14)), unit(jnp.cross(r14, r24))
  n3, n4 = unit(jnp.cross(r24, r23)), unit(jnp.cross(r23, r13))
  asin = lambda u, v: jnp.arcsin(jnp.clip((u * v).sum(-1), -1.0, 1.0))
  omega = asin(n1, n2) + asin(n2, n3) + asin(n3, n4) + asin(n4, n1)
  sign = jnp.sign((jnp.cross(b1 - b0, a1 - a0) * r13).sum(-1))
  lk = (omega * sign).sum((1, 2)) / (4 * jnp.pi)
  gap = (jnp.linalg.norm((a0 + a1 - b0 - b1) / 2, axis=-1) - jnp.linalg.norm(a1 - a0, axis=-1) / 2
         - jnp.linalg.norm(b1 - b0, axis=-1) / 2).min((1, 2))
  return lk, gap


def gauss_linking(A: np.ndarray, B: np.ndarray) -> np.ndarray:
  """(n,) linking numbers of closed polygons A (n, m, 3) and B (n, k, 3) (Gauss integral, exact
  for polygons: the signed solid angle of each segment pair, Klenin & Langowski 2000)."""
  return np.asarray(_link_and_gap(jnp.asarray(A, jnp.float32), jnp.asarray(B, jnp.float32))[0], np.float64)


def _deviation(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
  """(n,) largest distance between the image Q of each segment's midpoint and the segment's midpoint."""
  return np.linalg.norm(Q - (P + np.roll(P, -1, 1)) / 2, axis=-1).max(1)


def layer_linking(ws, bs, spec: str, points: int, linked: bool, chunk: int = 50) -> np.ndarray:
  """(n, depth + 1) lk of the two rings' images after each hidden layer (column 0: the input);
  NaN where unresolved. ws, bs: stacked hidden layers only, every one of width 3."""
  act = parse_activation(spec)
  fn = lambda z: np.asarray(act.kind.fn(z, act.slope))
  a, b = rings(points, linked)
  mids = [(p + np.roll(p, -1, 0)) / 2 for p in (a, b)]
  # Midpoints on the circles' chords, as the polygon has them, not on the circles.
  n, depth = ws[0].shape[0], len(ws)
  out = np.full((n, depth + 1), np.nan)
  for s in range(0, n, chunk):
    sl = slice(s, s + chunk)
    x = [np.broadcast_to(p, (min(chunk, n - s), *p.shape)) for p in (a, b, *mids)]
    for layer in range(depth + 1):
      if layer:
        x = [fn(p @ ws[layer - 1][sl] + bs[layer - 1][sl][:, None, :]) for p in x]
      A, B, QA, QB = x
      lk, gap = map(np.asarray, _link_and_gap(jnp.asarray(A, jnp.float32), jnp.asarray(B, jnp.float32)))
      sure = (gap > _deviation(A, QA) + _deviation(B, QB)) & (np.abs(lk - np.round(lk)) < 0.1)
      out[sl, layer] = np.where(sure, np.round(lk), np.nan)
  return out
