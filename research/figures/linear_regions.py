"""Figures of the linear_regions study, drawn from its regions.csv only.

Every seed is a point; bars are the geometric mean and 95% t-interval of the log over seeds
(style.py). Panels carry the fitted log-log exponent (research.studies.linear_regions.fit_loglog)
next to the theory's guide slope.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from research.figures.style import (Figure, activation_palette, begin, excluded_note, log_axes, not_diverged, offsets,
                                    save, seed_range, seeds_and_means)
from research.studies.linear_regions import fit_loglog


def plot_vs_neurons(results: pd.DataFrame, metric: str, label: str, title: str, path: Path,
                    guide_slope: float) -> Figure | None:
  """See _plot_vs_neurons; names the seeds measured when the metric exists on some seeds only."""
  measured = results.dropna(subset=[metric])
  subset = (f"; {metric.replace('_', ' ')} on {seed_range(measured['seed'])} only (eval.expensive_seeds)"
            if measured["seed"].nunique() < results["seed"].nunique() else "")
  return _plot_vs_neurons(measured, metric, label, title, path, guide_slope, subset)


def _plot_vs_neurons(results: pd.DataFrame, metric: str, label: str, title: str, path: Path,
                     guide_slope: float, subset: str) -> Figure | None:
  """metric vs total neurons on log-log axes, one colour per depth, one panel per activation x step.

  x is log2(neurons) so that depths can sit side by side at each width; every seed is a point.
  Each panel carries the fitted exponent over all depths (95% CI) and a dashed guide of slope
  `guide_slope` through the panel's geometric mean.
  """
  ok = not_diverged(results)
  ok = ok[ok[metric] > 0]
  if ok.empty:
    return None
  acts, steps = list(dict.fromkeys(ok["activation"])), sorted(ok["step"].unique())
  depths = sorted(ok["depth"].unique())
  colours = dict(zip(depths, plt.get_cmap("viridis")(np.linspace(0, 0.9, len(depths)))))
  shift = offsets(depths, 0.7)
  neurons = np.array(sorted(ok["neurons"].unique()), float)
  fig, axes = plt.subplots(len(acts), len(steps), squeeze=False, sharex=True, sharey=True, layout="constrained",
                           figsize=(3.0 * len(steps) + 0.5, 2.6 * len(acts) + 1.0))
  rng = np.random.default_rng(0)
  ns, fits = set(), []
  for i, act in enumerate(acts):
    for j, step in enumerate(steps):
      ax = axes[i, j]
      cell = ok[(ok["activation"] == act) & (ok["step"] == step)]
      for d in depths:
        a = cell[cell["depth"] == d]
        ns |= set(seeds_and_means(ax, [np.log2(n) + shift[d] for n in neurons],
                                  [a.loc[a["neurons"] == n, metric] for n in neurons], colours[d], rng,
                                  width=0.6 / len(depths), log=True, mean_colour=colours[d]))
      f = fit_loglog(cell["neurons"], cell[metric])
      if np.isfinite(f["slope"]):
        fits.append((act, step, f["slope"]))
        mid = np.exp(np.mean(np.log(cell[metric])))
        xl = np.log2(neurons)
        ax.plot(xl, mid * (2.0 ** (xl - xl.mean())) ** guide_slope, "k--", lw=0.8, alpha=0.6)
        ax.text(0.03, 0.97, f"fitted slope {f['slope']:.2f}\n95% CI [{f['ci_low']:.2f}, {f['ci_high']:.2f}]",
                transform=ax.transAxes, va="top", fontsize=7.5,
                bbox=dict(boxstyle="round", fc="white", ec="0.8", alpha=0.9))
      ax.set_title(f"{act}, step {step}", fontsize=8.5)
      ax.grid(alpha=0.3)
      if j == 0:
        ax.set_ylabel(label, fontsize=8.5)
      if i == len(acts) - 1:
        ax.set_xlabel("total hidden neurons (count, log scale)")
  log_axes(axes[0, 0])
  axes[0, 0].set_xticks(np.log2(neurons), [f"{n:g}" for n in neurons])
  handles = [Line2D([], [], color=colours[d], marker="o", ls="none", label=f"{d} hidden layers") for d in depths]
  handles.append(Line2D([], [], color="k", ls="--", label=f"guide: slope {guide_slope:g}"))
  fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
  n_text = f"n = {min(ns)}" + (f"-{max(ns)}" if max(ns) != min(ns) else "") + " seeds per point group"
  fig.suptitle(f"{title}\none point per seed ({n_text}{subset}), bar = geometric mean and 95% t-interval"
               f"{excluded_note(results)}", fontsize=10)
  caption = (f"Each point is one seed ({n_text}{subset}), log-log; fitted exponents range from "
             f"{min(f for *_, f in fits):.2f} to {max(f for *_, f in fits):.2f} against the guide's {guide_slope:g}."
             if fits else f"Each point is one seed ({n_text}{subset}), log-log.")
  return Figure(save(fig, path), caption)


def plot_relu_vs_leaky(results: pd.DataFrame, path: Path) -> Figure | None:
  """Paired by seed (same initial weights): LeakyReLU metric against ReLU metric, per checkpoint."""
  ok = not_diverged(results)
  keys = ["neurons", "depth", "seed", "step"]
  relu = ok[ok["activation"] == "relu"]
  leaky = ok[ok["activation_name"] == "leaky_relu"]
  if relu.empty or leaky.empty:
    return None
  metrics = [(m, t, u) for m, t, u in (("num_regions", "exact regions in the domain", "count"),
                                       ("density", "boundaries crossed per unit length", "per input unit"))
             if ok[m].notna().any()]
  pairs = leaky.merge(relu[keys + [m for m, _, _ in metrics]], on=keys, suffixes=("", "_relu"))
  steps = sorted(pairs["step"].unique())
  fig, axes = plt.subplots(len(metrics), len(steps), figsize=(3.3 * len(steps), 3.4 * len(metrics)),
                           squeeze=False)
  hue_order = list(dict.fromkeys(leaky["activation"]))
  for r, (m, what, unit) in enumerate(metrics):
    for j, step in enumerate(steps):
      ax = axes[r, j]
      cell = pairs[(pairs["step"] == step) & (pairs[m] > 0) & (pairs[f"{m}_relu"] > 0)]
      sns.scatterplot(data=cell, x=f"{m}_relu", y=m, hue="activation", palette=activation_palette(hue_order),
                      style="activation", s=14, alpha=0.7, ax=ax, legend=(r == 0 and j == len(steps) - 1))
      if len(cell):
        lo = min(cell[m].min(), cell[f"{m}_relu"].min())
        hi = max(cell[m].max(), cell[f"{m}_relu"].max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="_equal")
        ratio = np.exp(np.mean(np.log(cell[m] / cell[f"{m}_relu"])))
        ax.text(0.03, 0.97, f"LeakyReLU / ReLU: {ratio:.2f}\n(geometric mean)", transform=ax.transAxes, va="top", fontsize=8)
      log_axes(ax, x=True)
      ax.set_aspect("equal", adjustable="datalim")
      ax.set_title(f"{what}\nstep {step}", fontsize=9)
      ax.set_xlabel(f"ReLU ({unit})")
      ax.set_ylabel(f"LeakyReLU, same seed ({unit})")
      ax.grid(alpha=0.3)
  if axes[0, -1].get_legend() is not None:
    sns.move_legend(axes[0, -1], "upper left", bbox_to_anchor=(1.02, 1), title="same seed as ReLU")
  fig.suptitle("ReLU vs LeakyReLU from the same initial weights and data\n(one point per seed and "
               "architecture; dashed: equal)", y=1.0)
  fig.tight_layout()
  ratios = (np.exp(np.nanmean(np.log(pairs["num_regions"] / pairs["num_regions_relu"])))
            if "num_regions" in pairs else np.nan)
  counted = pairs.dropna(subset=[m for m, _, _ in metrics])
  caption = (f"One point per seed and architecture ({len(counted)} pairs from the same initial weights"
             + (f", region counts on {seed_range(counted['seed'])} only"
                if counted["seed"].nunique() < ok["seed"].nunique() else "")
             + "); points above the dashed line are models where LeakyReLU has more"
             + (f"; over all pairs LeakyReLU / ReLU regions average {ratios:.2f} (geometric mean)."
                if np.isfinite(ratios) else "."))
  return Figure(save(fig, path), caption)


def plot_study(workdir: str | Path) -> list[Figure]:
  """Every figure of the study, from regions.csv, into <workdir>/figures."""
  begin()
  workdir = Path(workdir)
  results = pd.read_csv(workdir / "regions.csv")
  fig_dir = workdir / "figures"
  paths = [
      plot_vs_neurons(results, "density", "boundaries / unit length\n(per input unit)",
                      "Region density along random lines vs total neurons "
                      "(dashed: slope 1, density proportional to neurons)", fig_dir / "density_vs_neurons.png", guide_slope=1.0),
      plot_vs_neurons(results, "num_regions", "regions in the domain\n(count)",
                      "Exact linear regions in the 2-D data domain vs total neurons, through training "
                      "(dashed: slope 2, count proportional to neurons^2)",
                      fig_dir / "regions_vs_neurons.png", guide_slope=2.0),
      plot_relu_vs_leaky(results, fig_dir / "relu_vs_leaky.png"),
  ]
  return [p for p in paths if p is not None]
