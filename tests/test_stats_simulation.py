"""The verdict rule on simulated differences with known truth (research.stats_simulation).

Every assertion is a one-sided binomial test at level 0.001 of the rate the brief asks for: a rule
whose true rate meets the target fails it with probability <= 0.001 whatever the (fixed) seed, and
one that misses the target by a few points fails it (the t interval alone is shown to fail). The
measured rates of the full grid are in the module docstring of research/stats.py and come from
`python -m experiments.stats_simulation --out DIR` (the slow tests run a part of it).

Standardised effects (d = effect + sd * z, sd = 1): min_effect m = 0.9 sd at n = 16 and 0.6 sd at
n = 32, so the true effect 2m is 1.8 sd and 1.2 sd; at 8 pairs m = 1.3 sd. Below those sizes the
power to show the claimed size at 2m drops under 80% (showing the size needs about 3 standard
errors between the true effect and m).
"""

import numpy as np
import pytest
import scipy.stats

from research import stats
from research import stats_simulation as sim

MIN_EFFECT_SD = {6: 1.6, 8: 1.3, 16: 0.9, 32: 0.6}
LEVEL = 0.001  # of each binomial check


def _at_most(rate: float, target: float, reps: int) -> bool:
  """The observed rate is not significantly above the target."""
  return round(rate * reps) <= scipy.stats.binom.ppf(1 - LEVEL, reps, target)


def _at_least(rate: float, target: float, reps: int) -> bool:
  """The observed rate is not significantly below the target."""
  return round(rate * reps) >= scipy.stats.binom.ppf(LEVEL, reps, target)


@pytest.mark.parametrize("n", [8, 16, 32])
@pytest.mark.parametrize("ratio", [0.0, 0.9])
def test_false_support_is_rare(n, ratio):
  reps, m = 4000, MIN_EFFECT_SD[n]
  rates = sim.verdict_rates("normal", n, ratio * m, m, 1.0, reps, n_boot=499, seed=n + int(10 * ratio))
  assert _at_most(rates[stats.SUPPORTED], 0.05, reps), rates
  if ratio == 0.0:  # no effect: SMALLER THAN CLAIMED (an effect shown) is a false positive too
    assert _at_most(rates[stats.SUPPORTED] + rates[stats.SMALLER], 0.05, reps), rates


def test_false_support_is_rare_for_left_skewed_differences():
  # A seed where the treatment fails now and then: the case in which a one-sided t-test is
  # anti-conservative (the bootstrap-t half of the rule corrects it).
  reps, n = 4000, 16
  m = MIN_EFFECT_SD[n]
  rates = sim.verdict_rates("-exponential", n, 0.9 * m, m, 1.0, reps, n_boot=499, seed=3)
  assert _at_most(rates[stats.SUPPORTED], 0.05, reps), rates


@pytest.mark.parametrize("n", [16, 32])
def test_power_at_twice_the_claimed_size(n):
  reps, m = 2000, MIN_EFFECT_SD[n]
  rates = sim.verdict_rates("normal", n, 2 * m, m, 1.0, reps, n_boot=499, seed=40 + n)
  assert _at_least(rates[stats.SUPPORTED], 0.80, reps), rates


def test_direction_less_is_the_mirror_image():
  reps, n = 1000, 16
  m = MIN_EFFECT_SD[n]
  greater = sim.verdict_rates("normal", n, 2 * m, m, 1.0, reps, 499, seed=5)
  less = sim.verdict_rates("normal", n, 2 * m, m, 1.0, reps, 499, seed=5, direction="less")
  assert greater == less


@pytest.mark.parametrize("n", [8, 16, 32])
@pytest.mark.parametrize("distribution", ["exponential", "t(3)"])
def test_coverage_of_skewed_and_heavy_tailed_differences(n, distribution):
  reps = 6000
  cov = sim.coverage(distribution, n, reps, n_boot=499, seed=7 * n)
  assert _at_least(cov["union"], 0.93, reps), cov
  if distribution == "exponential" and n <= 16:
    assert not _at_least(cov["t"], 0.93, reps), cov  # the check has teeth: t alone fails it


