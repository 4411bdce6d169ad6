"""Figures of the topology study, drawn from the CSV files in its workdir only.

Seeds are aggregated with 95% bootstrap confidence intervals (seaborn's errorbar=("ci", 95)) over
the runs that are kept (those that fit the training data; research/studies/fit.py).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
import seaborn as sns

from research.figures.style import CI, SEED, activation_order, activation_palette, dodge, save as _save


def _kept_note(fit: pd.DataFrame, dataset: str) -> str:
  rows = fit[fit["dataset"] == dataset].groupby("activation", sort=False)[["kept", "runs"]].sum()
  return "kept runs: " + ", ".join(f"{a} {int(r.kept)}/{int(r.runs)}" for a, r in rows.iterrows())


def _integer_axis(ax, top: float) -> None:
  """Counts: integer ticks from 0, with room above the largest value (at least 0..1)."""
  ax.set_ylim(-0.3, max(float(top) if np.isfinite(top) else 1.0, 1.0) + 0.5)
  ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


def betti_per_layer(betti: pd.DataFrame, fit: pd.DataFrame, dataset: str, path: Path) -> Path | None:
  """Betti numbers per layer by activation: one panel per class x Betti dimension (95% CI)."""
  data = betti[betti["dataset"] == dataset]
  if data.empty:
    return None
  order = activation_order(data["activation"])
  data = data.assign(x=data["layer"] + dodge(data["activation"], order))
  multi_width = data["width"].nunique() > 1
  g = sns.relplot(data=data, x="x", y="betti", hue="activation", col="dim", row="cls",
                  style="width" if multi_width else None, kind="line", errorbar=CI, seed=SEED, marker="o",
                  palette=activation_palette(order), height=2.8, aspect=1.35,
                  facet_kws=dict(sharey=False))
  g.set_axis_labels("layer (0 = input, then hidden layers)", "Betti number (count)")
  g.set_titles("class {row_name}, Betti dimension {col_name}")
  layers = sorted(data["layer"].unique())
  for (cls, dim), ax in g.axes_dict.items():
    ax.set_xticks(layers)
    ax.axhline(1 if dim == 0 else 0, color="grey", lw=0.8, ls="--", zorder=0)  # trivial value
    _integer_axis(ax, data.loc[(data["cls"] == cls) & (data["dim"] == dim), "betti"].max())
    ax.grid(alpha=0.3)
  g.figure.suptitle(f"{dataset}: Betti numbers of each predicted class per layer, mean and 95% CI "
                    f"over kept seeds (dashed: trivial topology)\n{_kept_note(fit, dataset)}", y=1.06)
  return _save(g.figure, path)


def betti_total_per_layer(kept: pd.DataFrame, fit: pd.DataFrame, path: Path) -> Path | None:
  """Sum of all Betti numbers of all classes per layer, one panel per data set (95% CI)."""
  cols = [c for c in kept.columns if c.startswith("betti_total_l")]
  if not cols or kept[cols].isna().all().all():
    return None
  long = kept.melt(id_vars=["dataset", "activation", "width", "seed"], value_vars=cols,
                   var_name="layer", value_name="total").dropna(subset=["total"])
  long["layer"] = long["layer"].str.extract(r"_l(\d+)$")[0].astype(int)
  order = activation_order(long["activation"])
  long["x"] = long["layer"] + dodge(long["activation"], order)
  g = sns.relplot(data=long, x="x", y="total", hue="activation", col="dataset", kind="line",
                  errorbar=CI, seed=SEED, marker="o", palette=activation_palette(order),
                  style="width" if long["width"].nunique() > 1 else None, height=3.2, aspect=1.3,
                  facet_kws=dict(sharey=False))
  g.set_axis_labels("layer (0 = input)", "sum of Betti numbers over classes (count)")
  g.set_titles("data set: {col_name}")
  for dataset, ax in g.axes_dict.items():
    ax.set_xticks(sorted(long["layer"].unique()))
    ax.axhline(2, color="grey", lw=0.8, ls="--", zorder=0)  # two trivial classes: (1, 0) each
    _integer_axis(ax, long.loc[long["dataset"] == dataset, "total"].max())
    ax.grid(alpha=0.3)
    ax.set_title(f"data set: {dataset}\n{_kept_note(fit, dataset)}", fontsize=8)
  g.figure.suptitle("Total topological complexity per layer, mean and 95% CI over kept seeds "
                    "(dashed: both classes trivial)", y=1.08)
  return _save(g.figure, path)


def layers_to_trivial(kept: pd.DataFrame, depth_by_dataset: dict, path: Path) -> Path | None:
  """Layers until every class is trivial (never = L + 1), and the fraction of runs that get there."""
  data = kept.dropna(subset=["layers_to_trivial_capped"]).copy()
  if data.empty:
    return None
  data["reached"] = data["layers_to_trivial"].notna().astype(float)
  order = activation_order(data["activation"])
  datasets = list(dict.fromkeys(data["dataset"]))
  fig, axes = plt.subplots(2, len(datasets), figsize=(4.2 * len(datasets), 6.4), squeeze=False)
  for j, dataset in enumerate(datasets):
    d = data[data["dataset"] == dataset]
    ax = axes[0, j]
    sns.pointplot(data=d, x="activation", y="layers_to_trivial_capped", order=order, errorbar=CI, seed=SEED,
                  capsize=0.15, linestyle="none", ax=ax, color="black")
    sns.stripplot(data=d, x="activation", y="layers_to_trivial_capped", order=order, ax=ax,
                  alpha=0.35, jitter=0.15, color="tab:blue")
    never = max(depth_by_dataset.get(dataset, [d["depth"].max()])) + 1
    ax.axhline(never, color="grey", ls="--", lw=0.8)
    ax.set_ylim(-0.5, never + 0.7)
    ax.set_title(f"data set: {dataset}  (dashed: never = {never})")
    ax.set_xlabel("")
    ax.set_ylabel("layers until every class\nis (1, 0, ...) (layers)" if j == 0 else "")
    ax = axes[1, j]
    sns.barplot(data=d, x="activation", y="reached", order=order, errorbar=CI, seed=SEED, capsize=0.15,
                ax=ax, color="tab:orange")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("activation")
    ax.set_ylabel("kept runs reaching trivial\ntopology (fraction)" if j == 0 else "")
    for a in axes[:, j]:
      a.tick_params(axis="x", rotation=15)
      a.grid(axis="y", alpha=0.3)
  fig.suptitle("Layers to trivial topology per kept run (dots; black: mean and 95% CI),\n"
               "and the fraction of kept runs that reach it (95% CI)", y=1.02)
  fig.tight_layout()
  return _save(fig, path)


def draw_figures(workdir: str | Path) -> list[Path]:
  """Every figure of the topology study, from <workdir>/*.csv into <workdir>/figures."""
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
