"""Decision regions of narrow 2-D networks in the whole plane: connected (Nguyen, Mukkamala & Hein,
ICML 2018) and unbounded (Johnson, ICLR 2019; Beise et al. 2018)?

Piecewise-linear nets are counted exactly: decision_regions.plane_tiles covers a square certified
to hold every vertex of the arrangement (activation regions and the decision boundary inside
them), and piece_labels joins its class pieces into components. Beyond that square nothing
changes along rays, so a class piece that reaches the square's edge is unbounded (it runs out to
infinity; all its vertices lie inside), and a component is bounded iff none of its pieces reaches
the edge. Counts are exact up to the sliver tolerances of decision_regions (regions.SLIVER_REL,
THIN_REL, decision_regions.LINE_REL): a component joined only through a sliver counts as several,
and a piece dropped as a sliver could make an unbounded component look bounded. So every net that
breaks a claim is counted again with those tolerances 1000 times tighter (`tighter_tolerances`)
and is a counterexample only if it breaks it there too.

Smooth activations (tanh) have no finite arrangement: their classes are read on a grid of a large
square (`grid_claims`), where a component that is connected only outside the square counts as
several and one that leaves the square counts as unbounded; every net that looks like it breaks a
claim is read again with 8x the points on the square 4x as wide, on the same square and on a
quarter of it, and must break it on all three. What survives is a candidate, never a certified
counterexample.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import scipy.ndimage

from research.metrics import decision_regions, regions
from research.metrics.decision_regions import piece_labels, plane_tiles

NUM_CLASSES = 2  # a binary head: class 1 where the logit is > 0, class 0 where it is < 0


@contextlib.contextmanager
def tighter_tolerances(factor: float):
  """The sliver and line tolerances of the exact region code multiplied by `factor` (< 1), for a
  second count of a suspected counterexample; restored on exit."""
  # The two modules read these module constants at call time; there is no parameter for them, and
  # the first count must use the library's own values.
  saved = [(m, n, getattr(m, n)) for m, n in ((regions, "SLIVER_REL"), (regions, "THIN_REL"),
                                              (decision_regions, "SLIVER_REL"),
                                              (decision_regions, "THIN_REL"),
                                              (decision_regions, "LINE_REL"))]
  try:
    for m, n, v in saved:
      setattr(m, n, v * factor)
    yield
  finally:
    for m, n, v in saved:
      setattr(m, n, v)


def exact_claims(ws, bs, pwl, first_half: float) -> dict:
  """Components and bounded components of each class in R^2 of one PWL net (NaN if uncertified).

  first_half: half-width of the first square (centred on 0); it doubles until certified.
  """
  domain = np.array([[-first_half, first_half], [-first_half, first_half]])
  tiles, half = plane_tiles(ws, bs, pwl, domain, NUM_CLASSES)
  if tiles is None:
    return {**{f"{k}_c{c}": math.nan for k in ("components", "bounded") for c in range(NUM_CLASSES)},
            "half_width": half}
  P, nv, cls, labels = piece_labels(tiles, NUM_CLASSES)
  inside = np.arange(P.shape[1])[None, :] < nv[:, None]
  # A piece reaches the edge of the certified square: it is unbounded (see the module docstring).
  reach = ((np.abs(P).max(-1) >= half * (1 - 1e-9)) & inside).any(1)
  out = {"half_width": half}
  for c in range(NUM_CLASSES):
    mine = cls == c
    comps = np.unique(labels[mine])
    unbounded = np.unique(labels[mine & reach])
    out[f"components_c{c}"] = len(comps)
    out[f"bounded_c{c}"] = len(np.setdiff1d(comps, unbounded))
  return out


def _grid_classes(ws, bs, fn, half: float, n: int) -> np.ndarray:
  """(nets, n, n) classes of stacked nets on an n x n grid of [-half, half]^2 (cell centres)."""
  axis = (np.arange(n) + 0.5) / n * 2 * half - half
  x = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
  a = np.broadcast_to(x, (ws[0].shape[0], *x.shape))
  for w, b in zip(ws[:-1], bs[:-1]):
    a = fn(np.einsum("npi,nij->npj", a, w) + b[:, None, :])
  logit = np.einsum("npi,nij->npj", a, ws[-1]) + bs[-1][:, None, :]
  return (logit[..., 0] > 0).reshape(-1, n, n).astype(np.int8)


def _grid_counts(classes: np.ndarray) -> dict:
  """Components (4-connected cells) of each class on one grid, and those not touching its edge."""
  out = {}
  for c in range(NUM_CLASSES):
    labels, num = scipy.ndimage.label(classes == c)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    out[f"components_c{c}"] = num
    out[f"bounded_c{c}"] = num - len(np.setdiff1d(edge, [0]))
  return out


def grid_claims(ws, bs, fn, half: float, n: int, chunk: int = 64) -> list[dict]:
  """Grid counts of every net of a stack (smooth activation `fn`, numpy)."""
  out = []
  for s in range(0, ws[0].shape[0], chunk):
    part = _grid_classes([w[s:s + chunk] for w in ws], [b[s:s + chunk] for b in bs], fn, half, n)
    out += [dict(_grid_counts(g), half_width=half) for g in part]
  return out


def breaks(row: dict, claim: str) -> bool:
  """Whether counts break a claim: `connected` (a class in several components) or `unbounded`."""
  if claim == "connected":
    return max(row[f"components_c{c}"] for c in range(NUM_CLASSES)) > 1
  if claim == "unbounded":
    return sum(row[f"bounded_c{c}"] for c in range(NUM_CLASSES)) > 0
  raise ValueError(f"claim {claim!r} is not one of connected, unbounded")
