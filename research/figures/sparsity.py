"""Figures of the sparsity study, drawn from the CSV files in its workdir only.

Per-layer curves show the mean and 95% bootstrap confidence interval over seeds (seaborn's
errorbar=("ci", 95)); diverged models are not in the tables.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from research.figures.style import CI, SEED, activation_order, activation_palette, dodge, save

# figure -> (column, axis label, y limits); None: from 0 to just above the largest mean, so that
# a rare event (a few glued inputs) is visible rather than flat at the bottom of a 0..1 axis.
PER_LAYER = {
    "sparsity_per_layer": (
        ("inactive_fraction", "inactive (unit, point) pairs (fraction)", (-0.03, 1.03)),
        ("dead_fraction", "dead units: inactive on every\ntraining point (fraction)", (-0.03, 1.03))),
    "probes_per_layer": (
        ("probe_acc", "linear-probe accuracy,\nheld out (fraction)", (-0.03, 1.03)),
        ("collapse", "inputs glued to another\ninput (fraction)", None)),
}


def per_layer(layers: pd.DataFrame, quantities, title: str, path: Path) -> Path:
  """One row per quantity, one column per data set: quantity by layer and activation (95% CI)."""
  order = activation_order(layers["activation"])
  datasets = list(dict.fromkeys(layers["dataset"]))
  data = layers.assign(x=layers["layer"] + dodge(layers["activation"], order, 0.2))
  fig, axes = plt.subplots(len(quantities), len(datasets), squeeze=False, sharex=True,
                           figsize=(4.6 * len(datasets), 3.1 * len(quantities)))
  for i, (column, label, ylim) in enumerate(quantities):
    top = data.groupby(["dataset", "activation", "layer"])[column].mean().max()
    ylim = ylim or (-0.002, max(0.01, 1.5 * float(np.nan_to_num(top))))
    for j, dataset in enumerate(datasets):
      ax = axes[i, j]
      d = data[(data["dataset"] == dataset)].dropna(subset=[column])
      sns.lineplot(data=d, x="x", y=column, hue="activation", palette=activation_palette(order), errorbar=CI, seed=SEED,
                   marker="o", ax=ax, legend=(i == 0 and j == len(datasets) - 1))
      ax.set_xticks(sorted(layers["layer"].unique()))
      ax.set_ylim(*ylim)
      ax.grid(alpha=0.3)
      ax.set_ylabel(label if j == 0 else "")
      ax.set_xlabel("layer (0 = input, then hidden layers)" if i == len(quantities) - 1 else "")
      if i == 0:
        ax.set_title(f"data set: {dataset}")
  legend = axes[0, -1].get_legend()
  if legend is not None:
    sns.move_legend(axes[0, -1], "upper left", bbox_to_anchor=(1.02, 1.0), title="activation")
  fig.suptitle(title, y=1.0)
  fig.tight_layout()
  return save(fig, path)


def _rho(value) -> str:
  return "rho n/a: constant" if value is None or not np.isfinite(value) else f"rho {value:+.2f}"


def sparsity_vs_probe(models: pd.DataFrame, spearman: pd.DataFrame, path: Path) -> Path:
  """Per model: sparsity vs mean hidden-layer probe accuracy, with Spearman rho per activation."""
  order = activation_order(models["activation"])
  datasets = list(dict.fromkeys(models["dataset"]))
  xs = (("inactive_fraction", "inactive (unit, point) pairs, mean over hidden layers (fraction)"),
        ("hoyer_sparsity", "Hoyer sparsity of the activations, mean over layers (0 to 1)"))
  fig, axes = plt.subplots(len(xs), len(datasets), figsize=(5.2 * len(datasets), 4.2 * len(xs)),
                           squeeze=False)
  palette = activation_palette(order)
  for i, (x, xlabel) in enumerate(xs):
    for j, dataset in enumerate(datasets):
      ax = axes[i, j]
      d = models[models["dataset"] == dataset]
      rho = spearman[(spearman["dataset"] == dataset) & (spearman["over"] == "models")
                     & (spearman["sparsity"] == x) & (spearman["separability"] == "probe_acc_hidden_mean")]
      rho = dict(zip(rho["activation"], rho["rho"]))
      for act in order:
        a = d[d["activation"] == act]
        ax.scatter(a[x], a["probe_acc_hidden_mean"], s=22, alpha=0.75, color=palette[act],
                   label=f"{act} ({_rho(rho.get(act))})")
      ax.set_title(f"data set: {dataset}; all pooled: {_rho(rho.get('all pooled'))}", fontsize=10)
      ax.set_xlabel(xlabel, fontsize=9)
      ax.set_ylabel("linear-probe accuracy, mean over\nhidden layers (fraction)" if j == 0 else "")
      ax.grid(alpha=0.3)
      ax.legend(fontsize=8, title="activation (Spearman rho)", title_fontsize=8, loc="best")
  fig.suptitle("Does a sparser network have more linearly separable layers? One dot per model", y=1.0)
  fig.tight_layout()
  return save(fig, path)


def draw_figures(workdir: str | Path) -> list[Path]:
  """Every figure of the sparsity study, from <workdir>/*.csv into <workdir>/figures."""
  workdir = Path(workdir)
  fig_dir = workdir / "figures"
  layers = pd.read_csv(workdir / "layers.csv")
  models = pd.read_csv(workdir / "models.csv")
  spearman = pd.read_csv(workdir / "spearman.csv")
  titles = dict(
      sparsity_per_layer="Sparsity per hidden layer on the training data, mean and 95% CI over seeds",
      probes_per_layer="Linear separability and collapse per layer, mean and 95% CI over seeds")
  paths = [per_layer(layers[layers["layer"] > 0] if name == "sparsity_per_layer" else layers,
                     quantities, titles[name], fig_dir / f"{name}.png")
           for name, quantities in PER_LAYER.items()]
  paths.append(sparsity_vs_probe(models, spearman, fig_dir / "sparsity_vs_probe.png"))
  return paths
