"""Figure of the verdict-rule simulations (research/stats_simulation.py): coverage of the
intervals by n, and the SUPPORTED / SMALLER THAN CLAIMED rates by the true effect."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd

from research import stats
from research.figures.style import Figure, save


def plot(cov: pd.DataFrame, rates: pd.DataFrame, path: Path) -> Figure:
  """Coverage of the two intervals by n and distribution, and the verdict rates by true effect."""
  fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
  for method, ax in zip(("union", "t"), axes[:2]):
    for dist, g in cov.groupby("distribution", sort=False):
      ax.plot(g["n"], g[method], marker="o", label=dist)
    ax.axhline(0.95, color="k", lw=0.8)
    ax.axhline(0.93, color="r", lw=0.8, ls="--")
    ax.set(xscale="log", xticks=sorted(cov["n"].unique()), xlabel="n (pairs)", ylabel="coverage",
           ylim=(0.8, 1.0), title=f"95% CI coverage: {'t ∪ boot-t (used)' if method == 'union' else 't only'}")
    ax.set_xticklabels(sorted(cov["n"].unique()))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
  axes[0].legend(fontsize=8)
  ax = axes[2]
  normal = rates[rates["distribution"] == "normal"]
  for n, g in normal.groupby("n"):
    line, = ax.plot(g["effect_over_min_effect"], g[stats.SUPPORTED], marker="o",
                    label=f"n={n}, m={g['min_effect_sd'].iloc[0]:g} sd: SUPPORTED")
    ax.plot(g["effect_over_min_effect"], g[stats.SMALLER], ls=":", color=line.get_color())
  ax.axhline(0.05, color="r", lw=0.8, ls="--")
  ax.axhline(0.8, color="k", lw=0.8, ls="--")
  ax.axvline(1.0, color="grey", lw=0.8)
  ax.set(xlabel="true effect / min_effect", ylabel="fraction of runs",
         title="normal d: SUPPORTED (solid), SMALLER (dotted)")
  ax.legend(fontsize=8)
  fig.tight_layout()
  worst = cov.loc[cov["union"].idxmin()]
  caption = (f"Coverage of the 95% intervals over simulated data sets (red dashed: 93%); the interval used covers "
             f"at least {worst['union']:.3f} (lowest: {worst['distribution']}, n = {worst['n']}).")
  return Figure(save(fig, path), caption)
