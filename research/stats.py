"""Paired comparisons, the Holm correction and the verdict rule that turns them into verdicts.

A hypothesis compares a treatment with a control on paired runs (same seed: same initial key and
data), cell by cell. Per cell, `paired_comparison` reports the mean difference d = treatment -
control, a confidence interval of mean(d), three one-sided p-values (is the effect at least
min_effect, is there an effect at all, is the effect below min_effect) and effect sizes; `holm`
adjusts each kind of p-value across the hypothesis' cells; `cell_verdict` and `overall_verdict`
apply `VERDICT_RULE`, printed once in every report.

Choices, and why (measured by `python -m research.stats_simulation`; tests/test_stats_simulation.py
asserts the fast versions):
- What is tested: the mean difference, the quantity the claims state ("higher accuracy by at least
  0.01"). A Wilcoxon signed-rank test was used before; it tests a pseudo-median, which differs from
  the mean under the skewed differences seeds produce (one seed where an arm fails), so its
  p-values and a CI of the mean could disagree. Every test below inverts the interval reported,
  so the verdict can be read off the CI.
- The interval: the union (hull) of the Student t interval and the studentized-bootstrap
  (bootstrap-t) interval of mean(d), at level 1 - alpha, method name CI_METHOD. Neither alone has
  the nominal coverage at the seed counts used (5-32): the t interval covers 88% at n = 6 and 91%
  at n = 16 for exponential differences (it ignores skewness), the bootstrap-t interval covers 92%
  for t(3) differences (heavy tails) and BCa covered 85% at n = 6. The union covers 93.3-97.4%
  for normal, exponential (either sign), lognormal(sigma 0.5) and t(3) differences at every n in
  {6, 8, 16, 32} (4000 replications each), at 1.0-1.4 times the t interval's width (1.06 for
  normal differences at n = 16). Known limit: more skewed differences (lognormal, sigma 0.75)
  cover 92.2% at n = 6 and 92.8% at n = 8 (94.6% from n = 16).
- Measured verdict rates (one cell, alpha 0.05, normal differences; m = 1.6, 1.3, 0.9, 0.6 sd at
  n = 6, 8, 16, 32): SUPPORTED at a true effect of 0.9 m in <= 1.1% of runs (0.5 m and 0: 0%), at
  exactly m 1.7-2.5% (nominal 2.5%); at 2 m in 71%, 78%, 89%, 90%. Left-skewed differences
  (a seed that fails now and then) are the hard case: SUPPORTED at 0.9 m in 3.5% at n = 6, 1.5-2.6%
  from n = 8, at exactly m in up to 6.7% (n = 6); power at 2 m there is 54-68%.
- The tests: p_greater(x) for H0 mean(d) <= x is the larger of the one-sided t-test p-value and
  the bootstrap-t p-value (1 + #{t* >= t}) / (B + 1); it is <= alpha/2 exactly when x lies below
  the union's lower end (ties aside), so one cell is SUPPORTED exactly when its CI's lower end is
  at or above min_effect. p_less(x) mirrors it. One-sided tests at alpha/2 are the two-sided
  1 - alpha CI read one end at a time (the usual convention for a margin such as min_effect).
- Holm: each kind of p-value is Holm-adjusted over the hypothesis' cells, so that the overall
  verdict (a claim about every cell) keeps its error rate whichever way it goes: SUPPORTED needs
  every cell's claimed size shown, REFUTED needs one cell whose size is shown below min_effect.
- Resamples: B = n_boot (default 10000) resamples of the n pairs, drawn from `seed`. A resample
  whose differences are all equal has sd 0 and no t*: it is dropped, and the bootstrap-t quantiles
  and p-values use the B_kept resamples with sd > 0 ((1 + #{t* >= t}) / (B_kept + 1)). Why: the
  observed t exists only because the sample's sd is > 0, so its bootstrap analogue is t* given
  sd* > 0. These resamples were counted as t* = +-inf before, which made an end of the interval
  infinite whenever more than alpha/2 of them had sd 0 -- on zero-inflated differences (most
  pairs exactly equal, e.g. leaky_connected_at_width_2's CI [-inf, 0.013]). If fewer than
  BOOT_MIN_KEPT = half of the resamples have sd > 0, the bootstrap-t half is dropped and the t
  interval stands alone (method "t"); with the zero-inflated samples simulated this never
  happened (half the resamples are all-equal only when at least 0.5^(1/n) of the values are
  equal: 92% at n = 8).
  Zero-inflated differences (research.stats_simulation.ZERO_INFLATED: 0 with probability p, else
  0.5 / (1 - p) + z, so the mean is 0.5 sd; 6000 replications, n_boot 499): no infinite end in
  any; coverage with 25% zeros and exponential z 93.8% at n = 8, 96.1% at 16, 96.8% at 32; 50%
  zeros and normal z 93.0%, 96.6%, 96.9% (the t interval alone: 84-94%). Known limit: more zeros
  or skew at n = 8 cover less (50% zeros, exponential z: 91.7%; 75% zeros: 83-86% at n = 8,
  90-93% at n = 16, >= 97.0% at 32): a sample with only one or two non-zero values says little
  about their mean, and an all-zero sample gives the point interval [0, 0], which misses a
  non-zero mean with probability p^n. SUPPORTED at true effects 0 and 0.9 m stays <= 1.6% there;
  an effect of 0 is shown in the claimed direction (SMALLER THAN CLAIMED) in up to 2.5% of runs
  for normal and exponential z, but in up to 9% for left-skewed z (-exponential z with 25-75%
  zeros; 3-5.4% without zeros): a stated limit of the one-sided p_zero test under left skew.
  All differences equal: the point interval [d, d] (method "degenerate"); a bound off it is then
  shown with p = 1 / (B + 1). n < 2: no interval, NaN p-values.
- Effect sizes: Cohen's d_z = mean(d) / sd(d) (ddof 1), and the matched-pairs rank-biserial
  correlation r = (R+ - R-) / (n(n+1)/2) with the Pratt ranks of |d| (zeros keep their ranks), in
  [-1, 1].
- Cells with fewer than MIN_PAIRS usable pairs are INCONCLUSIVE: an interval from a handful of
  values is not credible.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
import scipy.stats

DIRECTIONS = ("greater", "less", "two-sided")
SUPPORTED, SMALLER, REFUTED, INCONCLUSIVE = ("SUPPORTED", "SMALLER THAN CLAIMED", "REFUTED",
                                             "INCONCLUSIVE")
VERDICTS = (SUPPORTED, SMALLER, REFUTED, INCONCLUSIVE)
MIN_PAIRS = 5
CI_METHOD = "t ∪ boot-t"  # the union of the Student t and the bootstrap-t intervals
T_ONLY_METHOD = "t"  # too few resamples with sd > 0 for the bootstrap-t half (see BOOT_MIN_KEPT)
# The bootstrap-t half is used only when at least this fraction of the resamples has sd > 0.
BOOT_MIN_KEPT = 0.5

VERDICT_RULE = f"""\
Per cell: d = treatment - control over the n paired seeds; m = min_effect; CI = the union of the
Student t and the studentized-bootstrap (bootstrap-t) intervals of mean(d) at level 1 - alpha
(method "{CI_METHOD}"; resamples with sd 0 are dropped, and when fewer than half remain the t
interval stands alone, method "{T_ONLY_METHOD}"). One-sided tests of mean(d), each the larger
of the t-test and the bootstrap-t p-value, so that a test passes at alpha/2 exactly when the CI
excludes its null:
  p       H0 mean(d) <= m   (the claimed size; passes iff CI low >= m)
  p_zero  H0 mean(d) <= 0   (an effect in the claimed direction; passes iff CI low > 0)
  p_below H0 mean(d) >= m   (at least the claimed size; passes iff CI high < m)
