"""Simulations with known truth for the verdict rule of research.stats.

Paired differences d = effect + sd * z, z standardised (mean 0, sd 1) from one of DISTRIBUTIONS;
every replication runs the same code as a one-cell hypothesis (stats.StudentizedMean,
stats.directional_pvalues, stats.cell_verdicts), vectorised over replications.

- `coverage`: how often the interval (union, t alone, bootstrap-t alone) contains the true mean,
  and how often an end is infinite.
- Zero-inflated differences (ZERO_INFLATED): most pairs exactly equal, as when both arms count the
  same number of regions or both runs fit; they are the case that used to give infinite ends.
- `verdict_rates`: the fraction of replications with each verdict at a true effect, for a
  min_effect; false support is the SUPPORTED rate at effects below min_effect, power the rate at
  effects above it.

`python -m experiments.stats_simulation --out DIR` runs the full grid (a few minutes on one core) and
writes DIR/coverage.csv, DIR/verdicts.csv and DIR/stats_simulation.png (coverage vs n per method
and distribution; SUPPORTED / SMALLER rates vs true effect / min_effect per n).
tests/test_stats_simulation.py asserts the fast versions.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd

from research import stats


def _standard_t3(rng, size):
  return rng.standard_t(3, size=size) / math.sqrt(3.0)  # sd of t(3) is sqrt(3)


def _lognormal(sigma: float):
  mean, sd = math.exp(sigma**2 / 2), math.sqrt((math.exp(sigma**2) - 1) * math.exp(sigma**2))
  return lambda rng, size: (rng.lognormal(0.0, sigma, size=size) - mean) / sd


# Standardised differences: mean 0, sd 1. "exponential" is right-skewed (skewness 2), "-exponential"
# its mirror image (a seed where the treatment fails: the case that fools a one-sided t-test).
DISTRIBUTIONS: dict[str, Callable] = {
    "normal": lambda rng, size: rng.normal(size=size),
    "exponential": lambda rng, size: rng.exponential(size=size) - 1.0,
    "-exponential": lambda rng, size: 1.0 - rng.exponential(size=size),
    "lognormal(0.5)": _lognormal(0.5),
    "lognormal(0.75)": _lognormal(0.75),
    "t(3)": _standard_t3,
}


# Zero-inflated differences: exactly 0 with probability p (both arms equal: the same count, both
# runs fit), otherwise effect / (1 - p) + sd * z with z from DISTRIBUTIONS, so the mean is `effect`
# and the zeros stay exact at every effect. Name: "zero-inflated(p) <base>".
ZERO_INFLATED = {f"zero-inflated({p:g}) {base}": (p, base)
                 for p in (0.25, 0.5, 0.75) for base in ("normal", "exponential", "-exponential")}


def draw(distribution: str, effect: float, sd: float, rng: np.random.Generator, size) -> np.ndarray:
  """Differences with mean `effect`: effect + sd * z, or the zero-inflated version of it."""
  if distribution in ZERO_INFLATED:
    p, base = ZERO_INFLATED[distribution]
    nonzero = rng.random(size) >= p
    return np.where(nonzero, effect / (1.0 - p) + sd * DISTRIBUTIONS[base](rng, size), 0.0)
  if distribution not in DISTRIBUTIONS:
    raise ValueError(f"distribution must be one of {(*DISTRIBUTIONS, *ZERO_INFLATED)}, "
                     f"got {distribution!r}")
  return effect + sd * DISTRIBUTIONS[distribution](rng, size)


def coverage(distribution: str, n: int, reps: int, n_boot: int, seed: int,
             confidence: float = 0.95, effect: float = 0.0) -> dict[str, float]:
  """Fraction of `reps` samples of n differences (mean `effect`, sd 1 before any zero-inflation)
  whose interval contains the true mean; 'infinite': the fraction with an infinite end."""
  rng = np.random.default_rng(seed)
  d = draw(distribution, effect, 1.0, rng, (reps, n))
  inference = stats.StudentizedMean(d, n_boot, rng)
  out = {}
  for method, (low, high) in (("union", inference.interval(confidence)),
                              ("t", inference.t_interval(confidence)),
                              ("bootstrap-t", inference.bootstrap_t_interval(confidence))):
    # A dropped bootstrap-t half (NaN) does not cover: its rate is over the rows where it exists.
    out[method] = float(np.mean((low <= effect) & (effect <= high)))
  low, high = inference.interval(confidence)
  out["infinite"] = float(np.mean(np.isinf(low) | np.isinf(high)))
  return out


def verdict_rates(distribution: str, n: int, effect: float, min_effect: float, sd: float, reps: int,
                  n_boot: int, seed: int, direction: str = "greater", alpha: float = 0.05
                  ) -> dict[str, float]:
  """Fraction of one-cell verdicts of each kind, true mean difference `effect` (in the claimed
  direction: for 'less' the differences are negated)."""
  rng = np.random.default_rng(seed)
  d = draw(distribution, effect, sd, rng, (reps, n))
  if direction == "less":
    d = -d
  inference = stats.StudentizedMean(d, n_boot, rng)
  verdicts = stats.cell_verdicts(n, *stats.directional_pvalues(inference, direction, min_effect),
                                 alpha=alpha)
  return {v: float(np.mean(verdicts == v)) for v in stats.VERDICTS}


# The true mean at which coverage is measured: any value for the location families (the interval
# is shift-equivariant); for zero-inflated ones 0.5 sd, so that the non-zero draws are not centred
# on the zeros (coverage of 0 when the non-zero part has mean 0 is the easy case).
ZERO_INFLATED_COVERAGE_EFFECT = 0.5


def run(reps: int = 4000, n_boot: int = 1999, ns=(6, 8, 16, 32),
        distributions=(*DISTRIBUTIONS, *ZERO_INFLATED), ratios=(0.0, 0.5, 0.9, 1.0, 1.5, 2.0, 3.0),
        min_effect_sd: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
  """The full grid: (coverage table, verdict-rate table)."""
  # min_effect in units of sd(d), per n: the size at which twice min_effect has ~90% power.
  min_effect_sd = min_effect_sd or {6: 1.6, 8: 1.3, 16: 0.9, 32: 0.6}
  cov, rates = [], []
  for i, dist in enumerate(distributions):
    for j, n in enumerate(ns):
      effect = ZERO_INFLATED_COVERAGE_EFFECT if dist in ZERO_INFLATED else 0.0
      cov.append(dict(distribution=dist, n=n, reps=reps, true_mean=effect,
                      **coverage(dist, n, reps, n_boot, seed=100 * i + j, effect=effect)))
      for k, ratio in enumerate(ratios):
        m = min_effect_sd[n]
        r = verdict_rates(dist, n, ratio * m, m, 1.0, reps, n_boot, seed=10_000 + 1000 * i + 100 * j + k)
        rates.append(dict(distribution=dist, n=n, min_effect_sd=m, effect_over_min_effect=ratio,
                          reps=reps, **r))
  return pd.DataFrame(cov), pd.DataFrame(rates)
