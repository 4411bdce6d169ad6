"""Figures of a plain training study, drawn from the files in its workdir only.

Every aggregate shows one point per seed over the mean and its 95% t-interval (style.py); panels
are one data set (row) x one architecture (column), rows share their y range, and activations are
the only thing coloured (`activation_palette`). Diverged models are excluded and counted in the
titles and captions. Decision-boundary and linear-region maps are in boundaries.py.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from research.figures import boundaries
from research.figures.style import (Figure, activation_order, activation_palette, begin, excluded_note, log_axes,
                                    n_label, not_diverged, num_diverged, offsets, save, seed_range, seeds_and_means)
from research.store import Store

PANEL_W, PANEL_H = 3.0, 2.5  # inches per panel


def cells(results: pd.DataFrame) -> tuple[list, list]:
  """(data sets in config order, architectures (width, depth, lr) sorted), the rows and columns."""
  datasets = list(dict.fromkeys(results["dataset"]))
  archs = sorted({(int(w), int(d), float(lr)) for w, d, lr in zip(results["width"], results["depth"], results["lr"])})
  return datasets, archs


def arch_label(arch, all_archs) -> str:
  w, d, lr = arch
  several_lr = len({a[2] for a in all_archs}) > 1
  return f"width {w}, depth {d}" + (f", lr {lr:g}" if several_lr else "")


def _in_cell(frame: pd.DataFrame, dataset: str, arch) -> pd.DataFrame:
  w, d, lr = arch
  return frame[(frame["dataset"] == dataset) & (frame["width"] == w) & (frame["depth"] == d) & (frame["lr"] == lr)]


def _farthest_seed(ok: pd.DataFrame, metric: str, log: bool) -> str:
  """The seed farthest from its cell's median, in words: what a mean bar would hide."""
  keys = ["dataset", "width", "depth", "lr", "activation"]
  if not len(ok) or ok.groupby(keys).size().max() < 2:
    return "one seed per cell, so no spread to read"
  v = np.log10(ok[metric]) if log else ok[metric]
  gap = (v - v.groupby([ok[k] for k in keys]).transform("median")).abs()
  if not len(gap) or not np.isfinite(gap.max()) or gap.max() == 0:
    return "every seed equals its cell's median"
  r = ok.loc[gap.idxmax()]
  med = ok[(ok[keys] == r[keys]).all(axis=1)][metric].median()
  return (f"the seed farthest from its cell's median is {r['activation']} on {r['dataset']} width "
          f"{r['width']} depth {r['depth']} (seed {r['seed']}: {r[metric]:.4g}, median {med:.4g})")


