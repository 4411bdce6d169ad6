"""Figures of the linear_regions study, drawn from its results.csv only.

Seeds are aggregated with 95% bootstrap confidence intervals; panels carry the fitted log-log
exponent (research.studies.linear_regions.fit_loglog) next to the theory's guide slope.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from research.figures.style import CI, SEED, activation_palette, not_diverged, save as _save
from research.studies.linear_regions import fit_loglog


def _log_axes(ax, x: bool = True, y: bool = True) -> None:
  """Log scale with plain-number ticks: 1, 2, 5 x 10^k over short ranges, powers of 10 over long.

  Call after plotting: the tick density follows the data range so labels do not collide.
  """
  from matplotlib import ticker
  for use, axis, scale, limits in ((x, ax.xaxis, ax.set_xscale, ax.get_xlim),
                                   (y, ax.yaxis, ax.set_yscale, ax.get_ylim)):
    if use:
      scale("log")
      lo, hi = limits()
      decades = math.log10(hi / lo) if lo > 0 and hi > lo else 1.0
      subs = (1.0, 2.0, 5.0) if decades <= 1.6 else (1.0, 3.0) if decades <= 2.0 else (1.0,)
      axis.set_major_locator(ticker.LogLocator(subs=subs))
      axis.set_major_formatter(ticker.FormatStrFormatter("%g"))
      axis.set_minor_formatter(ticker.NullFormatter())


def _depth_labels(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
  frame = frame.assign(depth_label="depth " + frame["depth"].astype(str))
  order = [f"depth {d}" for d in sorted(frame["depth"].unique())]
  return frame, order


def plot_vs_neurons(results: pd.DataFrame, metric: str, label: str, title: str, path: Path,
                    guide_slope: float) -> Path | None:
  """metric vs total neurons on log-log axes, hue = depth, one panel per activation x checkpoint.

  Each panel carries the fitted exponent over all depths (95% CI) and a dashed guide of slope
  `guide_slope` through the panel's geometric mean.
  """
  ok = not_diverged(results)
  ok = ok[ok[metric] > 0]
  if ok.empty:
    return None
  ok, order = _depth_labels(ok)
  g = sns.relplot(data=ok, x="neurons", y=metric, hue="depth_label", hue_order=order, col="step",
                  row="activation", kind="line", errorbar=CI, seed=SEED, marker="o", palette="viridis",
                  height=2.8, aspect=1.1, facet_kws=dict(margin_titles=True))
  neurons = np.array(sorted(ok["neurons"].unique()), float)
  for (act, step), ax in g.axes_dict.items():
    _log_axes(ax, x=False)
    ax.set_xscale("log")
    ax.set_xticks(neurons, [f"{n:g}" for n in neurons])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    cell = ok[(ok["activation"] == act) & (ok["step"] == step)]
    f = fit_loglog(cell["neurons"], cell[metric])
    if np.isfinite(f["slope"]):
      mid = np.exp(np.mean(np.log(cell[metric])))
      ax.plot(neurons, mid * (neurons / np.exp(np.mean(np.log(neurons)))) ** guide_slope, "k--", lw=0.8,
              alpha=0.6)
      ax.text(0.03, 0.97, f"fitted slope {f['slope']:.2f}\n95% CI [{f['ci_low']:.2f}, {f['ci_high']:.2f}]",
              transform=ax.transAxes, va="top", fontsize=8,
              bbox=dict(boxstyle="round", fc="white", ec="0.8", alpha=0.9))
    ax.grid(alpha=0.3, which="major")
  g.set_axis_labels("total hidden neurons (count)", label)
  g.set_titles(col_template="step {col_name}", row_template="{row_name}")
  g.legend.set_title("hidden layers")
  g.figure.suptitle(title, y=1.0 + 0.03 * (title.count("\n") + 1))  # above the column titles
  return _save(g.figure, path)


def plot_relu_vs_leaky(results: pd.DataFrame, path: Path) -> Path | None:
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
      _log_axes(ax)
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
  return _save(fig, path)


def plot_study(workdir: str | Path) -> list[Path]:
  """Every figure of the study, from regions.csv, into <workdir>/figures."""
  workdir = Path(workdir)
  results = pd.read_csv(workdir / "regions.csv")
  fig_dir = workdir / "figures"
  paths = [
      plot_vs_neurons(results, "density", "boundaries / unit length\n(per input unit)",
                      "Region density along random lines vs total neurons\n(mean and 95% CI over seeds; "
                      "dashed: slope 1, density proportional to neurons)", fig_dir / "density_vs_neurons.png", guide_slope=1.0),
      plot_vs_neurons(results, "num_regions", "regions in the domain\n(count)",
                      "Exact linear regions in the 2-D data domain vs total neurons, through training\n"
                      "(mean and 95% CI over seeds; dashed: slope 2, count proportional to neurons^2)",
                      fig_dir / "regions_vs_neurons.png", guide_slope=2.0),
      plot_relu_vs_leaky(results, fig_dir / "relu_vs_leaky.png"),
  ]
  return [p for p in paths if p is not None]
