"""Paired comparisons, the Holm correction and the verdict rule that turns them into verdicts.

A hypothesis compares a treatment with a control on paired runs (same seed: same initial key and
data), cell by cell. Per cell, `paired_comparison` reports the mean difference, a bootstrap CI, a
Wilcoxon signed-rank p-value and effect sizes; `holm` adjusts the p-values of one hypothesis across
its cells; `cell_verdict` and `overall_verdict` apply `VERDICT_RULE`, printed in every report.

Choices, and why:
- CI: scipy.stats.bootstrap of the mean of the paired differences, BCa (better coverage than the
  percentile interval for skewed differences), at level 1 - alpha, not adjusted across cells.
  BCa is undefined when the jackknife is degenerate (heavy ties); the percentile interval of the
  same resamples is used then. All-equal differences give the point interval [d, d] (every resample
  has that mean; scipy would return NaN with a warning). Fewer than 2 pairs: no CI (NaN).
- p: scipy.stats.wilcoxon on the differences, zero_method="pratt": zero differences (both arms
  equal, common for accuracies) keep their ranks, so that ties at zero weigh against an effect
  rather than being discarded as "wilcox" does. method="auto": exact without ties or zeros
  (n <= 50), an exact sign-flip permutation test with ties or zeros for n <= 13, the tie-corrected
  normal approximation beyond. The sign-flip case calls scipy.stats.permutation_test directly with
  a vectorised statistic (same p-values; scipy's wilcoxon takes seconds there).
  All differences zero: p = 1 (scipy would divide 0 by 0).
- Effect sizes: Cohen's d_z = mean(d) / sd(d) (ddof 1), and the matched-pairs rank-biserial
  correlation r = (R+ - R-) / (n(n+1)/2) with the Pratt ranks, in [-1, 1].
- Cells with fewer than MIN_PAIRS usable pairs are INCONCLUSIVE: a bootstrap of a handful of values
  is not a credible interval, and a two-sided Wilcoxon test cannot reach p < 0.05 with n < 6.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Sequence

import numpy as np
import scipy.stats

DIRECTIONS = ("greater", "less", "two-sided")
_OPPOSITE = {"greater": "less", "less": "greater"}
SUPPORTED, REFUTED, INCONCLUSIVE = "SUPPORTED", "REFUTED", "INCONCLUSIVE"
VERDICTS = (SUPPORTED, REFUTED, INCONCLUSIVE)
MIN_PAIRS = 5
_EXACT_FLIP_MAX_N = 13  # scipy's own bound: up to 2**13 sign patterns are enumerated exactly

VERDICT_RULE = f"""\
Per cell: d = treatment - control over the n paired seeds; CI = bootstrap (BCa) CI of mean(d) at
level 1 - alpha; p = Wilcoxon signed-rank p-value (Pratt zeros) in the claimed direction and
p_opp the one in the opposite direction, each Holm-adjusted across the hypothesis' cells;
m = min_effect. Cells with n < {MIN_PAIRS} are INCONCLUSIVE.
  direction 'greater' (claim: treatment > control):
    SUPPORTED    if p_holm < alpha and CI low > 0 and mean(d) >= m
    REFUTED      if p_opp_holm < alpha or CI high < m (an effect of size m is excluded)
  direction 'less': the mirror image (apply the 'greater' rule to -d).
  direction 'two-sided' (claim: they differ by at least m; p two-sided):
    SUPPORTED    if p_holm < alpha and the CI excludes 0 and |mean(d)| >= m
    REFUTED      if -m < CI low and CI high < m (equivalent within m; impossible when m = 0)
  INCONCLUSIVE otherwise, and also when both SUPPORTED and REFUTED hold.