def metric_by_activation(results: pd.DataFrame, metric: str, label: str, path: Path, *, log: bool = False,
                         subset: str = "", clip=None) -> Figure:
  """One panel per data set x architecture: one point per seed by activation, mean and 95% CI.

  log: log y axis, geometric mean and t-interval of log10 values. subset: what the counted seeds
  are when the metric exists on some seeds only (e.g. "exact counts on seeds 0-3 only"). clip: the
  range the metric can take (intervals are cut to it).
  """
  ok = not_diverged(results)
  ok = ok[np.isfinite(ok[metric])]
  datasets, archs = cells(results)
  order = [a for a in activation_order(results["activation"]) if a in set(ok["activation"])]
  palette = activation_palette(order)
  # Limits set by hand rather than sharex across every panel: matplotlib's shared-axes bookkeeping
  # grows with the square of the panels and was most of the drawing time.
  fig, axes = plt.subplots(len(datasets), len(archs), squeeze=False, sharey="row", layout="constrained",
                           figsize=(PANEL_W * len(archs) + 0.4, PANEL_H * len(datasets) + 0.8))
  rng = np.random.default_rng(0)
  for i, dataset in enumerate(datasets):
    for j, arch in enumerate(archs):
      ax = axes[i, j]
      cell = _in_cell(ok, dataset, arch)
      groups = [cell.loc[cell["activation"] == act, metric] for act in order]
      # One call for the whole panel: fewer artists draw and lay out faster (16 panels x 5 activations).
      seeds_and_means(ax, list(range(len(order))), groups, [palette[a] for a in order], rng, log=log, clip=clip)
      counts = {act: int((np.isfinite(g) & ((g > 0) if log else True)).sum()) for act, g in zip(order, groups)}
      ax.set_title(f"{dataset} | {arch_label(arch, archs)}\n{n_label(counts)}", fontsize=8.5)
      ax.set_xticks(range(len(order)), order if i == len(datasets) - 1 else [], rotation=30, ha="right", fontsize=8)
      ax.set_xlim(-0.6, len(order) - 0.4)
      ax.grid(axis="y", alpha=0.3)
    if log:  # after all panels of the row: they share the axis, the ticks follow its range
      log_axes(axes[i, 0])
    axes[i, 0].set_ylabel(label, fontsize=9)
  what = "geometric mean and 95% t-interval of the log" if log else "mean and 95% t-interval"
  fig.suptitle(f"{label.replace(chr(10), ' ')}: one point per seed,\nblack bar = {what}"
               f"{excluded_note(results)}" + (f"\n{subset}" if subset else ""), fontsize=10)
  caption = (f"Each point is one model (seed); black bars are the {what}" + (f", {subset}" if subset else "")
             + f"; {_farthest_seed(ok, metric, log)}"
             + (f"; {num_diverged(results)} diverged models are excluded." if num_diverged(results) else "."))
  return Figure(save(fig, path), caption)


def _curve_tables(data: pd.DataFrame) -> dict[str, pd.DataFrame]:
  """column -> (model x step) table, indexed like the curves' model columns: one pivot per column
  for the whole run (a pivot per panel was most of this figure's drawing time)."""
  keys = ["unit", "model_index", "dataset", "width", "depth", "lr", "activation"]
  return {c: data.pivot_table(index=keys, columns="step", values=c, sort=True)
          for c in ("train_loss", "test_loss", "train_acc", "test_acc")}


def _rows(table: pd.DataFrame, dataset: str, arch, act: str) -> np.ndarray:
  idx = table.index
  w, d, lr = arch
  mask = ((idx.get_level_values("dataset") == dataset) & (idx.get_level_values("width") == w)
          & (idx.get_level_values("depth") == d) & (idx.get_level_values("lr") == lr)
          & (idx.get_level_values("activation") == act))
  return table.to_numpy(float)[mask]


