"""Figures of the topology study, drawn from the CSV files in its workdir only.

Every aggregate shows one point per kept run (seed) and the mean with its 95% t-interval
(style.py) over the runs that are kept (those that fit the training data; research/studies/fit.py);
the fraction of runs reaching trivial topology carries a Wilson interval.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from research.figures.style import (MIN_N, Figure, activation_order, activation_palette, begin, offsets, save,
                                    seeds_and_means)

MARKERS = ("o", "s", "^", "D", "v")  # one per width, where a study trains several


def _kept_note(fit: pd.DataFrame, dataset: str) -> str:
  rows = fit[fit["dataset"] == dataset].groupby("activation", sort=False)[["kept", "runs"]].sum()
  parts = [f"{a} {int(r.kept)}/{int(r.runs)}" for a, r in rows.iterrows()]
  # Two per line: four activations on one line ran past a panel's width.
  return "kept runs: " + ",\n".join(", ".join(parts[i:i + 2]) for i in range(0, len(parts), 2))


def _integer_axis(ax, top: float) -> None:
  """Counts: integer ticks from 0, with room above the largest value (at least 0..1)."""
  ax.set_ylim(-0.3, max(float(top) if np.isfinite(top) else 1.0, 1.0) + 0.5)
  ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


def _groups(data: pd.DataFrame) -> list[tuple[str, int]]:
  """(activation, width) pairs drawn side by side at each layer, activations in config order."""
  order = activation_order(data["activation"])
  widths = sorted(data["width"].unique())
  return [(a, int(w)) for a in order for w in widths if ((data["activation"] == a) & (data["width"] == w)).any()]


def _per_layer(ax, data: pd.DataFrame, value: str, groups, palette, rng) -> dict:
  """Every run's value per layer and the mean with its interval, per (activation, width) group."""
  shift = offsets(groups, 0.6)
  widths = sorted({w for _, w in groups})
  counts = {}
  for g in groups:
    a = data[(data["activation"] == g[0]) & (data["width"] == g[1])]
    layers = sorted(a["layer"].unique())
    xs = [l + shift[g] for l in layers]
    n = seeds_and_means(ax, xs, [a.loc[a["layer"] == l, value] for l in layers], palette[g[0]], rng,
                        width=0.5 / len(groups), mean_colour=palette[g[0]], marker=MARKERS[widths.index(g[1]) % 5],
                        clip=(0, None))
    ax.plot(xs, [a.loc[a["layer"] == l, value].mean() for l in layers], color=palette[g[0]], lw=0.8, alpha=0.7)
    counts[g] = set(n)
  return counts


def _legend(fig, groups, palette, counts) -> None:
  widths = sorted({w for _, w in groups})
  label = (lambda g: f"{g[0]}, width {g[1]}") if len(widths) > 1 else (lambda g: g[0])
  def n(g):  # the kept runs per point, over all panels (data sets may differ)
    ns = counts.get(g) or {0}
    lo, hi = min(ns), max(ns)
    return (f"n = {lo}" if lo == hi else f"n = {lo}-{hi}") + " kept runs" + (
        f"; no interval where below {MIN_N}" if lo < MIN_N else "")
  handles = [Line2D([], [], color=palette[g[0]], marker=MARKERS[widths.index(g[1]) % 5], ls="-",
                    label=f"{label(g)} ({n(g)})") for g in groups]
  fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 3), fontsize=8, frameon=False)


