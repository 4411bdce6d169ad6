"""Figures of the dying-ReLU study, from born_dead.csv and trained/results.csv in its workdir.

Born-dead probabilities carry 95% Wilson intervals over random initialisations; trained models are
drawn one point per seed over the mean and its 95% t-interval (style.py).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from research.figures.style import (Figure, activation_palette, begin, excluded_note, n_label, not_diverged, offsets,
                                    save, seeds_and_means)
from research.metrics.sparsity import born_dead_closed_form
from research.studies.dying_relu import DOMAIN, LU_DEPTH, LU_REPORTED, SINGLE

def born_dead_heatmaps(table: pd.DataFrame, path: Path) -> Figure:
  """P(born dead) on the domain, depth x width, one annotated panel per initialisation."""
  data = table[table["place"] == DOMAIN]
  inits = list(dict.fromkeys(data["init"]))
  fig, axes = plt.subplots(1, len(inits), figsize=(0.75 * data["width"].nunique() * len(inits) + 2, 5),
                           squeeze=False)
  for ax, init in zip(axes[0], inits):
    grid = data[data["init"] == init].pivot(index="depth", columns="width", values="p_born_dead")
    sns.heatmap(grid, ax=ax, annot=True, fmt=".2f", vmin=0, vmax=1, cmap="rocket_r",
                annot_kws=dict(fontsize=8), cbar_kws=dict(label="P(born dead)"))
    ax.invert_yaxis()  # depth grows upwards
    ax.set_xlabel("hidden width (units per layer)")
    ax.set_ylabel("depth (hidden layers)")
    ax.set_title(f"init {init}")
  n = int(data["num_inits"].iloc[0])
  fig.suptitle(f"Born-dead probability over the input domain, {n} random networks per cell", y=1.02)
  fig.tight_layout()
  worst = data.loc[data["p_born_dead"].idxmax()]
  caption = (f"Fraction of {n} random networks per cell that are constant on the whole domain at initialisation; "
             f"the highest is {worst['p_born_dead']:.2f} ({worst['init']}, width {worst['width']}, depth {worst['depth']}).")
  return Figure(save(fig, path), caption)


def born_dead_vs_width(table: pd.DataFrame, depth: int, path: Path) -> Figure:
  """P(born dead) vs width at one depth: estimates (95% Wilson CI), closed form, Lu et al."""
  data = table[table["depth"] == depth].sort_values("width")
  fig, ax = plt.subplots(figsize=(7.5, 4.8))
  styles = {DOMAIN: "-", SINGLE: ":"}
  for (init, place), g in data.groupby(["init", "place"], sort=False):
    yerr = np.clip([g["p_born_dead"] - g["ci_low"], g["ci_high"] - g["p_born_dead"]], 0, None)
    ax.errorbar(g["width"], g["p_born_dead"], yerr=yerr, linestyle=styles[place], marker="o", markersize=4,
                capsize=3, label=f"{init}, {'whole domain' if place == DOMAIN else 'single input'}")
  widths = np.arange(data["width"].min(), data["width"].max() + 1)
  ax.plot(widths, [born_dead_closed_form(int(w), depth) for w in widths], color="k", linewidth=1,
          label=r"closed form $1-(1-2^{-N})^L$ (single input)")
  if depth == LU_DEPTH:
    lw = [w for w in LU_REPORTED if data["width"].min() <= w <= data["width"].max()]
    ax.scatter(lw, [LU_REPORTED[w][0] for w in lw], marker="X", s=120, color="crimson", zorder=5,
               label="Lu et al., reported (approximate)")
  ax.set_xscale("log", base=2)
  ax.set_xticks(sorted(data["width"].unique()))
  ax.set_xticklabels(sorted(data["width"].unique()))
  ax.set_xlabel("hidden width (units per layer, log scale)")
  ax.set_ylabel("P(born dead) (fraction of random inits)")
  ax.set_ylim(-0.02, 1.02)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  ax.set_title(f"Born-dead probability at depth {depth}, 95% Wilson intervals")
  single = data[data["place"] == SINGLE]
  form = np.array([born_dead_closed_form(int(w), depth) for w in single["width"]])
  inside = int(((single["ci_low"].to_numpy() <= form) & (form <= single["ci_high"].to_numpy())).sum())
  caption = (f"At depth {depth}, the estimated born-dead probability by width against the closed form for a single "
             "input (black)" + (" and Lu et al.'s reported values (crosses)" if depth == LU_DEPTH else "")
             + f"; the closed form lies inside the interval of {inside} of {len(single)} single-input estimates.")
  return Figure(save(fig, path), caption)


def dead_fraction_heatmap(results: pd.DataFrame, path: Path) -> Figure:
  """Mean dead-unit fraction after training, learning rate x width, per activation and data set."""
  ok = not_diverged(results)
  acts, sets = list(dict.fromkeys(results["activation"])), list(dict.fromkeys(results["dataset"]))
  fig, axes = plt.subplots(len(sets), len(acts), figsize=(4.8 * len(acts), 3.2 * len(sets)), squeeze=False)
  for i, dataset in enumerate(sets):
    for j, act in enumerate(acts):
      cell = ok[(ok["dataset"] == dataset) & (ok["activation"] == act)]
      grid = cell.pivot_table(index="lr", columns="width", values="dead_fraction", aggfunc="mean")
      sns.heatmap(grid, ax=axes[i, j], annot=True, fmt=".2f", vmin=0, vmax=1, cmap="rocket_r",
                  cbar_kws=dict(label="dead-unit fraction"))
      axes[i, j].set_xlabel("hidden width (units per layer)")
      axes[i, j].set_ylabel("Adam learning rate")
      axes[i, j].set_title(f"{act} on {dataset}")
  per_cell = ok.groupby(["dataset", "activation", "lr", "width"]).size()
  seeds = f"{per_cell.min()}" if per_cell.min() == per_cell.max() else f"{per_cell.min()}-{per_cell.max()}"
  fig.suptitle(f"Units inactive on every training point after training, mean over {seeds} seeds per cell"
               f"{excluded_note(results)}", y=1.02)
  fig.tight_layout()
  top = ok.groupby(["dataset", "activation", "lr", "width"])["dead_fraction"].mean()
  (d, a, lr, w), v = top.idxmax(), top.max()
  caption = (f"Mean dead-unit fraction over {seeds} seeds per cell (the seeds are in accuracy_vs_width's points); "
             f"the highest is {v:.2f}, {a} on {d} at learning rate {lr:g} and width {w}.")
  return Figure(save(fig, path), caption)


def accuracy_vs_width(results: pd.DataFrame, path: Path) -> Figure:
  """Test accuracy vs width by activation, one panel per data set x learning rate, every seed."""
  ok = not_diverged(results)
  acts = list(dict.fromkeys(results["activation"]))
  palette, shift = activation_palette(acts), offsets(acts, 0.5)
  sets, lrs = list(dict.fromkeys(results["dataset"])), sorted(results["lr"].unique())
  widths = sorted(ok["width"].unique())
  fig, axes = plt.subplots(len(sets), len(lrs), squeeze=False, sharex=True, sharey=True, layout="constrained",
                           figsize=(3.6 * len(lrs) + 0.4, 3.0 * len(sets) + 0.8))
  rng = np.random.default_rng(0)
  counts = {}
  for i, dataset in enumerate(sets):
    for j, lr in enumerate(lrs):
      ax = axes[i, j]
      cell = ok[(ok["dataset"] == dataset) & (ok["lr"] == lr)]
      for act in acts:
        a = cell[cell["activation"] == act]
        xs = [np.log2(w) + shift[act] for w in widths]
        n = seeds_and_means(ax, xs, [a.loc[a["width"] == w, "test_acc"] for w in widths], palette[act], rng,
                            width=0.4 / len(acts), mean_colour=palette[act], clip=(0, 1))
        ax.plot(xs, [a.loc[a["width"] == w, "test_acc"].mean() for w in widths], color=palette[act], lw=0.8)
        counts[act] = max([counts.get(act, 0), *n])
      ax.set_title(f"{dataset}, learning rate {lr:g}", fontsize=9)
      ax.grid(alpha=0.3)
      if j == 0:
        ax.set_ylabel("test accuracy (fraction)")
      if i == len(sets) - 1:
        ax.set_xlabel("hidden width (units per layer, log scale)")
  axes[0, 0].set_xticks(np.log2(widths), [str(w) for w in widths])
  handles = [Line2D([], [], color=palette[a], marker="o", label=a) for a in acts]
  fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
  fig.suptitle(f"Test accuracy vs width: one point per seed ({n_label(counts)} per width), bar = mean and 95% "
               f"t-interval{excluded_note(results)}", fontsize=10)
  low = ok.loc[ok["test_acc"].idxmin()] if len(ok) else None
  caption = (f"Each point is one trained model ({n_label(counts)} seeds per width and activation)" + (
      f"; the lowest is {low['activation']} on {low['dataset']} at width {low['width']}, learning rate {low['lr']:g} "
      f"(test accuracy {low['test_acc']:.3f})." if low is not None else "."))
  return Figure(save(fig, path), caption)


def draw_figures(workdir: Path, curve_depth: int) -> list[Figure]:
  """Every figure of the study, from born_dead.csv and trained/results.csv."""
  begin()
  table = pd.read_csv(workdir / "born_dead.csv")
  results = pd.read_csv(workdir / "trained" / "results.csv")
  figs = workdir / "figures"
  return [born_dead_heatmaps(table, figs / "born_dead_heatmaps.png"),
          born_dead_vs_width(table, curve_depth, figs / "born_dead_vs_width.png"),
          dead_fraction_heatmap(results, figs / "dead_fraction_heatmap.png"),
          accuracy_vs_width(results, figs / "accuracy_vs_width.png")]
