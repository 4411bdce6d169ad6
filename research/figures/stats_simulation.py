"""Figure of the verdict-rule simulations (research/stats_simulation.py): coverage of the
intervals by n, and the SUPPORTED / SMALLER THAN CLAIMED rates by the true effect."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from research import stats
from research.figures.style import Figure, save


def _style(dist: str) -> tuple[str, str]:
  """(base distribution, zero share) of a distribution's name: 'zero-inflated(0.5) exponential'
  is the exponential with half of the differences set to 0."""
  if dist.startswith("zero-inflated("):
    share, base = dist[len("zero-inflated("):].split(") ", 1)
    return base, share
  return dist, "0"


# One colour per base distribution, one line style per share of exact zeros.
_DASHES = {"0": "-", "0.25": "--", "0.5": "-.", "0.75": ":"}


def plot(cov: pd.DataFrame, rates: pd.DataFrame, path: Path) -> Figure:
  """Coverage of the two intervals by n and distribution, and the verdict rates by true effect."""
  fig, axes = plt.subplots(1, 3, figsize=(15, 5.6))
  bases = list(dict.fromkeys(_style(d)[0] for d in cov["distribution"]))
  colour = dict(zip(bases, plt.get_cmap("tab10").colors))
  lowest = min(0.8, float(np.floor(cov[["union", "t"]].min().min() * 50) / 50))  # every point shown
  for method, ax in zip(("union", "t"), axes[:2]):
    for dist, g in cov.groupby("distribution", sort=False):
      base, share = _style(dist)
      ax.plot(g["n"], g[method], marker="o", ms=4, color=colour[base], ls=_DASHES.get(share, "-"),
              label=dist)
    ax.axhline(0.95, color="k", lw=0.8)
    ax.axhline(0.93, color="r", lw=0.8, ls="--")
    ax.set(xscale="log", xticks=sorted(cov["n"].unique()), xlabel="n (pairs)", ylabel="coverage",
           ylim=(lowest, 1.0), title=f"95% CI coverage: {'t ∪ boot-t (used)' if method == 'union' else 't only'}")
    ax.set_xticklabels(sorted(cov["n"].unique()))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
  reps = int(cov["reps"].max()) if "reps" in cov else None
  # The distributions' legend under the two coverage panels, where it hides no line.
  fig.legend(*axes[0].get_legend_handles_labels(), loc="lower left", bbox_to_anchor=(0.03, 0.0), ncol=4,
             fontsize=8, frameon=False,
             title="differences d (colour: distribution; line: share of exact zeros 0 / 0.25 / 0.5 / 0.75)"
             + (f"; {reps:,} replications per point" if reps else ""), title_fontsize=8)
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
  ax.legend(fontsize=8, loc="center right")
  fig.tight_layout(rect=(0, 0.2, 1, 1))
  worst = cov.loc[cov["union"].idxmin()]
  caption = (f"Coverage of the 95% intervals over simulated data sets (red dashed: 93%); the interval used covers "
             f"at least {worst['union']:.3f} (lowest: {worst['distribution']}, n = {worst['n']}).")
  return Figure(save(fig, path), caption)
