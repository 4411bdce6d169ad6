"""Tests of research.stats on synthetic numbers with known answers."""

import math

import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings

from research import stats


def _shifted(shift: float, n: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
  """Paired samples: treatment = control + shift + unit-sd noise."""
  rng = np.random.default_rng(seed)
  control = rng.normal(size=n)
  return control + shift + rng.normal(size=n), control


def test_true_effect_is_supported():
  t, c = _shifted(1.0)
  r = stats.paired_comparison(t, c, "greater", min_effect=0.2)
  assert r.verdict == stats.SUPPORTED
  assert r.n == 30 and r.n_excluded == 0
  assert r.mean_diff == pytest.approx(np.mean(t - c))
  assert r.ci_low > 0.2 and r.ci_low < r.mean_diff < r.ci_high and r.ci_method == stats.CI_METHOD
  assert r.p <= 2 / 10001 and r.p_holm == r.p  # the bootstrap's resolution is 1 / (B + 1)
  assert r.p_zero <= r.p and r.p_below > 0.99


def test_wrong_direction_is_refuted():
  t, c = _shifted(1.0)
  assert stats.paired_comparison(t, c, "less", min_effect=0.2).verdict == stats.REFUTED
  assert stats.paired_comparison(c, t, "greater", min_effect=0.2).verdict == stats.REFUTED


def test_direction_less_mirrors_greater():
  t, c = _shifted(-1.0)
  less = stats.paired_comparison(t, c, "less", min_effect=0.2)
  greater = stats.paired_comparison(c, t, "greater", min_effect=0.2)
  assert less.verdict == greater.verdict == stats.SUPPORTED
  assert less.p == pytest.approx(greater.p)
  assert (less.ci_low, less.ci_high) == pytest.approx((-greater.ci_high, -greater.ci_low))
  assert less.mean_diff == pytest.approx(-greater.mean_diff)


def test_effect_below_min_effect_is_smaller_than_claimed():
  # A real but tiny effect: significant, yet the CI excludes the effect size that matters. (The
  # old rule called this REFUTED; the direction is right, the size is not.)
  t, c = _shifted(0.0, n=200)
  t = c + 0.05 + 0.01 * (t - c)
  r = stats.paired_comparison(t, c, "greater", min_effect=0.5)
  assert r.p_zero < 0.025 and r.ci_high < 0.5 and r.p_below < 0.025
  assert r.verdict == stats.SMALLER


def test_mean_at_least_min_effect_is_not_enough():
  # The old rule's flaw: mean(d) >= m and a CI excluding 0 made SUPPORTED, though the CI reaches
  # well below m. Now the claimed size itself must be shown.
  rng = np.random.default_rng(5)
  d = rng.normal(size=16)
  d = (d - d.mean()) / d.std(ddof=1) + 1.0  # mean 1, sd 1 exactly: t = 4 against 0
  r = stats.paired_comparison(d, np.zeros(16), "greater", min_effect=0.9)
  assert r.mean_diff >= 0.9 and r.ci_low > 0 and r.ci_low < 0.9
  assert r.verdict == stats.SMALLER
  assert stats.paired_comparison(d, np.zeros(16), "greater", min_effect=0.3).verdict == stats.SUPPORTED


def test_not_shown_in_either_way_is_inconclusive():
  rng = np.random.default_rng(6)
  d = rng.normal(size=10)
  d = (d - d.mean()) / d.std(ddof=1) + 0.3  # CI about [-0.4, 1.0]: includes 0 and m
  r = stats.paired_comparison(d, np.zeros(10), "greater", min_effect=0.2)
  assert r.ci_low < 0 < 0.2 < r.ci_high
  assert r.verdict == stats.INCONCLUSIVE


def test_verdict_agrees_with_the_interval():
  # One cell: SUPPORTED iff CI low >= m, SMALLER iff 0 < CI low < m, REFUTED iff CI high < m and
  # CI low <= 0 (stats.VERDICT_RULE), over many random samples and every direction.
  rng = np.random.default_rng(7)
  m = 0.3
  for i in range(60):
    n = int(rng.integers(5, 20))
    d = rng.normal(loc=rng.uniform(-1, 1), scale=rng.uniform(0.1, 1), size=n)
    if i % 3 == 0:
      d = rng.exponential(size=n) - rng.uniform(0, 1.5)  # skewed: the bootstrap-t end decides
    if i % 4 == 1:  # zero-inflated: some resamples have sd 0 and are dropped
      d = np.where(rng.random(n) < 0.6, 0.0, np.round(rng.normal(0.5, 1, size=n)))
    for direction in stats.DIRECTIONS:
      r = stats.paired_comparison(d, np.zeros(n), direction, m, n_boot=999, seed=i)
      low, high = r.ci_low, r.ci_high
      if direction == "less":
        low, high = -high, -low
      if direction == "two-sided":
        shown, effect, excluded = (low > m or high < -m), (low > 0 or high < 0), (-m < low and high < m)
      else:
        shown, effect, excluded = low > m, low > 0, high < m
      expected = (stats.SUPPORTED if shown else stats.SMALLER if effect else
                  stats.REFUTED if excluded else stats.INCONCLUSIVE)
      assert r.verdict == expected, (i, direction, r)


def test_two_sided_effect_and_equivalence():
  t, c = _shifted(-1.0)
  assert stats.paired_comparison(t, c, "two-sided", min_effect=0.2).verdict == stats.SUPPORTED
  rng = np.random.default_rng(1)
  c = rng.normal(size=40)
  t = c + 0.01 * rng.normal(size=40)
  assert stats.paired_comparison(t, c, "two-sided", min_effect=0.2).verdict == stats.REFUTED
  # With min_effect 0 nothing can be shown equivalent.
  assert stats.paired_comparison(t, c, "two-sided", min_effect=0.0).verdict != stats.REFUTED
  # Significant, but not shown to differ by min_effect either way.
  d = np.concatenate([rng.normal(0.1, 0.05, size=40)])
  r = stats.paired_comparison(d, np.zeros(40), "two-sided", min_effect=0.2)
  assert r.verdict == stats.SMALLER and r.ci_high < 0.2


@pytest.mark.parametrize("direction", ["greater", "two-sided"])  # 'less' is 'greater' mirrored
def test_null_false_positive_rate_is_at_most_alpha(direction):
  # min_effect 0 is the most permissive rule; with no effect SUPPORTED must be rare: at most
  # alpha/2 for a one-sided claim, alpha for a two-sided one (either direction counts).
  num_sets, alpha = 400, 0.05
  rng = np.random.default_rng(123)
  x = rng.normal(size=(num_sets, 2, 30))
  supported = sum(
      stats.paired_comparison(t, c, direction, 0.0, alpha=alpha, n_boot=1000, seed=i).verdict
      == stats.SUPPORTED for i, (t, c) in enumerate(x))
  rate = alpha if direction == "two-sided" else alpha / 2
  bound = scipy.stats.binom.ppf(0.999, num_sets, rate)  # the rate plus a binomial margin
  assert supported <= bound, f"{supported} of {num_sets} null sets SUPPORTED (bound {bound})"


def test_holm_hand_example():
  # Sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> running max 0.06.
  np.testing.assert_allclose(stats.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
  np.testing.assert_allclose(stats.holm([0.5, 0.6]), [1.0, 1.0])  # capped at 1
  np.testing.assert_allclose(stats.holm([0.02]), [0.02])
  assert stats.holm([]).size == 0


def test_holm_nan_counts_in_the_family():
  adjusted = stats.holm([0.01, math.nan, 0.02])
  np.testing.assert_allclose(adjusted[[0, 2]], [0.03, 0.04])  # 0.01*3, 0.02*2; NaN ranks as 1
  assert math.isnan(adjusted[1])


def test_holm_rejects_values_outside_unit_interval():
  with pytest.raises(ValueError, match="p-values"):
    stats.holm([0.5, 1.5])


def test_non_finite_pairs_are_excluded_and_counted():
  t = np.array([1.0, 2.0, np.nan, 4.0, np.inf, 6.0, 7.0])
  c = np.array([0.0, 1.0, 0.0, np.nan, 0.0, 5.0, 6.0])
  r = stats.paired_comparison(t, c, "greater", min_effect=0.0)
  assert r.n == 4 and r.n_excluded == 3
  assert r.mean_diff == pytest.approx(1.0)


def test_all_equal_differences_do_not_crash():
  r = stats.paired_comparison(np.arange(8.0) + 0.5, np.arange(8.0), "greater", min_effect=0.1)
  assert (r.ci_low, r.ci_high, r.ci_method) == (0.5, 0.5, "degenerate")
  assert r.p == pytest.approx(1 / 10001)  # the t-test's p is 0; the bootstrap's resolution
  assert r.effect_size == math.inf and r.rank_biserial == 1.0
  assert r.verdict == stats.SUPPORTED
  zero = stats.paired_comparison(np.ones(8), np.ones(8), "greater", min_effect=0.1)
  assert zero.p == 1.0 and zero.p_zero == 1.0 and zero.effect_size == 0.0
  assert zero.verdict == stats.REFUTED  # every pair equal: an effect of 0.1 is excluded
  # Equal up to rounding (x + 0.05 - x is not exactly 0.05): still the point interval.
  x = np.linspace(0.6, 0.9, 12)
  near = stats.paired_comparison(x + 0.05, x, "greater", min_effect=0.01)
  assert near.ci_method == "degenerate" and near.verdict == stats.SUPPORTED
  assert near.ci_low == pytest.approx(0.05) and near.ci_high == pytest.approx(0.05)
  assert stats.paired_comparison(np.zeros(8), np.zeros(8), "two-sided", 0.0).verdict == stats.INCONCLUSIVE


def test_ties_at_zero_give_a_finite_interval():
  # 6 of 8 differences 0: (6/8)^8 = 10% of the resamples are all zero (sd 0, no t*). They are
  # dropped; counting them as t* = -inf made the upper end infinite.
  d = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.01, 0.02])
  r = stats.paired_comparison(d, np.zeros(8), "greater", 0.0, n_boot=2000)
  assert np.isfinite([r.ci_low, r.ci_high]).all() and r.ci_method == stats.CI_METHOD
  t_half = scipy.stats.t.ppf(0.975, 7) * np.std(d, ddof=1) / math.sqrt(8)
  assert r.ci_low <= min(0.0, d.mean() - t_half) and r.ci_high >= d.mean() + t_half - 1e-15
  assert not math.isnan(r.p) and r.verdict == stats.INCONCLUSIVE
  # The case behind it (leaky_connected_at_width_2: 16 seeds, integer counts, mostly equal): a
  # finite lower end, and the p-values still read off the interval.
  counts = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 1], dtype=float)
  r = stats.paired_comparison(counts, np.zeros(16), "less", 0.0)
  assert np.isfinite([r.ci_low, r.ci_high]).all() and r.ci_low < 0 < r.ci_high
  assert r.p > 0.025 and r.verdict == stats.INCONCLUSIVE