def betti_per_layer(betti: pd.DataFrame, fit: pd.DataFrame, dataset: str, path: Path) -> Figure | None:
  """Betti numbers per layer by activation: one panel per class x Betti dimension, every run."""
  data = betti[betti["dataset"] == dataset]
  if data.empty:
    return None
  groups = _groups(data)
  palette = activation_palette(data["activation"])
  classes, dims = sorted(data["cls"].unique()), sorted(data["dim"].unique())
  fig, axes = plt.subplots(len(classes), len(dims), squeeze=False, sharex=True, sharey="col", layout="constrained",
                           figsize=(3.8 * len(dims), 2.8 * len(classes) + 0.9))
  rng = np.random.default_rng(0)
  counts = {}
  layers = sorted(data["layer"].unique())
  for i, cls in enumerate(classes):
    for j, dim in enumerate(dims):
      ax = axes[i, j]
      panel = data[(data["cls"] == cls) & (data["dim"] == dim)]
      for g, ns in _per_layer(ax, panel, "betti", groups, palette, rng).items():
        counts[g] = counts.get(g, set()) | ns
      ax.set_xticks(layers)
      ax.axhline(1 if dim == 0 else 0, color="grey", lw=0.8, ls="--", zorder=0)  # trivial value
      _integer_axis(ax, data.loc[data["dim"] == dim, "betti"].max())
      ax.grid(alpha=0.3)
      ax.set_title(f"class {cls}, Betti dimension {dim}", fontsize=9)
      if j == 0:
        ax.set_ylabel("Betti number (count)")
      if i == len(classes) - 1:
        ax.set_xlabel("layer (0 = input, then hidden layers)")
  _legend(fig, groups, palette, counts)
  fig.suptitle(f"{dataset}: Betti numbers of each predicted class per layer, one point per kept run, bar = "
               f"mean and 95% t-interval\n(dashed: trivial topology); {_kept_note(fit, dataset)}", fontsize=10)
  per_run = data[data["layer"] == max(layers)].groupby(["activation", "width", "seed"], sort=False)["betti"].sum()
  last = per_run.groupby(level=0, sort=False).mean()
  caption = (f"On {dataset}, each point is one kept run's Betti number of one class at one layer; at the last "
             f"layer (trivial: {len(classes)}) the runs' Betti numbers summed over classes and dimensions average "
             + ", ".join(f"{a} {v:.2f}" for a, v in last.items()) + ".")
  return Figure(save(fig, path), caption)


def betti_total_per_layer(kept: pd.DataFrame, fit: pd.DataFrame, path: Path) -> Figure | None:
  """Sum of all Betti numbers of all classes per layer, one panel per data set, every run."""
  cols = [c for c in kept.columns if c.startswith("betti_total_l")]
  if not cols or kept[cols].isna().all().all():
    return None
  long = kept.melt(id_vars=["dataset", "activation", "width", "seed"], value_vars=cols,
                   var_name="layer", value_name="total").dropna(subset=["total"])
  long["layer"] = long["layer"].str.extract(r"_l(\d+)$")[0].astype(int)
  groups = _groups(long)
  palette = activation_palette(long["activation"])
  datasets = list(dict.fromkeys(long["dataset"]))
  fig, axes = plt.subplots(1, len(datasets), squeeze=False, layout="constrained",
                           figsize=(max(7.5, 4.4 * len(datasets)), 4.4))
  rng = np.random.default_rng(0)
  counts = {}
  for ax, dataset in zip(axes[0], datasets):
    d = long[long["dataset"] == dataset]
    for g, ns in _per_layer(ax, d, "total", groups, palette, rng).items():
      counts[g] = counts.get(g, set()) | ns
    ax.set_xticks(sorted(d["layer"].unique()))
    ax.axhline(2, color="grey", lw=0.8, ls="--", zorder=0)  # two trivial classes: (1, 0) each
    _integer_axis(ax, d["total"].max())
    ax.grid(alpha=0.3)
    ax.set_title(f"data set: {dataset}\n{_kept_note(fit, dataset)}", fontsize=8)
    ax.set_xlabel("layer (0 = input)")
  axes[0, 0].set_ylabel("sum of Betti numbers over classes (count)")
  _legend(fig, groups, palette, counts)
  fig.suptitle("Total topological complexity per layer, one point per kept run,\nbar = mean and 95% "
               "t-interval (dashed: both classes trivial)", fontsize=10)
  caption = (f"Each point is one kept run's summed Betti numbers ({len(kept)} kept runs); a curve falling to the "
             "dashed line means the network has made both classes topologically trivial by that layer.")
  return Figure(save(fig, path), caption)