(stated for direction 'greater'; 'less' applies them to -d; 'two-sided', claim |mean(d)| >= m:
p and p_zero take the smaller p of the two directions (the CI lies above m or below -m, above 0
or below 0), p_below the larger (the CI lies within (-m, m))). Each is Holm-adjusted across the
hypothesis' cells (p_holm, p_zero_holm, p_below_holm); a test passes if its adjusted p <= alpha/2.
Cells with n < {MIN_PAIRS} are INCONCLUSIVE; otherwise, first match:
  SUPPORTED             if p_holm <= alpha/2        (the claimed size is shown)
  SMALLER THAN CLAIMED  if p_zero_holm <= alpha/2   (an effect in the claimed direction is shown,
                                                     its claimed size is not)
  REFUTED               if p_below_holm <= alpha/2  (an effect of size m is excluded and no effect
                                                     in the claimed direction is shown)
  INCONCLUSIVE          otherwise.
With m = 0, p = p_zero (SMALLER THAN CLAIMED cannot occur) and REFUTED means the opposite
direction is shown; a two-sided claim with m = 0 cannot be REFUTED.
Overall: the conditions list where the claim is meant to hold, so it is a claim about every cell:
  SUPPORTED if every cell is SUPPORTED; REFUTED if any cell is REFUTED (a counterexample);
  SMALLER THAN CLAIMED if every cell is SUPPORTED or SMALLER THAN CLAIMED (and one is SMALLER);
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