def test_bootstrap_half_uses_only_resamples_with_spread():
  d = np.array([0.0] * 6 + [0.5, 2.0])
  inference = stats.StudentizedMean(d[None], 4000, np.random.default_rng(0))
  kept = int(inference.n_kept[0])
  # About (6/8)^8 + 2 (1/8)^8 of the resamples are all equal: P = 0.1001.
  assert abs((4000 - kept) / 4000 - 0.1001) < 0.02
  assert np.isfinite(inference.tstar[0, :kept]).all() and np.isnan(inference.tstar[0, kept:]).all()
  # The ends use the k-th largest / smallest kept t*, k = floor(0.025 (B_kept + 1)).
  k = int(0.025 * (kept + 1))
  low, high = (float(x[0]) for x in inference.bootstrap_t_interval(0.95))
  kept_t = np.sort(inference.tstar[0, :kept])
  assert (inference.mean[0] - low) / inference.se[0] == pytest.approx(kept_t[kept - k])
  assert (inference.mean[0] - high) / inference.se[0] == pytest.approx(kept_t[k - 1])
  # and the bootstrap-t p-value counts over the kept resamples: (1 + #{t* >= t}) / (B_kept + 1).
  t_obs = inference.mean[0] / inference.se[0]
  p_boot = (1 + np.sum(kept_t >= t_obs)) / (kept + 1)
  assert inference.p_greater(0.0)[0] == pytest.approx(
      max(p_boot, scipy.stats.t.sf(t_obs, 7)))


