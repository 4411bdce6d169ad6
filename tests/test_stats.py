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
  assert r.ci_low > 0 and r.ci_low < r.mean_diff < r.ci_high
  assert r.p < 1e-4 and r.p_holm == r.p


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
  assert less.mean_diff == pytest.approx(-greater.mean_diff)


def test_effect_below_min_effect_is_refuted():
  # A real but tiny effect: significant, yet the CI excludes the effect size that matters.
  t, c = _shifted(0.0, n=200)
  t = c + 0.05 + 0.01 * (t - c)
  r = stats.paired_comparison(t, c, "greater", min_effect=0.5)
  assert r.p < 0.05 and r.ci_high < 0.5
  assert r.verdict == stats.REFUTED


def test_two_sided_effect_and_equivalence():
  t, c = _shifted(-1.0)
  assert stats.paired_comparison(t, c, "two-sided", min_effect=0.2).verdict == stats.SUPPORTED
  rng = np.random.default_rng(1)
  c = rng.normal(size=40)
  t = c + 0.01 * rng.normal(size=40)
  assert stats.paired_comparison(t, c, "two-sided", min_effect=0.2).verdict == stats.REFUTED
  # With min_effect 0 nothing can be shown equivalent.
  assert stats.paired_comparison(t, c, "two-sided", min_effect=0.0).verdict != stats.REFUTED


@pytest.mark.parametrize("direction", ["greater", "two-sided"])  # 'less' is 'greater' mirrored
def test_null_false_positive_rate_is_at_most_alpha(direction):
  # min_effect 0 is the most permissive rule; with no effect SUPPORTED must be rare.
  num_sets, alpha = 400, 0.05
  rng = np.random.default_rng(123)
  x = rng.normal(size=(num_sets, 2, 30))
  supported = sum(
      stats.paired_comparison(t, c, direction, 0.0, alpha=alpha, n_boot=1000, seed=i).verdict
      == stats.SUPPORTED for i, (t, c) in enumerate(x))
  bound = scipy.stats.binom.ppf(0.999, num_sets, alpha)  # alpha plus a binomial margin
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
  assert r.p == pytest.approx(2.0 ** -8)  # exact: all 8 signs positive
  assert r.effect_size == math.inf and r.rank_biserial == 1.0
  assert r.verdict == stats.SUPPORTED
  zero = stats.paired_comparison(np.ones(8), np.ones(8), "greater", min_effect=0.1)
  assert zero.p == 1.0 and zero.effect_size == 0.0
  assert zero.verdict == stats.REFUTED  # every pair equal: an effect of 0.1 is excluded


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


def test_ties_and_zeros_use_exact_sign_flip_p():
  # 6 pairs, 2 zero differences, the rest positive: Pratt ranks 3.5, 3.5, 5, 6 all on the plus side.
  d = np.array([0.0, 0.0, 0.1, 0.1, 0.2, 0.3])
  r = stats.paired_comparison(d, np.zeros(6), "greater", 0.0)
  # Sign flips of the 4 non-zero ranks (ties 3.5, 3.5, 5, 6) reaching the observed sum 18: only
  # all-plus, so 4 of the 64 equally likely sign vectors (the zeros' signs do not matter).
  assert r.p == pytest.approx(4 / 64)


def test_tied_p_values_match_scipy_wilcoxon():
  d = np.array([0.0, 0.1, 0.1, -0.1, 0.2, 0.2, 0.3, 0.0])
  for alternative in stats.DIRECTIONS:
    expected = scipy.stats.wilcoxon(d, zero_method="pratt", alternative=alternative).pvalue
    assert stats.wilcoxon_p(d, alternative) == pytest.approx(expected)


def test_cell_verdict_branches():
  v = stats.cell_verdict
  assert v("greater", 10, 0.3, 0.1, 0.5, 0.01, 0.99, 0.2, 0.05) == stats.SUPPORTED
  assert v("greater", 10, 0.1, 0.05, 0.15, 0.01, 0.99, 0.2, 0.05) == stats.REFUTED  # CI below m
  assert v("greater", 10, 0.3, -0.1, 0.7, 0.2, 0.8, 0.2, 0.05) == stats.INCONCLUSIVE
  assert v("greater", 10, -0.3, -0.5, 0.4, 0.9, 0.01, 0.2, 0.05) == stats.REFUTED  # opposite p
  assert v("greater", 4, 0.3, 0.1, 0.5, 0.01, 0.99, 0.2, 0.05) == stats.INCONCLUSIVE  # n < 5
  assert v("less", 10, -0.3, -0.5, -0.1, 0.01, 0.99, 0.2, 0.05) == stats.SUPPORTED
  assert v("less", 10, -0.1, -0.15, -0.05, 0.01, 0.99, 0.2, 0.05) == stats.REFUTED
  assert v("two-sided", 10, -0.3, -0.5, -0.1, 0.01, math.nan, 0.2, 0.05) == stats.SUPPORTED
  assert v("two-sided", 10, 0.0, -0.1, 0.1, 0.9, math.nan, 0.2, 0.05) == stats.REFUTED
  assert v("two-sided", 10, 0.1, -0.1, 0.3, 0.9, math.nan, 0.2, 0.05) == stats.INCONCLUSIVE
  # Contradictory evidence (possible only through a BCa interval off the mean) is inconclusive.
  assert v("greater", 10, 0.3, 0.05, 0.15, 0.01, 0.99, 0.2, 0.05) == stats.INCONCLUSIVE
  assert v("greater", 10, *[math.nan] * 5, 0.2, 0.05) == stats.INCONCLUSIVE


def test_overall_verdict():
  S, R, I = stats.SUPPORTED, stats.REFUTED, stats.INCONCLUSIVE
  assert stats.overall_verdict([S, S]) == S
  assert stats.overall_verdict([S, I]) == I
  assert stats.overall_verdict([S, S, R]) == R
  assert stats.overall_verdict([]) == I
  with pytest.raises(ValueError, match="unknown verdicts"):
    stats.overall_verdict([S, "MAYBE"])


def test_verdict_rule_is_documented():
  for word in ("SUPPORTED", "REFUTED", "INCONCLUSIVE", "Holm", "min_effect", "Overall"):
    assert word in stats.VERDICT_RULE


@pytest.mark.parametrize("kwargs, match", [
    (dict(direction="bigger"), "direction"),
    (dict(min_effect=-0.1), "min_effect"),
    (dict(min_effect=math.nan), "min_effect"),
    (dict(alpha=1.5), "alpha"),
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
def test_any_input_gives_one_of_three_verdicts(pairs, direction, min_effect, seed):
  t = np.array([p[0] for p in pairs], dtype=float)
  c = np.array([p[1] for p in pairs], dtype=float)
  r = stats.paired_comparison(t, c, direction, min_effect, n_boot=200, seed=seed)
  assert r.verdict in stats.VERDICTS
  assert r.n + r.n_excluded == len(pairs)
  assert math.isnan(r.p) or 0.0 <= r.p <= 1.0
  if r.n >= 2 and r.ci_method != "none":
    assert r.ci_low <= r.ci_high