def training_curves(curves: pd.DataFrame, results: pd.DataFrame, path: Path) -> Figure:
  """Loss (log) and accuracy over steps, train solid and test dashed: thin line per seed, thick mean.

  Rows: data set x {loss, accuracy}; columns: architecture; rows share their y range.
  """
  ok_models = not_diverged(results)[["unit", "model_index"]]
  data = curves.merge(ok_models, on=["unit", "model_index"])
  datasets, archs = cells(results)
  order = activation_order(results["activation"])
  palette = activation_palette(order)
  quantities = (("loss", "cross-entropy\n(nats, log scale)"), ("acc", "accuracy\n(fraction)"))
  fig, axes = plt.subplots(2 * len(datasets), len(archs), squeeze=False, sharey="row", layout="constrained",
                           figsize=(PANEL_W * len(archs) + 0.4, 2.1 * 2 * len(datasets) + 1.0))
  counts = {}
  tables = _curve_tables(data)
  steps = tables["test_loss"].columns.to_numpy(float)
  for i, dataset in enumerate(datasets):
    for j, arch in enumerate(archs):
      for q, (quantity, label) in enumerate(quantities):
        ax = axes[2 * i + q, j]
        for act in order:
          for split, ls in (("train", "-"), ("test", "--")):
            values = _rows(tables[f"{split}_{quantity}"], dataset, arch, act)
            if not len(values):
              continue
            counts[act] = max(counts.get(act, 0), len(values))
            if quantity == "loss":
              values = np.maximum(values, 1e-12)  # a loss of exactly 0 has no place on a log axis
              mean = 10 ** np.nanmean(np.log10(values), axis=0)
            else:
              mean = np.nanmean(values, axis=0)
            ax.add_collection(LineCollection([np.c_[steps, v] for v in values], colors=[palette[act]],
                                             linewidths=0.5, alpha=0.18, linestyles=ls))
            ax.plot(steps, mean, ls, color=palette[act], lw=1.6)
        if quantity == "loss":
          ax.set_yscale("log")
          ax.yaxis.set_minor_locator(plt.NullLocator())  # dozens of unlabelled ticks per panel, slow to lay out
        ax.set_xlim(steps.min(), steps.max())
        ax.tick_params(labelbottom=(2 * i + q == 2 * len(datasets) - 1))
        ax.grid(alpha=0.3)
        ax.set_title(f"{dataset} | {arch_label(arch, archs)}", fontsize=8.5)
        if j == 0:
          ax.set_ylabel(label, fontsize=8.5)
  for ax in axes[-1]:
    ax.set_xlabel("training step")
  handles = [Line2D([], [], color=palette[a], lw=2, label=f"{a} (n = {counts.get(a, 0)} per panel)") for a in order]
  handles += [Line2D([], [], color="k", ls="-", label="train"), Line2D([], [], color="k", ls="--", label="test")]
  fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), max(2, len(archs) + 1)),
             fontsize=8, frameon=False)
  fig.suptitle("Training curves: thin lines one seed each, thick the mean (geometric for the loss)"
               f"{excluded_note(results)}", fontsize=10)
  first = int(data["step"].min()) if len(data) else 0
  final = tables["test_acc"].iloc[:, -1] if len(data) else pd.Series(dtype=float)
  spread = final.groupby(level=["dataset", "width", "depth", "activation"]).agg(lambda v: v.max() - v.min())
  widest = (f"; the widest spread of final test accuracy over seeds is {spread.max():.3f} ({spread.idxmax()[3]} on "
            f"{spread.idxmax()[0]}, width {spread.idxmax()[1]}, depth {spread.idxmax()[2]})" if len(spread) else "")
  caption = (f"Loss and accuracy from step {first}" + (" (this run recorded no step 0)" if first else "")
             + ", train solid and test dashed, one thin line per seed" + widest
             + (f"; {num_diverged(results)} diverged models excluded." if num_diverged(results) else "."))
  return Figure(save(fig, path), caption)


LAYER_QUANTITIES = {
    "dead_units_by_layer": ("dead_fraction", "dead units: inactive on\nevery training point (fraction)"),
    "inactive_by_layer": ("inactive_fraction", "inactive (unit, point)\npairs (fraction)"),
}


