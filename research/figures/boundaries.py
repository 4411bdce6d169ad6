"""Maps of the input plane of a training study: decision regions against the true boundary, and
the exact linear regions, one file per data set (rows: architectures, columns: activations).

A decision-region panel shows the cell's median seed by test accuracy (the seed is named in the
panel title, with the cell's worst accuracy next to it), where the run stored every model's class
map (`grid_pred`); runs made before that stored seed `plot_seed` only, and the titles say so.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from research.figures.style import Figure, activation_order, not_diverged, save
from research.metrics import boundary
from research.store import Store

CLASS_COLOURS = ("#3b6fb6", "#d1493f", "#3a9e5a", "#9b59b6", "#e6a23c")  # class 0, 1, ...
TRUTH_COLOUR = "#f5c400"  # drawn over both class colours and black, so it is never mistaken for them
PANEL = 2.45  # inches; 4 architectures stay under 2,000 px at DPI 110


def _keys(results: pd.DataFrame) -> list:
  return sorted({(int(w), int(d), float(lr)) for w, d, lr in zip(results["width"], results["depth"], results["lr"])})


def median_model(cell: pd.DataFrame) -> pd.Series | None:
  """The row of the lower-median model by test accuracy (ties: the smaller seed), or None."""
  ok = not_diverged(cell).sort_values(["test_acc", "seed"], kind="stable")
  return None if ok.empty else ok.iloc[(len(ok) - 1) // 2]


def _class_map(arrays: dict, row: pd.Series, median: bool):
  """(class map (R, R), training x, training y, seed shown) of one model, or None if not stored."""
  m = int(row["model_index"])
  if median and "grid_pred" in arrays:
    d = int(arrays["data_index"][m])
    return arrays["grid_pred"][m], arrays["data_x_train"][d].astype(np.float32), arrays["data_y_train"][d]
  shown = list(arrays.get("plot_model_index", []))
  if m not in shown:
    return None
  score = arrays["plot_grid_score"][shown.index(m)]
  return (score > 0).astype(np.int8), arrays["plot_x_train"], arrays["plot_y_train"]


def _contour_classes(ax, xs, ys, labels: np.ndarray, num_classes: int, **kw):
  """Contour lines between classes of a label map (none if the map holds one class)."""
  if labels.min() == labels.max():
    return None
  return ax.contour(xs, ys, labels, levels=np.arange(num_classes - 1) + 0.5, **kw)


def unit_arrays(store: Store, results: pd.DataFrame) -> dict[str, dict]:
  """unit -> its stored arrays, read once for both map figures."""
  return {u: store.read_arrays(u) for u in dict.fromkeys(results["unit"])}


def decision_boundaries(store: Store, results: pd.DataFrame, fig_dir: Path, arrays_of=None) -> list[Figure]:
  """decision_boundaries_<data set>.png: the median seed's predicted classes and the true boundary."""
  arrays_of = arrays_of or unit_arrays(store, results)
  stored_all = all("grid_pred" in a for a in arrays_of.values())
  acts = activation_order(results["activation"])
  figs = []
  for dataset in dict.fromkeys(results["dataset"]):
    data = results[results["dataset"] == dataset]
    keys = _keys(data)
    fig, axes = plt.subplots(len(keys), len(acts), squeeze=False, layout="constrained",
                             figsize=(PANEL * len(acts), PANEL * len(keys) + 0.9))
    num_classes, worst, has_truth = 2, [], False
    for i, key in enumerate(keys):
      for j, act in enumerate(acts):
        ax = axes[i, j]
        cell = data[(data["width"] == key[0]) & (data["depth"] == key[1]) & (data["lr"] == key[2])
                    & (data["activation"] == act)]
        ok = not_diverged(cell)
        row = median_model(cell) if stored_all else (
            None if ok.empty else ok.sort_values("seed").iloc[0])  # older runs: the plot seed only
        arrays = arrays_of[row["unit"]] if row is not None else {}
        drawn = _class_map(arrays, row, stored_all) if row is not None else None
        ax.set_xticks([])
        ax.set_yticks([])
        if drawn is None:
          ax.set_title(f"{act}\nw{key[0]} d{key[1]}: " + ("all diverged" if ok.empty else "not stored"), fontsize=8)
          continue
        labels, x, y = drawn
        num_classes = max(num_classes, int(labels.max()) + 1, int(y.max()) + 1)
        domain = arrays["plot_domain"]
        xs, ys = boundary.grid_axes(domain, labels.shape[0])
        cmap = ListedColormap(CLASS_COLOURS[:num_classes])
        ax.imshow(labels, origin="lower", extent=(*domain[0], *domain[1]), cmap=cmap, alpha=0.3,
                  vmin=-0.5, vmax=num_classes - 0.5, aspect="auto", interpolation="nearest")
        ax.scatter(x[:, 0], x[:, 1], c=np.asarray(y), cmap=cmap, vmin=-0.5, vmax=num_classes - 0.5, s=2.5,
                   linewidths=0, alpha=0.8)
        _contour_classes(ax, xs, ys, labels, num_classes, colors="k", linewidths=1.0)
        if "plot_truth" in arrays:
          has_truth = True
          truth = _contour_classes(ax, xs, ys, arrays["plot_truth"], num_classes, colors=TRUTH_COLOUR,
                                   linewidths=1.3, linestyles="--")
          if truth is not None:
            truth.set_gid("truth")
        low = ok["test_acc"].min()
        worst.append((low, act, key))
        which = f"median of {len(ok)}" if stored_all else "plot seed"
        ax.set_title(f"{act}, w{key[0]} d{key[1]}\nseed {int(row['seed'])} ({which}): acc {row['test_acc']:.3f}"
                     f"\nworst seed of the cell {low:.3f}", fontsize=7.5)
    handles = [Patch(color=CLASS_COLOURS[c], alpha=0.5, label=f"class {c} (shade: predicted, dots: training)")
               for c in range(num_classes)]
    handles.append(Line2D([], [], color="k", lw=1.0, label="predicted boundary"))
    if has_truth:
      handles.append(Line2D([], [], color=TRUTH_COLOUR, lw=1.3, ls="--", label="true boundary"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 2 if len(acts) < 3 else 4),
               fontsize=7.5, frameon=False)
    shown = ("the median seed by test accuracy" if stored_all
             else "the seed eval.plot_seed (this run stored no other seed's map)")
    fig.suptitle(f"{dataset}: decision regions of {shown} per cell", fontsize=10)
    low, act, key = min(worst) if worst else (np.nan, "", (0, 0, 0))
    caption = (f"On {dataset}, {shown} of each cell: shading is the predicted class, black the predicted "
               + ("and yellow dashed the true boundary" if has_truth else "boundary (no true boundary stored)")
               + (f"; the worst single seed of any cell is {act} at width {key[0]}, depth {key[1]} "
                  f"(test accuracy {low:.3f})." if worst else "."))
    figs.append(Figure(save(fig, fig_dir / f"decision_boundaries_{dataset}.png"), caption))
  return figs


