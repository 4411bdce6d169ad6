"""Metric family `line_density`: exact region boundaries crossed per unit length along chords.

Hanin & Rolnick measure how many linear regions a random line crosses per unit length. Here the
lines are `eval.num_lines` chords of the unit's domain (one box for every seed of the unit, so
counts compare across seeds), drawn from their own random stream (`random_chords`): the same
chords for every model of a config. Per model: `density` = mean over chords of (regions crossed -
1) / chord length, and `regions_per_line`, the mean number of regions a chord crosses; exact, from
`segment_regions.count_regions_on_segment` (NaN for smooth activations). Every model is measured.
"""

from __future__ import annotations

import math

import numpy as np

from research.metrics import segment_regions
from research.metrics.family import EvalContext, register_family, row_pwl, unit_domain
from research.validation import check_int


def random_chords(domain: np.ndarray, num_lines: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
  """(p0, p1), each (K, 2): lines through a uniform point at a uniform angle, clipped to the box."""
  rng = np.random.default_rng([seed, 7919])  # its own stream: lines do not move when seeds change
  lo, hi = domain[:, 0], domain[:, 1]
  p = lo + rng.uniform(size=(num_lines, 2)) * (hi - lo)
  theta = rng.uniform(0.0, math.pi, num_lines)
  d = np.stack([np.cos(theta), np.sin(theta)], 1)
  with np.errstate(divide="ignore"):
    s_lo, s_hi = (lo - p) / d, (hi - p) / d  # per axis, the parameters where the line meets the box
  s0 = np.max(np.minimum(s_lo, s_hi), 1)
  s1 = np.min(np.maximum(s_lo, s_hi), 1)
  return p + s0[:, None] * d, p + s1[:, None] * d


def density(counts: np.ndarray, lengths: np.ndarray) -> float:
  """Region boundaries crossed per unit length, averaged over the chords.

  count - 1: a chord inside one region crosses no boundary, so its density is 0 (the first region
  is entered, not crossed); for long chords this is Hanin & Rolnick's regions per unit length.
  """
  return float(np.mean((counts - 1) / lengths))


def validate(eval_config) -> None:
  check_int("eval.num_lines", eval_config.get("num_lines"), 1, 10_000)


@register_family("line_density", columns=(r"density", r"regions_per_line"), validate=validate)
def line_density_columns(ctx: EvalContext) -> list[dict]:
  """Exact regions crossed along the config's chords of the unit's domain, every model."""
  domain = unit_domain(ctx)
  if domain.shape[0] != 2:  # chords of a 2-D box
    return [{} for _ in ctx.rows]
  p0, p1 = random_chords(domain, ctx.config.eval.num_lines, ctx.config.seed)
  lengths = np.linalg.norm(p1 - p0, axis=1)
  metrics = []
  for i in range(len(ctx.rows)):
    pwl = row_pwl(ctx, i)
    if pwl is None or ctx.result.diverged[i]:
      metrics.append(dict(density=math.nan, regions_per_line=math.nan))
      continue
    kernels, biases = ctx.weights(i)
    counts = np.array([segment_regions.count_regions_on_segment(kernels, biases, pwl, a, b) for a, b in zip(p0, p1)])
    metrics.append(dict(density=density(counts, lengths), regions_per_line=float(counts.mean())))
  return metrics