Overall: the conditions list where the claim is meant to hold, so it is a claim about every cell:
  SUPPORTED if every cell is SUPPORTED; REFUTED if any cell is REFUTED (a counterexample);
  INCONCLUSIVE otherwise. The report always gives the counts ("supported in k of n cells")."""


def _check_direction(direction: str) -> None:
  if direction not in DIRECTIONS:
    raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")


def check_min_effect(min_effect: float) -> None:
  """Raises ValueError unless min_effect is a finite number >= 0."""
  if isinstance(min_effect, bool) or not isinstance(min_effect, (int, float, np.floating, np.integer)):
    raise ValueError(f"min_effect must be a number, got {min_effect!r}")
  if not math.isfinite(min_effect) or min_effect < 0:
    raise ValueError(f"min_effect must be finite and >= 0, got {min_effect!r}")


def holm(pvalues: Sequence[float]) -> np.ndarray:
  """Holm step-down adjusted p-values; NaN stays NaN but still counts in the family size."""
  p = np.asarray(pvalues, dtype=float).ravel()
  finite = np.isfinite(p)
  if np.any((p[finite] < 0) | (p[finite] > 1)):
    raise ValueError(f"p-values must lie in [0, 1], got {p[finite & ((p < 0) | (p > 1))]}")
  # A missing p-value (empty cell) counts as 1: the family is every planned cell, so an empty
  # cell cannot make the others easier to pass.
  q = np.where(finite, p, 1.0)
  order = np.argsort(q, kind="stable")
  scaled = (q.size - np.arange(q.size)) * q[order]
  adjusted = np.empty_like(q)
  adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
  return np.where(finite, adjusted, np.nan)


def cell_verdict(direction: str, n: int, mean_diff: float, ci_low: float, ci_high: float,
                 p_holm: float, p_opposite_holm: float, min_effect: float, alpha: float) -> str:
  """The per-cell verdict of VERDICT_RULE (NaN inputs never satisfy a condition)."""
  _check_direction(direction)
  if n < MIN_PAIRS:
    return INCONCLUSIVE
  if direction == "less":  # the mirror image of 'greater'
    mean_diff, ci_low, ci_high = -mean_diff, -ci_high, -ci_low
  if direction == "two-sided":
    supported = p_holm < alpha and (ci_low > 0 or ci_high < 0) and abs(mean_diff) >= min_effect
    refuted = -min_effect < ci_low and ci_high < min_effect
  else:
    supported = p_holm < alpha and ci_low > 0 and mean_diff >= min_effect
    refuted = p_opposite_holm < alpha or ci_high < min_effect
  if supported and not refuted:
    return SUPPORTED
  if refuted and not supported:
    return REFUTED
  return INCONCLUSIVE


def overall_verdict(cell_verdicts: Sequence[str]) -> str:
  """The verdict over all cells of VERDICT_RULE: all supported, any refuted, else inconclusive."""
  unknown = set(cell_verdicts) - set(VERDICTS)
  if unknown:
    raise ValueError(f"unknown verdicts {sorted(unknown)}; valid: {VERDICTS}")
  if any(v == REFUTED for v in cell_verdicts):
    return REFUTED
  if cell_verdicts and all(v == SUPPORTED for v in cell_verdicts):
    return SUPPORTED
  return INCONCLUSIVE


@dataclasses.dataclass(frozen=True)
class PairedResult:
  """One paired comparison (one cell); p_holm equals p until `with_holm` sets the family's."""

  n: int  # pairs used
  n_excluded: int  # pairs with a non-finite value in either arm
  mean_diff: float  # mean of treatment - control
  sd_diff: float
  ci_low: float
  ci_high: float
  ci_method: str  # "BCa", "percentile", "degenerate" (all differences equal) or "none"
  p: float  # Wilcoxon, claimed direction
  p_opposite: float  # Wilcoxon, opposite one-sided direction (NaN for two-sided claims)
  p_holm: float
  p_opposite_holm: float
  effect_size: float  # Cohen's d_z
  rank_biserial: float
  direction: str
  min_effect: float
  alpha: float
  verdict: str

  def with_holm(self, p_holm: float, p_opposite_holm: float) -> PairedResult:
    """This result with family-adjusted p-values and the verdict they imply."""
    verdict = cell_verdict(self.direction, self.n, self.mean_diff, self.ci_low, self.ci_high,
                           p_holm, p_opposite_holm, self.min_effect, self.alpha)
    return dataclasses.replace(self, p_holm=float(p_holm), p_opposite_holm=float(p_opposite_holm),
                               verdict=verdict)


def bootstrap_ci(d: np.ndarray, confidence: float, n_boot: int, seed: int) -> tuple[float, float, str]:
  """BCa bootstrap CI of mean(d), percentile where BCa is undefined; returns (low, high, method)."""
  if d.size < 2:
    return math.nan, math.nan, "none"
  if np.all(d == d[0]):
    return float(d[0]), float(d[0]), "degenerate"
  with warnings.catch_warnings():
    # BCa warns and returns NaN when the jackknife is degenerate; we fall back below.
    warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
    warnings.simplefilter("ignore", RuntimeWarning)
    res = scipy.stats.bootstrap((d,), np.mean, n_resamples=n_boot, confidence_level=confidence,
                                method="BCa", rng=seed)
    low, high = res.confidence_interval
    if np.isfinite(low) and np.isfinite(high):
      return float(low), float(high), "BCa"
    res = scipy.stats.bootstrap((d,), np.mean, n_resamples=0, confidence_level=confidence,
                                method="percentile", bootstrap_result=res, rng=seed)
  low, high = res.confidence_interval
  return float(low), float(high), "percentile"