def linear_regions(store: Store, results: pd.DataFrame, fig_dir: Path, arrays_of=None) -> list[Figure]:
  """linear_regions_<data set>.png: exact linear regions and boundary of the plot seed, per cell.

  Polygons are stored for eval.plot_seed only, so ReLU and LeakyReLU of the same seed (same
  initial weights and data) sit side by side in one row.
  """
  arrays_of = arrays_of or unit_arrays(store, results)
  figs = []
  for dataset in dict.fromkeys(results["dataset"]):
    data = results[results["dataset"] == dataset]
    panels = []
    for unit, rows in data.groupby("unit", sort=False):
      arrays = arrays_of[unit]
      for m in arrays.get("plot_model_index", []):
        if f"regions_{m}_vertices" in arrays:
          panels.append((rows[rows["model_index"] == m].iloc[0], arrays, m))
    if not panels:
      continue
    keys = _keys(pd.DataFrame([r for r, _, _ in panels]))
    acts = list(dict.fromkeys(r["activation"] for r, _, _ in panels))
    fig, axes = plt.subplots(len(keys), len(acts), figsize=(PANEL * len(acts), PANEL * len(keys) + 0.5),
                             squeeze=False, layout="constrained")
    for ax in axes.flat:
      ax.set_visible(False)
    rng = np.random.default_rng(0)
    counts = []
    for row, arrays, m in panels:
      ax = axes[keys.index((int(row["width"]), int(row["depth"]), float(row["lr"]))), acts.index(row["activation"])]
      ax.set_visible(True)
      vertices, offsets = arrays[f"regions_{m}_vertices"], arrays[f"regions_{m}_offsets"]
      polygons = [vertices[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
      ax.add_collection(PolyCollection(polygons, facecolors=rng.uniform(0.25, 1.0, (len(polygons), 3)),
                                       edgecolors="white", linewidths=0.2))
      ax.add_collection(LineCollection(arrays[f"regions_{m}_boundary"], colors="k", linewidths=1.3))
      (x0, x1), (y0, y1) = arrays["plot_domain"]
      ax.set_xlim(x0, x1)
      ax.set_ylim(y0, y1)
      ax.set_aspect("equal")
      ax.set_xticks([])
      ax.set_yticks([])
      counts.append(len(polygons))
      ax.set_title(f"{row['activation']}, w{row['width']} d{row['depth']}\n{len(polygons)} regions", fontsize=8)
    seed = int(panels[0][0]["seed"])
    fig.suptitle(f"{dataset}: exact linear regions (colours) and decision boundary (black) after training, "
                 f"seed {seed},\nsame initial weights and data along a row", fontsize=9.5)
    caption = (f"Exact linear regions of seed {seed} on {dataset} (the only seed whose polygons are stored), "
               f"from {min(counts)} to {max(counts)} regions per model; compare activations along a row.")
    figs.append(Figure(save(fig, fig_dir / f"linear_regions_{dataset}.png"), caption))
  return figs
