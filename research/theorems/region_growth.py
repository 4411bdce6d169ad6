"""Linear regions in a 2-D box at initialisation vs neurons, depth and LeakyReLU slope (Hanin &
Rolnick, ICML 2019 and NeurIPS 2019).

Their result: at initialisation the number of regions a 2-D box meets grows like (number of
neurons)^2 (the input dimension), whatever the depth at a fixed number of neurons, and it depends
on the activation only through its breakpoints. Counted exactly with
edge_subdivision.count_regions_fast (it falls back to regions.enumerate_regions off general
position) on random He-initialised nets with N(0, bias_std^2) biases (zero biases would make every
region a cone from the origin, about 2 per neuron); `neurons` is the total over the hidden layers,
split equally. The nets of one seed are the same for every slope (same weights), so slopes are
compared paired; the fits reuse the linear_regions study's log-log fit (95% t interval).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.stats

from research.activations import parse_activation
from research.metrics.edge_subdivision import count_regions_fast
from research.studies.linear_regions import fit_loglog
from research.theorems.nets import draw_nets, net


def count_table(seed: int, neurons, depths, slopes, num_seeds: int, half_width: float,
                bias_std: float) -> pd.DataFrame:
  """One row per (neurons, depth, seed, slope): the exact region count in [-half, half]^2."""
  box = np.array([[-half_width, half_width], [-half_width, half_width]])
  pwls = {s: parse_activation(f"leaky_relu:{s:g}").pwl() for s in slopes}
  rows = []
  for n in neurons:
    for depth in depths:
      width = n // depth
      ws, bs = draw_nets(np.random.default_rng([seed, n, depth]), num_seeds, (2, *[width] * depth, 1),
                         bias_std=bias_std)
      for i in range(num_seeds):
        w, b = net(ws, bs, i)
        for s, pwl in pwls.items():
          rows.append(dict(neurons=n, depth=depth, width=width, seed=i, slope=s,
                           num_regions=count_regions_fast(w, b, pwl, box)))
  return pd.DataFrame(rows)


def _t_interval(x: np.ndarray) -> tuple[float, float, float]:
  """Mean and 95% t interval of a sample."""
  x = np.asarray(x, float)
  if len(x) < 2:
    return float(x.mean()) if len(x) else math.nan, math.nan, math.nan
  half = scipy.stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
  return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


def claim_rows(counts: pd.DataFrame, tol_exponent: float, tol_depth: float, tol_slope: float) -> pd.DataFrame:
  """The three estimates with their 95% intervals next to the theory, one row per fit.

  exponent: slope of log count on log neurons (per slope, every depth and seed pooled), theory 2;
  depth: change of log2 count per added layer at fixed neurons (per slope and neurons), theory 0;
  slope: mean paired log2(count at slope s / count at the smallest slope) per neurons, depths > 1
  only, theory 0.
  Verdict: CONSISTENT when the whole interval lies within +-tol of the theory, INCONSISTENT when
  it lies wholly outside, INCONCLUSIVE otherwise.
  """
  rows = []
  def verdict(lo, hi, theory, tol):
    if not (np.isfinite(lo) and np.isfinite(hi)):
      return "INCONCLUSIVE"
    if theory - tol <= lo and hi <= theory + tol:
      return "CONSISTENT"
    if hi < theory - tol or lo > theory + tol:
      return "INCONSISTENT"
    return "INCONCLUSIVE"
  for s, g in counts.groupby("slope"):
    f = fit_loglog(g["neurons"], g["num_regions"])
    rows.append(dict(estimate="exponent of neurons", cell=f"slope {s:g}, depths pooled", value=f["slope"],
                     ci_low=f["ci_low"], ci_high=f["ci_high"], n=f["n"], theory=2.0, tolerance=tol_exponent,
                     verdict=verdict(f["ci_low"], f["ci_high"], 2.0, tol_exponent)))
  for (s, n), g in counts.groupby(["slope", "neurons"]):
    if g["depth"].nunique() < 2:
      continue
    f = fit_loglog(g["depth"], g["num_regions"], log_x=False)
    f = {k: f[k] / math.log(2) for k in ("slope", "ci_low", "ci_high")} | {"n": f["n"]}
    rows.append(dict(estimate="log2 regions per added layer", cell=f"slope {s:g}, {n} neurons",
                     value=f["slope"], ci_low=f["ci_low"], ci_high=f["ci_high"], n=f["n"], theory=0.0,
                     tolerance=tol_depth, verdict=verdict(f["ci_low"], f["ci_high"], 0.0, tol_depth)))
  base = counts["slope"].min()
  keys = ["neurons", "depth", "seed"]
  # At depth 1 the regions are the first layer's lines whatever the slope (ratio exactly 1): they
  # would only narrow the interval, so the slopes are compared on the deeper nets.
  deep = counts[counts["depth"] > 1]
  ref = deep[deep["slope"] == base].set_index(keys)["num_regions"]
  for s in sorted(set(deep["slope"]) - {base}):
    other = deep[deep["slope"] == s].set_index(keys)["num_regions"]
    ratio = np.log2(other / ref).dropna().reset_index()
    for n, g in ratio.groupby("neurons"):
      m, lo, hi = _t_interval(g["num_regions"])
      rows.append(dict(estimate=f"log2(count at slope {s:g} / at {base:g}), paired", cell=f"{n} neurons",
                       value=m, ci_low=lo, ci_high=hi, n=len(g), theory=0.0, tolerance=tol_slope,
                       verdict=verdict(lo, hi, 0.0, tol_slope)))
  return pd.DataFrame(rows)