def wilcoxon_p(d: np.ndarray, alternative: str) -> float:
  """Wilcoxon signed-rank p-value of d (Pratt zeros); NaN without data, 1 if every d is 0."""
  if d.size == 0:
    return math.nan
  if np.all(d == 0):
    return 1.0
  ties_or_zeros = np.any(d == 0) or np.unique(np.abs(d)).size < d.size
  if ties_or_zeros and d.size <= _EXACT_FLIP_MAX_N:
    # The exact sign-flip test that scipy's wilcoxon(method="auto") runs here, with a vectorised
    # statistic: scipy evaluates its own one resample at a time (seconds per call at n = 12).
    ranks = scipy.stats.rankdata(np.abs(d))  # Pratt ranks; a sign flip does not change |d|

    def rank_sum_plus(x, axis):
      return np.sum((np.moveaxis(x, axis, -1) > 0) * ranks, axis=-1)

    res = scipy.stats.permutation_test((d,), rank_sum_plus, permutation_type="samples",
                                       vectorized=True, n_resamples=2**d.size, alternative=alternative)
    return float(res.pvalue)
  with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)  # tiny-n normal approximation notes
    res = scipy.stats.wilcoxon(d, zero_method="pratt", alternative=alternative, method="auto")
  return float(res.pvalue)


def rank_biserial(d: np.ndarray) -> float:
  """Matched-pairs rank-biserial correlation (R+ - R-) / (n(n+1)/2), Pratt ranks of |d|."""
  if d.size == 0:
    return math.nan
  ranks = scipy.stats.rankdata(np.abs(d))
  return float((ranks[d > 0].sum() - ranks[d < 0].sum()) / (d.size * (d.size + 1) / 2))


def cohens_dz(d: np.ndarray) -> float:
  """mean(d) / sd(d); +-inf for a constant non-zero difference, 0 for all zeros, NaN for n < 2."""
  if d.size < 2:
    return math.nan
  sd = float(np.std(d, ddof=1))
  mean = float(np.mean(d))
  if sd == 0:
    return 0.0 if mean == 0 else math.copysign(math.inf, mean)
  return mean / sd


def paired_comparison(treatment: np.ndarray, control: np.ndarray, direction: str, min_effect: float,
                      alpha: float = 0.05, n_boot: int = 10000, seed: int = 0) -> PairedResult:
  """Compares paired arrays (element i of each comes from the same seed); see the module notes."""
  _check_direction(direction)
  check_min_effect(min_effect)
  if not 0 < alpha < 1:
    raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
  t = np.asarray(treatment, dtype=float).ravel()
  c = np.asarray(control, dtype=float).ravel()
  if t.shape != c.shape:
    raise ValueError(f"treatment and control must be paired (same length), got {t.size} and {c.size}")
  with np.errstate(over="ignore", invalid="ignore"):
    diff = t - c
  keep = np.isfinite(t) & np.isfinite(c) & np.isfinite(diff)
  d = diff[keep]
  n = int(d.size)
  with np.errstate(over="ignore", invalid="ignore"):
    mean_diff = float(np.mean(d)) if n else math.nan
    sd_diff = float(np.std(d, ddof=1)) if n >= 2 else math.nan
  ci_low, ci_high, ci_method = bootstrap_ci(d, 1 - alpha, n_boot, seed)
  p = wilcoxon_p(d, direction)
  p_opposite = wilcoxon_p(d, _OPPOSITE[direction]) if direction in _OPPOSITE else math.nan
  result = PairedResult(
      n=n, n_excluded=int(t.size - n), mean_diff=mean_diff, sd_diff=sd_diff, ci_low=ci_low,
      ci_high=ci_high, ci_method=ci_method, p=p, p_opposite=p_opposite, p_holm=p,
      p_opposite_holm=p_opposite, effect_size=cohens_dz(d), rank_biserial=rank_biserial(d),
      direction=direction, min_effect=float(min_effect), alpha=alpha, verdict=INCONCLUSIVE)
  return result.with_holm(p, p_opposite)  # a family of one until evaluate() adjusts it
