"""Exact activation regions along a segment p0 -> p1 of input space, and their density.

`segment_intervals` cuts t in [0, 1] layer by layer at every crossing of a unit with a breakpoint
(vectorised over the intervals of the previous layer), so each piece has one activation pattern;
`count_regions_on_segment` counts the pieces and `region_density` divides by the length (Hanin &
Rolnick's regions per unit length). Networks and activations as in pwl_networks.py; a smooth
activation gives NaN (the `_or_nan` variant also gives the reason), never a number that means
nothing.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from research.metrics.pwl_networks import (ActLike, Pieces, check_net, layer_pwls, regions_defined,
                                           to_pwl, undefined_reason)

# Segment splits closer than this (in t of [0, 1]) are merged, as slivers are in 2-D.
SEGMENT_TOL = 1e-12


def segment_intervals(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                      act: Pieces, p0: np.ndarray, p1: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
  """Exact regions along x(t) = p0 + t (p1 - p0), t in [0, 1]: breaks (R+1,), patterns (R, units)."""
  ws, bs = check_net(weights, biases)
  p0, p1 = np.asarray(p0, np.float64), np.asarray(p1, np.float64)
  t0, t1 = np.zeros(1), np.ones(1)
  a, g = p0[None], (p1 - p0)[None]  # layer input = a + t g on each interval
  pats: list[np.ndarray] = []
  for w, b, layer in zip(ws[:-1], bs[:-1], layer_pwls(act, len(ws) - 1)):
    bps = np.asarray(layer.breakpoints, np.float64)  # this layer's pieces (per-layer activations)
    slopes, inters = np.asarray(layer.slopes), np.asarray(layer.intercepts)
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
  pwl = to_pwl(act)
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
