"""Figures of the dying-ReLU study, from born_dead.csv and trained/results.csv in its workdir."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from research.figures.style import CI, SEED, activation_palette, not_diverged, save
from research.metrics.sparsity import born_dead_closed_form
from research.studies.dying_relu import DOMAIN, LU_DEPTH, LU_REPORTED, SINGLE

def born_dead_heatmaps(table: pd.DataFrame, path: Path) -> Path:
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
  return save(fig, path)


def born_dead_vs_width(table: pd.DataFrame, depth: int, path: Path) -> Path:
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
  return save(fig, path)


def dead_fraction_heatmap(results: pd.DataFrame, path: Path) -> Path:
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
  n = int(results["diverged"].sum())
  fig.suptitle("Units inactive on every training point after training, mean over seeds"
               + (f" ({n} diverged models excluded)" if n else ""), y=1.02)
  fig.tight_layout()
  return save(fig, path)


def accuracy_vs_width(results: pd.DataFrame, path: Path) -> Path:
  """Test accuracy vs width by activation, one panel per data set x learning rate (95% CI)."""
  ok = not_diverged(results)
  g = sns.relplot(data=ok, x="width", y="test_acc", hue="activation", col="lr", row="dataset",
                  kind="line", errorbar=CI, seed=SEED, marker="o", height=3.2, aspect=1.2,
                  palette=activation_palette(results["activation"]))
  g.set_axis_labels("hidden width (units per layer, log scale)", "test accuracy (fraction)")
  g.set_titles("{row_name}, learning rate {col_name}")
  widths = sorted(ok["width"].unique())
  for ax in g.axes.flat:
    ax.set_xscale("log", base=2)
    ax.set_xticks(widths)
    ax.set_xticklabels(widths)
    ax.grid(alpha=0.3)
  n = int(results["diverged"].sum())
  g.figure.suptitle("Test accuracy vs width, mean and 95% CI over seeds"
                    + (f" ({n} diverged models excluded)" if n else ""), y=1.03)
  return save(g.figure, path)


def draw_figures(workdir: Path, curve_depth: int) -> list[Path]:
  """Every figure of the study, from born_dead.csv and trained/results.csv."""
  table = pd.read_csv(workdir / "born_dead.csv")
  results = pd.read_csv(workdir / "trained" / "results.csv")
  figs = workdir / "figures"
  return [born_dead_heatmaps(table, figs / "born_dead_heatmaps.png"),
          born_dead_vs_width(table, curve_depth, figs / "born_dead_vs_width.png"),
          dead_fraction_heatmap(results, figs / "dead_fraction_heatmap.png"),
          accuracy_vs_width(results, figs / "accuracy_vs_width.png")]