def _wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
  """The 95% Wilson interval of a proportion k/n."""
  if n == 0:
    return float("nan"), float("nan")
  p = k / n
  centre = (p + z * z / (2 * n)) / (1 + z * z / n)
  half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
  return centre - half, centre + half


def layers_to_trivial(kept: pd.DataFrame, depth_by_dataset: dict, path: Path) -> Figure | None:
  """Layers until every class is trivial (never = L + 1), and the fraction of runs that get there."""
  data = kept.dropna(subset=["layers_to_trivial_capped"]).copy()
  if data.empty:
    return None
  data["reached"] = data["layers_to_trivial"].notna()
  order = activation_order(data["activation"])
  palette = activation_palette(order)
  datasets = list(dict.fromkeys(data["dataset"]))
  fig, axes = plt.subplots(2, len(datasets), figsize=(max(6.5, 4.2 * len(datasets)), 6.6), squeeze=False,
                           layout="constrained")
  rng = np.random.default_rng(0)
  reached_words = []
  for j, dataset in enumerate(datasets):
    d = data[data["dataset"] == dataset]
    ax = axes[0, j]
    for k, act in enumerate(order):
      seeds_and_means(ax, [k], [d.loc[d["activation"] == act, "layers_to_trivial_capped"]], palette[act], rng)
    never = max(depth_by_dataset.get(dataset, [d["depth"].max()])) + 1
    ax.axhline(never, color="grey", ls="--", lw=0.8)
    ax.set_ylim(-0.5, never + 0.7)
    ax.set_title(f"data set: {dataset}  (dashed: never = {never})", fontsize=9)
    ax.set_ylabel("layers until every class\nis (1, 0, ...) (layers)" if j == 0 else "")
    ax = axes[1, j]
    for k, act in enumerate(order):
      r = d.loc[d["activation"] == act, "reached"]
      hits, n = int(r.sum()), len(r)
      if not n:
        continue
      lo, hi = _wilson(hits, n)
      ax.bar(k, hits / n, color=palette[act], alpha=0.6, width=0.6)
      ax.errorbar([k], [hits / n], yerr=[[hits / n - lo], [hi - hits / n]], color="k", capsize=4, fmt="none")
      ax.text(k, 1.02, f"{hits}/{n}", ha="center", va="bottom", fontsize=8)
      reached_words.append(f"{act} {hits}/{n} on {dataset}")
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("kept runs reaching trivial\ntopology (fraction)" if j == 0 else "")
    for a in axes[:, j]:
      a.set_xticks(range(len(order)), order, rotation=15)
      a.set_xlim(-0.6, len(order) - 0.4)
      a.grid(axis="y", alpha=0.3)
  fig.suptitle("Layers to trivial topology per kept run (points; bars: mean and 95% t-interval),\n"
               "and the fraction of kept runs that reach it (95% Wilson interval)", fontsize=10)
  caption = ("Each point is one kept run (runs that never reach trivial topology sit on the dashed line); "
             "runs reaching it: " + ", ".join(reached_words) + ".")
  return Figure(save(fig, path), caption)


def draw_figures(workdir: str | Path) -> list[Figure]:
  """Every figure of the topology study, from <workdir>/*.csv into <workdir>/figures."""
  begin()
  workdir = Path(workdir)
  fig_dir = workdir / "figures"
  kept = pd.read_csv(workdir / "kept_runs.csv")
  fit = pd.read_csv(workdir / "fit_summary.csv")
  betti = pd.read_csv(workdir / "betti_per_layer.csv")
  paths = [betti_per_layer(betti, fit, d, fig_dir / f"betti_per_layer_{d}.png")
           for d in dict.fromkeys(fit["dataset"])]
  paths.append(betti_total_per_layer(kept, fit, fig_dir / "betti_total_per_layer.png"))
  depths = {d: sorted(rows["depth"].unique()) for d, rows in fit.groupby("dataset")}
  paths.append(layers_to_trivial(kept, depths, fig_dir / "layers_to_trivial.png"))
  return [p for p in paths if p is not None]
