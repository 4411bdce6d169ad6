"""Figures of the sparsity study, drawn from the CSV files in its workdir only.

Per-layer figures show one point per seed and the mean with its 95% t-interval (style.py), the
means of one activation joined by a thin line; diverged models are not in the tables.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from research.figures.style import Figure, activation_order, activation_palette, begin, offsets, save, seeds_and_means

# figure -> (column, axis label, y limits); None: from 0 to just above the largest value, so that
# a rare event (a few glued inputs) is visible rather than flat at the bottom of a 0..1 axis.
PER_LAYER = {
    "sparsity_per_layer": (
        ("inactive_fraction", "inactive (unit, point) pairs (fraction)", (-0.03, 1.03)),
        ("dead_fraction", "dead units: inactive on every\ntraining point (fraction)", (-0.03, 1.03))),
    "probes_per_layer": (
        ("probe_acc", "linear-probe accuracy,\nheld out (fraction)", (-0.03, 1.03)),
        ("collapse", "inputs glued to another\ninput (fraction)", None)),
}


def per_layer(layers: pd.DataFrame, quantities, title: str, path: Path) -> Figure:
  """One row per quantity, one column per data set: quantity by layer and activation, every seed."""
  order = activation_order(layers["activation"])
  palette, shift = activation_palette(order), offsets(order, 0.6)
  datasets = list(dict.fromkeys(layers["dataset"]))
  fig, axes = plt.subplots(len(quantities), len(datasets), squeeze=False, sharex=True, layout="constrained",
                           figsize=(4.6 * len(datasets), 3.1 * len(quantities) + 0.5))
  rng = np.random.default_rng(0)
  counts = {}
  for i, (column, label, ylim) in enumerate(quantities):
    top = np.nanmax(layers[column].to_numpy(float)) if layers[column].notna().any() else 0.0
    ylim = ylim or (-0.002, max(0.01, 1.15 * float(top)))
    for j, dataset in enumerate(datasets):
      ax = axes[i, j]
      d = layers[layers["dataset"] == dataset].dropna(subset=[column])
      for act in order:
        a = d[d["activation"] == act]
        ls = sorted(a["layer"].unique())
        xs = [l + shift[act] for l in ls]
        n = seeds_and_means(ax, xs, [a.loc[a["layer"] == l, column] for l in ls], palette[act], rng,
                            width=0.5 / len(order), mean_colour=palette[act], clip=(0, 1))
        counts[act] = max([counts.get(act, 0), *n])
        ax.plot(xs, [a.loc[a["layer"] == l, column].mean() for l in ls], color=palette[act], lw=0.8, alpha=0.7)
      ax.set_xticks(sorted(layers["layer"].unique()))
      ax.set_ylim(*ylim)
      ax.grid(alpha=0.3)
      ax.set_ylabel(label if j == 0 else "")
      ax.set_xlabel("layer (0 = input, then hidden layers)" if i == len(quantities) - 1 else "")
      if i == 0:
        ax.set_title(f"data set: {dataset}")
  handles = [Line2D([], [], color=palette[a], marker="o", label=f"{a} (n = {counts.get(a, 0)} seeds)") for a in order]
  fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 4), fontsize=8, frameon=False)
  fig.suptitle(title + ":\none point per seed, bar = mean and 95% t-interval")
  caption = (f"{title}, one point per seed (n = {max(counts.values(), default=0)} per activation and layer)"
             f"{_widest_gap(layers, quantities[0][0])}.")
  return Figure(save(fig, path), caption)


def _widest_gap(layers: pd.DataFrame, column: str) -> str:
  """'; the activations differ most at ...': where the means of the activations lie furthest apart."""
  means = layers.groupby(["dataset", "layer", "activation"], sort=False)[column].mean().dropna()
  if means.empty:
    return ""
  spread = means.groupby(level=[0, 1]).agg(lambda m: m.max() - m.min())
  dataset, layer = spread.idxmax()
  at = means.xs((dataset, layer), level=[0, 1])
  return (f"; the activations' means of {column.replace('_', ' ')} lie furthest apart on {dataset} at layer {layer}: "
          f"{at.idxmax()} {at.max():.2f} vs {at.idxmin()} {at.min():.2f}")


def _rho(value) -> str:
  return "rho n/a: constant" if value is None or not np.isfinite(value) else f"rho {value:+.2f}"


def sparsity_vs_probe(models: pd.DataFrame, spearman: pd.DataFrame, path: Path) -> Figure:
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
  pooled = spearman[(spearman["over"] == "models") & (spearman["activation"] == "all pooled")
                    & (spearman["separability"] == "probe_acc_hidden_mean")]
  rhos = ", ".join(f"{r.dataset} {_rho(r.rho)}" for r in pooled[pooled["sparsity"] == "inactive_fraction"].itertuples())
  caption = (f"One dot per model ({len(models)} models); a rising cloud would mean sparser nets separate better "
             f"(pooled Spearman of inactive fraction vs probe accuracy: {rhos or 'n/a'}).")
  return Figure(save(fig, path), caption)


def draw_figures(workdir: str | Path) -> list[Figure]:
  """Every figure of the sparsity study, from <workdir>/*.csv into <workdir>/figures."""
  begin()
  workdir = Path(workdir)
  fig_dir = workdir / "figures"
  layers = pd.read_csv(workdir / "layers.csv")
  models = pd.read_csv(workdir / "models.csv")
  spearman = pd.read_csv(workdir / "spearman.csv")
  titles = dict(
      sparsity_per_layer="Sparsity per hidden layer on the training data",
      probes_per_layer="Linear separability and collapse per layer")
  paths = [per_layer(layers[layers["layer"] > 0] if name == "sparsity_per_layer" else layers,
                     quantities, titles[name], fig_dir / f"{name}.png")
           for name, quantities in PER_LAYER.items()]
  paths.append(sparsity_vs_probe(models, spearman, fig_dir / "sparsity_vs_probe.png"))
  return paths