# Zero-inflated differences (most pairs exactly equal): the families whose coverage the module
# notes of research/stats.py claim; more zeros or skew at n = 8 is a stated limit, not asserted.
ZERO_INFLATED_CLAIMED = ["zero-inflated(0.5) normal", "zero-inflated(0.25) exponential"]


@pytest.mark.parametrize("n", [8, 16, 32])
@pytest.mark.parametrize("distribution", ZERO_INFLATED_CLAIMED)
def test_coverage_of_zero_inflated_differences(n, distribution):
  reps = 6000
  cov = sim.coverage(distribution, n, reps, n_boot=499, seed=13 * n, effect=0.5)
  assert _at_least(cov["union"], 0.93, reps), cov
  assert cov["infinite"] == 0.0, cov  # resamples with sd 0 used to make an end infinite
  if distribution.endswith("exponential") and n <= 16:
    assert not _at_least(cov["t"], 0.93, reps), cov  # the t interval alone does not cover


@pytest.mark.parametrize("n", [8, 16, 32])
@pytest.mark.parametrize("ratio", [0.0, 0.9])
def test_false_support_is_rare_for_zero_inflated_differences(n, ratio):
  reps, m = 4000, MIN_EFFECT_SD[n]
  for distribution in ZERO_INFLATED_CLAIMED:
    rates = sim.verdict_rates(distribution, n, ratio * m, m, 1.0, reps, n_boot=499,
                              seed=70 + n + int(10 * ratio))
    assert _at_most(rates[stats.SUPPORTED], 0.05, reps), (distribution, rates)
    if ratio == 0.0:
      assert _at_most(rates[stats.SUPPORTED] + rates[stats.SMALLER], 0.05, reps), (distribution, rates)


def test_zero_inflated_draws_keep_exact_zeros_and_the_mean():
  rng = np.random.default_rng(0)
  d = sim.draw("zero-inflated(0.75) exponential", 0.3, 1.0, rng, (200_000,))
  assert abs(np.mean(d == 0.0) - 0.75) < 0.005 and abs(d.mean() - 0.3) < 0.02
  with pytest.raises(ValueError, match="distribution must be one of"):
    sim.draw("zero-inflated", 0.0, 1.0, rng, (3,))


@pytest.mark.slow
@pytest.mark.parametrize("n", [8, 16, 32])
@pytest.mark.parametrize("distribution", sorted(sim.ZERO_INFLATED))
def test_full_zero_inflated_coverage(n, distribution):
  reps = 10000
  cov = sim.coverage(distribution, n, reps, n_boot=1999, seed=17 * n, effect=0.5)
  assert cov["infinite"] == 0.0, cov
  if distribution in ZERO_INFLATED_CLAIMED:
    assert _at_least(cov["union"], 0.93, reps), cov


@pytest.mark.slow
@pytest.mark.parametrize("n", [6, 8, 16, 32])
@pytest.mark.parametrize("distribution", ["normal", "exponential", "-exponential", "lognormal(0.5)", "t(3)"])
def test_full_coverage(n, distribution):
  reps = 10000
  cov = sim.coverage(distribution, n, reps, n_boot=1999, seed=11 * n)
  assert _at_least(cov["union"], 0.93, reps), cov


@pytest.mark.slow
@pytest.mark.parametrize("n", [6, 8, 16, 32])
@pytest.mark.parametrize("distribution", ["normal", "exponential", "-exponential", "t(3)"])
def test_full_false_support_and_power(n, distribution):
  reps, m = 4000, MIN_EFFECT_SD[n]
  for ratio in (0.0, 0.5, 0.9):
    rates = sim.verdict_rates(distribution, n, ratio * m, m, 1.0, reps, 1999, seed=n + int(10 * ratio))
    assert _at_most(rates[stats.SUPPORTED], 0.05, reps), (ratio, rates)
  if distribution == "normal" and n >= 16:
    rates = sim.verdict_rates(distribution, n, 2 * m, m, 1.0, reps, 1999, seed=99 + n)
    assert _at_least(rates[stats.SUPPORTED], 0.80, reps), rates
