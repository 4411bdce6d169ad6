"""Figures of a study, drawn from the files in its workdir only (never from live training state).

Seeds are aggregated with 95% bootstrap confidence intervals (seaborn's errorbar=("ci", 95));
diverged models are excluded and their number is printed in the figure title.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.collections import LineCollection, PolyCollection

from research.figures.style import CI, SEED, activation_order, activation_palette, excluded_note, not_diverged, save
from research.metrics import boundary
from research.store import Store



def metric_by_activation(results: pd.DataFrame, metric: str, label: str, path: Path) -> Path:
  """One panel per data set: metric by activation, hue = width x depth, 95% CI over seeds."""
  ok = not_diverged(results).copy()
  ok["architecture"] = "width " + ok["width"].astype(str) + ", depth " + ok["depth"].astype(str)
  g = sns.catplot(data=ok, x="activation", y=metric, hue="architecture", col="dataset", col_wrap=2,
                  kind="point", errorbar=CI, seed=SEED, order=activation_order(results["activation"]),
                  dodge=0.4 if ok["architecture"].nunique() > 1 else False,
                  height=4, aspect=1.3, capsize=0.1, linestyle="none", sharey=False)
  g.set_axis_labels("activation", label)
  g.set_titles("data set: {col_name}")
  for ax in g.axes.flat:
    ax.tick_params(axis="x", rotation=20)
    ax.grid(axis="y", alpha=0.3)
  g.figure.suptitle(f"{label} by activation, mean and 95% CI over seeds{excluded_note(results)}", y=1.04)
  return save(g.figure, path)


def training_curves(curves: pd.DataFrame, results: pd.DataFrame, path: Path) -> Path:
  """Test loss over steps per activation (95% CI over seeds), one panel per data set x width."""
  ok_models = not_diverged(results)[["unit", "model_index"]]
  data = curves.merge(ok_models, on=["unit", "model_index"])
  data = data.assign(architecture="width " + data["width"].astype(str) + ", depth " + data["depth"].astype(str))
  g = sns.relplot(data=data, x="step", y="test_loss", hue="activation", col="architecture",
                  row="dataset", kind="line", errorbar=CI, seed=SEED, palette=activation_palette(results["activation"]),
                  height=3, aspect=1.3, facet_kws=dict(sharey=False))
  g.set_axis_labels("training step", "test cross-entropy (nats)")
  g.set_titles("{row_name} | {col_name}")
  for ax in g.axes.flat:
    ax.set_yscale("log")
  g.figure.suptitle(f"Test loss during training, mean and 95% CI over seeds{excluded_note(results)}", y=1.02)
  return save(g.figure, path)


def decision_boundaries(store: Store, results: pd.DataFrame, path: Path) -> Path:
  """Predicted class map (one seed) with the training points, one row per data set x architecture."""
  panels = []
  for unit, rows in results.groupby("unit", sort=False):
    arrays = store.read_arrays(unit)
    for k, model_index in enumerate(arrays["plot_model_index"]):
      row = rows[rows["model_index"] == model_index].iloc[0]
      panels.append((row, arrays, k))
  keys = list(dict.fromkeys((r["dataset"], r["width"], r["depth"], r["lr"]) for r, _, _ in panels))
  acts = activation_order(results["activation"])
  fig, axes = plt.subplots(len(keys), len(acts), figsize=(3.2 * len(acts), 3.2 * len(keys)),
                           squeeze=False)
  for ax in axes.flat:
    ax.set_visible(False)
  for row, arrays, k in panels:
    i = keys.index((row["dataset"], row["width"], row["depth"], row["lr"]))
    j = acts.index(row["activation"])
    ax = axes[i, j]
    ax.set_visible(True)
    (x0, x1), (y0, y1) = arrays["plot_domain"]
    logit = arrays["plot_grid_score"][k]
    ax.imshow(logit > 0, origin="lower", extent=(x0, x1, y0, y1), cmap="coolwarm", alpha=0.35,
              vmin=0, vmax=1, aspect="auto")
    ax.contour(*boundary.grid_axes(arrays["plot_domain"], logit.shape[0]), logit,
               levels=[0.0], colors="k", linewidths=1.0)
    x, y = arrays["plot_x_train"], arrays["plot_y_train"]
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", s=4, edgecolors="none")
    status = "diverged" if row["diverged"] else f"test acc {row['test_acc']:.3f}"
    ax.set_title(f"{row['activation']}\n{row['dataset']} w{row['width']} d{row['depth']}: {status}",
                 fontsize=9)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
  fig.suptitle("Decision regions (shaded: predicted class; line: boundary; dots: training data), seed "
               f"{int(results['seed'].min()) if len(results) else 0}", y=1.0)
  fig.tight_layout()
  return save(fig, path)


def linear_regions(store: Store, results: pd.DataFrame, path: Path) -> Path | None:
  """Exact linear regions (random colours) and the exact decision boundary, one seed.

  One row per data set x architecture, one column per piecewise-linear activation, so ReLU and
  LeakyReLU of the same seed (same initial weights and data) sit side by side.
  """
  panels = []
  for unit, rows in results.groupby("unit", sort=False):
    arrays = store.read_arrays(unit)
    for model_index in arrays.get("plot_model_index", []):
      if f"regions_{model_index}_vertices" in arrays:
        panels.append((rows[rows["model_index"] == model_index].iloc[0], arrays, model_index))
  if not panels:
    return None
  keys = list(dict.fromkeys((r["dataset"], r["width"], r["depth"], r["lr"]) for r, _, _ in panels))
  acts = list(dict.fromkeys(r["activation"] for r, _, _ in panels))
  fig, axes = plt.subplots(len(keys), len(acts), figsize=(3.4 * len(acts), 3.4 * len(keys)), squeeze=False)
  for ax in axes.flat:
    ax.set_visible(False)
  rng = np.random.default_rng(0)
  for row, arrays, m in panels:
    ax = axes[keys.index((row["dataset"], row["width"], row["depth"], row["lr"])), acts.index(row["activation"])]
    ax.set_visible(True)
    vertices, offsets = arrays[f"regions_{m}_vertices"], arrays[f"regions_{m}_offsets"]
    polygons = [vertices[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
    ax.add_collection(PolyCollection(polygons, facecolors=rng.uniform(0.25, 1.0, (len(polygons), 3)),
                                     edgecolors="white", linewidths=0.2))
    ax.add_collection(LineCollection(arrays[f"regions_{m}_boundary"], colors="k", linewidths=1.5))
    (x0, x1), (y0, y1) = arrays["plot_domain"]
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_title(f"{row['activation']}: {len(polygons)} regions\n{row['dataset']} w{row['width']} d{row['depth']}",
                 fontsize=9)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
  fig.suptitle("Exact linear regions (colours) and decision boundary (black) after training, "
               "same seed and data per row", y=1.0)
  fig.tight_layout()
  return save(fig, path)


def sparsity_by_layer(results: pd.DataFrame, path: Path) -> Path:
  """Dead-unit fraction and inactive fraction per hidden layer, by activation (95% CI)."""
  ok = not_diverged(results)
  cols = [c for c in ok.columns if c.startswith(("dead_fraction_l", "inactive_fraction_l"))]
  long = ok.melt(id_vars=["dataset", "activation", "width", "depth", "seed"], value_vars=cols,
                 var_name="quantity", value_name="fraction").dropna(subset=["fraction"])
  long["layer"] = long["quantity"].str.extract(r"_l(\d+)$")[0].astype(int) + 1
  long["quantity"] = long["quantity"].str.replace(r"_l\d+$", "", regex=True).map(
      {"dead_fraction": "dead units (inactive on all training points)",
       "inactive_fraction": "inactive (unit, point) pairs"})
  g = sns.relplot(data=long, x="layer", y="fraction", hue="activation", style="quantity",
                  col="dataset", kind="line", errorbar=CI, seed=SEED, markers=True,
                  palette=activation_palette(results["activation"]), height=3.5, aspect=1.3)
  g.set_axis_labels("hidden layer", "fraction")
  for ax in g.axes.flat:
    ax.set_xticks(sorted(long["layer"].unique()))
  g.figure.suptitle("Sparsity and dead units per layer on the training data, 95% CI over seeds and "
                    "architectures", y=1.03)
  return save(g.figure, path)


def plot_study(workdir: str | Path) -> list[Path]:
  """Writes every figure of a training study into <workdir>/figures and returns their paths."""
  workdir = Path(workdir)
  store = Store(workdir, None)
  results = pd.read_csv(workdir / "results.csv")
  curves = pd.read_csv(workdir / "curves.csv")
  fig_dir = workdir / "figures"
  paths = [metric_by_activation(results, "test_acc", "test accuracy (fraction)", fig_dir / "test_accuracy.png")]
  if "grid_agreement" in results:
    paths.append(metric_by_activation(results, "grid_agreement",
                                      "agreement with ground truth on the domain grid (fraction)",
                                      fig_dir / "grid_agreement.png"))
  paths.append(training_curves(curves, results, fig_dir / "training_curves.png"))
  paths.append(decision_boundaries(store, results, fig_dir / "decision_boundaries.png"))
  paths.append(sparsity_by_layer(results, fig_dir / "sparsity_by_layer.png"))
  if results.get("num_regions", pd.Series(dtype=float)).notna().any():
    paths.append(metric_by_activation(results.dropna(subset=["num_regions"]), "num_regions",
                                      "exact linear regions in the domain (count)",
                                      fig_dir / "region_count.png"))
    paths.append(linear_regions(store, results, fig_dir / "linear_regions.png"))
  return [p for p in paths if p is not None]