def test_too_few_resamples_with_spread_fall_back_to_the_t_interval(monkeypatch):
  # Forced: BOOT_MIN_KEPT above the 90% of resamples of this sample that have sd > 0.
  monkeypatch.setattr(stats, "BOOT_MIN_KEPT", 0.95)
  d = np.array([0.0] * 6 + [0.5, 2.0])
  r = stats.paired_comparison(d, np.zeros(8), "greater", 0.0, n_boot=2000)
  inference = stats.StudentizedMean(d[None], 2000, np.random.default_rng(0))
  t_low, t_high = (float(x[0]) for x in inference.t_interval(0.95))
  assert r.ci_method == stats.T_ONLY_METHOD
  assert (r.ci_low, r.ci_high) == pytest.approx((t_low, t_high))
  assert r.p_zero == pytest.approx(scipy.stats.ttest_1samp(d, 0.0, alternative="greater").pvalue)


def test_too_few_pairs_is_inconclusive():
  r = stats.paired_comparison([10.0, 11.0, 12.0, 13.0], [0.0, 0.0, 0.0, 0.0], "greater", 0.1)
  assert r.n == 4 and r.verdict == stats.INCONCLUSIVE
  one = stats.paired_comparison([1.0], [0.0], "two-sided", 0.1)
  assert math.isnan(one.ci_low) and one.verdict == stats.INCONCLUSIVE
  empty = stats.paired_comparison([], [], "less", 0.1)
  assert empty.n == 0 and math.isnan(empty.p) and empty.verdict == stats.INCONCLUSIVE