def by_layer(results: pd.DataFrame, column: str, label: str, path: Path) -> Figure | None:
  """A per-layer quantity, one panel per data set x architecture (so depths are never pooled)."""
  ok = not_diverged(results)
  cols = sorted((c for c in ok.columns if c.startswith(f"{column}_l") and c[len(column) + 2:].isdigit()),
                key=lambda c: int(c[len(column) + 2:]))
  if not cols:
    return None
  datasets, archs = cells(results)
  order = activation_order(results["activation"])
  palette, shift = activation_palette(order), offsets(order, 0.7)
  fig, axes = plt.subplots(len(datasets), len(archs), squeeze=False, layout="constrained",
                           figsize=(PANEL_W * len(archs) + 0.4, PANEL_H * len(datasets) + 1.0))
  top = float(np.nanmax(ok[cols].to_numpy(float))) if ok[cols].notna().any().any() else 1.0
  rng = np.random.default_rng(0)
  counts = {}
  for i, dataset in enumerate(datasets):
    for j, arch in enumerate(archs):
      ax = axes[i, j]
      cell = _in_cell(ok, dataset, arch)
      layers = [l for l in range(len(cols)) if l < arch[1]]
      for act in order:
        a = cell[cell["activation"] == act]
        n = seeds_and_means(ax, [l + 1 + shift[act] for l in layers], [a[cols[l]] for l in layers], palette[act],
                            rng, width=0.7 / len(order), mean_colour=palette[act], clip=(0, 1))
        counts[act] = max([counts.get(act, 0), *n])
      ax.set_xticks([l + 1 for l in layers])
      ax.set_xlim(0.5, arch[1] + 0.5)
      ax.set_ylim(-0.03, min(1.03, top + 0.05))  # one y range for every panel: they are compared
      ax.grid(axis="y", alpha=0.3)
      ax.set_title(f"{dataset} | {arch_label(arch, archs)}", fontsize=8.5)
      if i == len(datasets) - 1:
        ax.set_xlabel("hidden layer")
    axes[i, 0].set_ylabel(label, fontsize=8.5)
  handles = [Line2D([], [], color=palette[a], marker="o", ls="none", label=f"{a} (n = {counts.get(a, 0)})")
             for a in order]
  fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), max(2, len(archs) + 1)),
             fontsize=8, frameon=False)
  fig.suptitle(f"{label.replace(chr(10), ' ')} per hidden layer on the training data:\none point per "
               f"seed, bar = mean and 95% t-interval{excluded_note(results)}", fontsize=10)
  top = ok.melt(id_vars=["dataset", "width", "depth", "activation"], value_vars=cols).dropna()
  worst = top.loc[top["value"].idxmax()] if len(top) else None
  caption = (f"{label.replace(chr(10), ' ').capitalize()} by layer, each depth and width in its own panel so "
             "that the layers compared hold the same networks" + (
                 f"; the largest single value is {worst['value']:.2f} ({worst['activation']} on {worst['dataset']}, "
                 f"width {worst['width']}, depth {worst['depth']})." if worst is not None else "."))
  return Figure(save(fig, path), caption)


def plot_study(workdir: str | Path) -> list[Figure]:
  """Writes every figure of a training study into <workdir>/figures and returns them."""
  begin()
  workdir = Path(workdir)
  store = Store(workdir, None)
  results = pd.read_csv(workdir / "results.csv")
  curves = pd.read_csv(workdir / "curves.csv")
  fig_dir = workdir / "figures"
  figs = [metric_by_activation(results, "test_acc", "test accuracy\n(fraction)", fig_dir / "test_accuracy.png",
                               clip=(0, 1))]
  if "grid_agreement" in results and results["grid_agreement"].notna().any():
    figs.append(metric_by_activation(results, "grid_agreement", "agreement with the\ntrue class (fraction)",
                                     fig_dir / "grid_agreement.png", clip=(0, 1)))
  figs.append(training_curves(curves, results, fig_dir / "training_curves.png"))
  arrays_of = boundaries.unit_arrays(store, results)
  figs += boundaries.decision_boundaries(store, results, fig_dir, arrays_of)
  for name, (column, label) in LAYER_QUANTITIES.items():
    figs.append(by_layer(results, column, label, fig_dir / f"{name}.png"))
  counted = results[results.get("num_regions", pd.Series(np.nan, index=results.index)).notna()]
  if len(counted):
    some = counted["seed"].nunique() < results["seed"].nunique()
    subset = f"exact counts on {seed_range(counted['seed'])} only" if some else ""
    figs.append(metric_by_activation(counted, "num_regions", "exact linear regions\nin the domain (count)",
                                     fig_dir / "region_count.png", log=True, subset=subset))
    figs += boundaries.linear_regions(store, results, fig_dir, arrays_of)
  return [f for f in figs if f is not None]