class StudentizedMean:
  """Inference on mean(d) by the t and bootstrap-t distributions, vectorised over rows.

  d has shape (R, n) (R independent samples of n differences; paired_comparison uses R = 1, the
  simulations many). Every method returns an array of shape (R,).
  """

  def __init__(self, d: np.ndarray, n_boot: int, rng: np.random.Generator):
    d = np.atleast_2d(np.asarray(d, dtype=float))
    self.n = n = d.shape[1]
    self.n_boot = n_boot
    with np.errstate(invalid="ignore", divide="ignore"):
      self.mean = d.mean(axis=1) if n else np.full(d.shape[0], np.nan)
      self.sd = d.std(axis=1, ddof=1) if n >= 2 else np.full(d.shape[0], np.nan)
    # All differences equal (up to rounding noise below 1e-12 of their scale): sd 0 exactly.
    scale = np.abs(d).max(axis=1) if n else np.zeros(d.shape[0])
    self.degenerate = self.sd <= 1e-12 * scale
    self.sd = np.where(self.degenerate, 0.0, self.sd)
    self.se = self.sd / math.sqrt(max(n, 1))
    if n < 2 or n_boot < 1:
      self.tstar = np.full((d.shape[0], max(n_boot, 0)), np.nan)
      self.n_kept = np.zeros(d.shape[0], dtype=int)
      self.boot_ok = np.zeros(d.shape[0], dtype=bool)
      return
    tstar = np.empty((d.shape[0], n_boot))
    chunk = max(1, 2_000_000 // (n_boot * n))  # rows per batch: about 16 MB of resampled values
    for start in range(0, d.shape[0], chunk):
      rows = d[start:start + chunk]
      resampled = np.take_along_axis(rows[:, None, :],
                                     rng.integers(0, n, size=(len(rows), n_boot, n)), axis=2)
      mean_b = resampled.mean(axis=2)
      se_b = resampled.std(axis=2, ddof=1) / math.sqrt(n)
      centred = mean_b - self.mean[start:start + chunk, None]
      # sd 0 in a resample (all its values equal; rounding noise below 1e-12 of the sample's
      # scale counts as 0): t* is undefined, so the resample is dropped (NaN) -- see the module
      # notes for why conditioning on sd > 0 is the bootstrap analogue of the observed t.
      tol = 1e-12 * scale[start:start + chunk, None]
      with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(se_b <= tol, np.nan, centred / se_b)
      tstar[start:start + chunk] = t
    # NaN sorts last: row r's usable t* are tstar[r, :n_kept[r]].
    self.tstar = np.sort(tstar, axis=1)
    self.n_kept = np.sum(np.isfinite(self.tstar), axis=1)
    # Too few usable resamples: the bootstrap-t half is dropped and the t interval stands alone.
    self.boot_ok = self.n_kept >= BOOT_MIN_KEPT * n_boot

  def _t_obs(self, x: float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
      t = (self.mean - x) / self.se
    return t

  def _p_boot(self, exceed: np.ndarray) -> np.ndarray:
    """(1 + #{t* beyond t}) / (B_kept + 1) over the usable resamples; 0 (no say) where the
    bootstrap-t half is dropped; 1 / (B + 1) for a degenerate sample, whose point interval a bound
    off it lies outside."""
    p = (1 + exceed) / (self.n_kept + 1)
    p = np.where(self.boot_ok, p, 0.0)
    return np.where(self.degenerate, np.where(exceed > 0, 1.0, 1 / (self.n_boot + 1)), p)

  def p_greater(self, x: float) -> np.ndarray:
    """One-sided p of H0 mean(d) <= x: max(t-test, bootstrap-t); 1 when mean(d) = x exactly."""
    t = self._t_obs(x)
    p_t = scipy.stats.t.sf(t, self.n - 1) if self.n >= 2 else np.full_like(t, np.nan)
    p = np.maximum(p_t, self._p_boot(np.sum(self.tstar >= t[:, None], axis=1)))
    return np.where(np.isnan(t) & (self.n >= 2), 1.0, p)  # 0/0: no evidence either way

  def p_less(self, x: float) -> np.ndarray:
    """One-sided p of H0 mean(d) >= x (the mirror image of p_greater)."""
    t = self._t_obs(x)
    p_t = scipy.stats.t.cdf(t, self.n - 1) if self.n >= 2 else np.full_like(t, np.nan)
    p = np.maximum(p_t, self._p_boot(np.sum(self.tstar <= t[:, None], axis=1)))
    return np.where(np.isnan(t) & (self.n >= 2), 1.0, p)

  def t_interval(self, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    if self.n < 2:
      nan = np.full_like(self.mean, np.nan)
      return nan, nan
    half = scipy.stats.t.ppf(0.5 + confidence / 2, self.n - 1) * self.se
    return self.mean - half, self.mean + half

  def bootstrap_t_interval(self, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Ends consistent with the bootstrap-t p: the k-th largest / smallest usable t*,
    k = floor(a (B_kept + 1)); NaN where the bootstrap-t half is dropped (`boot_ok` False)."""
    if self.n < 2:
      nan = np.full_like(self.mean, np.nan)
      return nan, nan
    k = np.floor((1 - confidence) / 2 * (self.n_kept + 1) + 1e-9).astype(int)
    # Fewer usable t* than the tail needs (a tiny n_boot): no finite bootstrap-t end exists.
    too_few = self.boot_ok & (k < 1)
    rows = np.arange(len(self.mean))
    upper_q = self.tstar[rows, np.clip(self.n_kept - k, 0, self.tstar.shape[1] - 1)]
    lower_q = self.tstar[rows, np.clip(k - 1, 0, self.tstar.shape[1] - 1)]
    with np.errstate(invalid="ignore"):
      low = np.where(too_few, -np.inf, self.mean - upper_q * self.se)
      high = np.where(too_few, np.inf, self.mean - lower_q * self.se)
    low = np.where(self.degenerate, self.mean, np.where(self.boot_ok, low, np.nan))
    high = np.where(self.degenerate, self.mean, np.where(self.boot_ok, high, np.nan))
    return low, high

  def interval(self, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """The reported CI: the union of the t and bootstrap-t intervals."""
    t_low, t_high = self.t_interval(confidence)
    b_low, b_high = self.bootstrap_t_interval(confidence)
    return np.fmin(t_low, b_low), np.fmax(t_high, b_high)  # fmin: a dropped half (NaN) is ignored


def directional_pvalues(inference: StudentizedMean, direction: str, min_effect: float
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """(p, p_zero, p_below) of VERDICT_RULE for `direction`, before the Holm adjustment."""
  _check_direction(direction)
  m = float(min_effect)
  if direction == "greater":
    return inference.p_greater(m), inference.p_greater(0.0), inference.p_less(m)
  if direction == "less":
    return inference.p_less(-m), inference.p_less(0.0), inference.p_greater(-m)
  p = np.minimum(inference.p_greater(m), inference.p_less(-m))
  p_zero = np.minimum(inference.p_greater(0.0), inference.p_less(0.0))
  p_below = np.maximum(inference.p_less(m), inference.p_greater(-m))
  return p, p_zero, p_below


def cell_verdict(n: int, p_holm: float, p_zero_holm: float, p_below_holm: float, alpha: float) -> str:
  """The per-cell verdict of VERDICT_RULE from Holm-adjusted p-values (NaN never passes)."""
  if n < MIN_PAIRS:
    return INCONCLUSIVE
  level = alpha / 2
  if p_holm <= level:
    return SUPPORTED
  if p_zero_holm <= level:
    return SMALLER
  if p_below_holm <= level:
    return REFUTED
  return INCONCLUSIVE


def cell_verdicts(n: int, p_holm: np.ndarray, p_zero_holm: np.ndarray, p_below_holm: np.ndarray,
                  alpha: float) -> np.ndarray:
  """cell_verdict over arrays (the simulations): an array of verdict strings."""
  p, pz, pb = (np.asarray(x, dtype=float) for x in (p_holm, p_zero_holm, p_below_holm))
  if n < MIN_PAIRS:
    return np.full(p.shape, INCONCLUSIVE, dtype=object)
  level = alpha / 2
  return np.select([p <= level, pz <= level, pb <= level], [SUPPORTED, SMALLER, REFUTED],
                   INCONCLUSIVE).astype(object)


def overall_verdict(cell_verdicts: Sequence[str]) -> str:
  """The verdict over all cells of VERDICT_RULE (see there)."""
  unknown = set(cell_verdicts) - set(VERDICTS)
  if unknown:
    raise ValueError(f"unknown verdicts {sorted(unknown)}; valid: {VERDICTS}")
  if any(v == REFUTED for v in cell_verdicts):
    return REFUTED
  if cell_verdicts and all(v == SUPPORTED for v in cell_verdicts):
    return SUPPORTED
  if cell_verdicts and all(v in (SUPPORTED, SMALLER) for v in cell_verdicts):
    return SMALLER
  return INCONCLUSIVE


@dataclasses.dataclass(frozen=True)
class PairedResult:
  """One paired comparison (one cell); the *_holm fields equal the raw p until `with_holm`."""

  n: int  # pairs used
  n_excluded: int  # pairs with a non-finite value in either arm
  mean_diff: float  # mean of treatment - control
  sd_diff: float
  ci_low: float
  ci_high: float
  ci_method: str  # CI_METHOD, T_ONLY_METHOD, "degenerate" (all differences equal) or "none" (n < 2)
  p: float  # H0: the effect is smaller than min_effect (in the claimed direction)
  p_zero: float  # H0: no effect in the claimed direction
  p_below: float  # H0: the effect is at least min_effect
  p_holm: float
  p_zero_holm: float
  p_below_holm: float
  effect_size: float  # Cohen's d_z
  rank_biserial: float
  direction: str
  min_effect: float
  alpha: float
  verdict: str

  def with_holm(self, p_holm: float, p_zero_holm: float, p_below_holm: float) -> PairedResult:
    """This result with family-adjusted p-values and the verdict they imply."""
    verdict = cell_verdict(self.n, p_holm, p_zero_holm, p_below_holm, self.alpha)
    return dataclasses.replace(self, p_holm=float(p_holm), p_zero_holm=float(p_zero_holm),
                               p_below_holm=float(p_below_holm), verdict=verdict)


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
  if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
    raise ValueError(f"n_boot must be an integer >= 1, got {n_boot!r}")
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
    inference = StudentizedMean(d[None, :], n_boot, np.random.default_rng(seed))
    ci_low, ci_high = (float(x[0]) for x in inference.interval(1 - alpha))
    p, p_zero, p_below = (float(x[0]) for x in directional_pvalues(inference, direction, min_effect))
  if n < 2:
    ci_method = "none"
  elif bool(inference.degenerate[0]):
    ci_method = "degenerate"
  elif not bool(inference.boot_ok[0]):
    ci_method = T_ONLY_METHOD
  else:
    ci_method = CI_METHOD
  result = PairedResult(
      n=n, n_excluded=int(t.size - n), mean_diff=float(inference.mean[0]),
      sd_diff=float(inference.sd[0]), ci_low=ci_low, ci_high=ci_high, ci_method=ci_method, p=p,
      p_zero=p_zero, p_below=p_below, p_holm=p, p_zero_holm=p_zero, p_below_holm=p_below,
      effect_size=cohens_dz(d), rank_biserial=rank_biserial(d), direction=direction,
      min_effect=float(min_effect), alpha=alpha, verdict=INCONCLUSIVE)
  return result.with_holm(p, p_zero, p_below)  # a family of one until evaluate() adjusts it