def test_effect_sizes_hand_example():
  d = np.array([1.0, -2.0, 3.0, 0.0])
  r = stats.paired_comparison(d, np.zeros(4), "greater", 0.0)
  assert r.effect_size == pytest.approx(np.mean(d) / np.std(d, ddof=1))
  # Pratt ranks of |d|: 0->1, 1->2, 2->3, 3->4; (2 + 4 - 3) / (4*5/2).
  assert r.rank_biserial == pytest.approx(0.3)


def test_cell_verdict_branches():
  v, a = stats.cell_verdict, 0.05  # (n, p_holm, p_zero_holm, p_below_holm, alpha)
  assert v(10, 0.01, 0.001, 0.99, a) == stats.SUPPORTED
  assert v(10, 0.025, 0.001, 0.99, a) == stats.SUPPORTED  # at alpha/2: CI low exactly at m
  assert v(10, 0.03, 0.001, 0.99, a) == stats.SMALLER  # an effect, not its size
  assert v(10, 0.9, 0.01, 0.001, a) == stats.SMALLER  # an effect shown smaller than m
  assert v(10, 0.9, 0.2, 0.01, a) == stats.REFUTED  # size m excluded, no effect shown
  assert v(10, 0.9, 0.2, 0.04, a) == stats.INCONCLUSIVE  # 0.04 > alpha/2
  assert v(4, 0.001, 0.001, 0.99, a) == stats.INCONCLUSIVE  # n < MIN_PAIRS
  assert v(10, *[math.nan] * 3, a) == stats.INCONCLUSIVE
  np.testing.assert_array_equal(
      stats.cell_verdicts(10, [0.01, 0.03, 0.9, 0.9], [0.001, 0.001, 0.2, 0.2], [0.99, 0.99, 0.01, 0.5], a),
      [stats.SUPPORTED, stats.SMALLER, stats.REFUTED, stats.INCONCLUSIVE])


def test_overall_verdict():
  S, M, R, I = stats.SUPPORTED, stats.SMALLER, stats.REFUTED, stats.INCONCLUSIVE
  assert stats.overall_verdict([S, S]) == S
  assert stats.overall_verdict([S, I]) == I
  assert stats.overall_verdict([S, S, R]) == R
  assert stats.overall_verdict([S, M]) == M and stats.overall_verdict([M, M]) == M
  assert stats.overall_verdict([M, I]) == I and stats.overall_verdict([M, R]) == R
  assert stats.overall_verdict([]) == I
  with pytest.raises(ValueError, match="unknown verdicts"):
    stats.overall_verdict([S, "MAYBE"])


def test_verdict_rule_is_documented():
  for word in (*stats.VERDICTS, "Holm", "min_effect", "Overall", stats.CI_METHOD, "alpha/2",
               f"n < {stats.MIN_PAIRS}"):
    assert word in stats.VERDICT_RULE


@pytest.mark.parametrize("kwargs, match", [
    (dict(direction="bigger"), "direction"),
    (dict(min_effect=-0.1), "min_effect"),
    (dict(min_effect=math.nan), "min_effect"),
    (dict(alpha=1.5), "alpha"),
    (dict(n_boot=0), "n_boot"),
])
def test_bad_arguments_raise(kwargs, match):
  args = dict(treatment=np.ones(5), control=np.zeros(5), direction="greater", min_effect=0.1)
  with pytest.raises(ValueError, match=match):
    stats.paired_comparison(**{**args, **kwargs})


def test_unpaired_lengths_raise():
  with pytest.raises(ValueError, match="paired"):
    stats.paired_comparison(np.ones(5), np.ones(4), "greater", 0.1)


_values = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([0.0, 1.0, math.nan, math.inf, -math.inf]),  # ties, constants, non-finite
)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(_values, _values), max_size=25),
       direction=st.sampled_from(stats.DIRECTIONS),
       min_effect=st.floats(0.0, 10.0),
       seed=st.integers(0, 2**16))
def test_any_input_gives_one_of_the_verdicts(pairs, direction, min_effect, seed):
  t = np.array([p[0] for p in pairs], dtype=float)
  c = np.array([p[1] for p in pairs], dtype=float)
  r = stats.paired_comparison(t, c, direction, min_effect, n_boot=200, seed=seed)
  assert r.verdict in stats.VERDICTS
  assert r.n + r.n_excluded == len(pairs)
  for p in (r.p, r.p_zero, r.p_below):
    assert math.isnan(p) or 0.0 <= p <= 1.0
  if r.n >= 2 and r.ci_method != "none":
    assert r.ci_low <= r.ci_high
    assert math.isfinite(r.ci_low) and math.isfinite(r.ci_high)  # n_boot 200 has finite tails
