"""One model's decision boundary and exact linear regions on a matplotlib axis, and saving.

`draw_boundary(ax, net, domain, ...)` shades the predicted class on a grid, draws the edges of the
exact activation regions (research/metrics/regions.py) and the exact decision boundary read off
them (a grid contour where regions are not defined: smooth activations), the true class boundary
of the data set faintly (dashed), and the training points. `boundary_figure` is the same as a
one-panel figure for callers holding weights (research/api.py).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from research.metrics import boundary
from research.store import atomic_write_bytes
from research.views.net import Net, exact_regions, grid, hidden, score

BOUNDARY_COLOUR = "black"
TRUTH_COLOUR = "#2ca02c"
EDGE_COLOUR = "#555555"


def class_colours(num_classes: int) -> list[tuple]:
  """The colour of each class, as research/figures/training.py shades them (coolwarm)."""
  cmap = plt.get_cmap("coolwarm")
  return [cmap(k / max(num_classes - 1, 1)) for k in range(num_classes)]


def _extent(domain) -> tuple[float, float, float, float]:
  (x0, x1), (y0, y1) = np.asarray(domain, np.float64)
  return x0, x1, y0, y1


def draw_truth(ax, truth: Callable | None, domain, resolution: int, num_classes: int) -> None:
  """The true class boundary (dashed, faint): the level sets between classes of truth() on a grid."""
  if truth is None:
    return
  points, shape = grid(domain, resolution)
  labels = np.asarray(truth(points)).reshape(shape).astype(np.float64)
  if labels.min() == labels.max():
    return
  xs, ys = boundary.grid_axes(np.asarray(domain, np.float64), resolution)
  ax.contour(xs, ys, labels, levels=np.arange(num_classes - 1) + 0.5, colors=TRUTH_COLOUR,
             linewidths=1.1, linestyles="dashed", alpha=0.75)


def draw_boundary(ax, net: Net, domain, *, truth: Callable | None = None, data=None,
                  resolution: int = 160, show_regions: bool = True) -> dict:
  """Draws the model on `ax`; returns what was drawn: num_regions (NaN where not defined).

  `data`: (x (N, 2), y (N,)) points to scatter, or None. `truth`: points -> labels, or None.
  """
  points, shape = grid(domain, resolution)
  logits = hidden(net, points)[2]
  pred = (logits[:, 0] > 0).astype(int) if logits.shape[1] == 1 else np.argmax(logits, 1)
  colours = class_colours(net.num_classes)
  cmap = matplotlib.colors.ListedColormap(colours)
  ax.imshow(pred.reshape(shape), origin="lower", extent=_extent(domain), cmap=cmap, alpha=0.3,
            vmin=-0.5, vmax=net.num_classes - 0.5, aspect="auto", interpolation="nearest")
  reg = exact_regions(net, domain) if show_regions else None
  if reg is not None:
    edges = [np.vstack([p, p[:1]]) for p in reg.polygons]
    ax.add_collection(LineCollection(edges, colors=EDGE_COLOUR, linewidths=0.35, alpha=0.7))
    ax.add_collection(LineCollection(reg.boundary_segments, colors=BOUNDARY_COLOUR, linewidths=1.6))
  else:
    xs, ys = boundary.grid_axes(np.asarray(domain, np.float64), resolution)
    s = score(logits).reshape(shape)
    if s.min() < 0 < s.max():
      ax.contour(xs, ys, s, levels=[0.0], colors=BOUNDARY_COLOUR, linewidths=1.6)
  draw_truth(ax, truth, domain, resolution, net.num_classes)
  if data is not None:
    x, y = data
    ax.scatter(x[:, 0], x[:, 1], c=[colours[int(k)] for k in y], s=3, edgecolors="none", alpha=0.8)
  x0, x1, y0, y1 = _extent(domain)
  ax.set_xlim(x0, x1)
  ax.set_ylim(y0, y1)
  ax.set_aspect("equal")
  ax.set_xticks([])
  ax.set_yticks([])
  return dict(num_regions=float(reg.num_regions) if reg is not None else float("nan"))


def legend_handles(num_classes: int, regions: bool = True, truth: bool = True) -> list:
  """Legend entries: the class colours, the model's boundary, the true boundary, region edges."""
  handles = [Patch(facecolor=c, alpha=0.5, label=f"class {k}") for k, c in enumerate(class_colours(num_classes))]
  handles.append(Line2D([], [], color=BOUNDARY_COLOUR, lw=1.6, label="model boundary"))
  if truth:
    handles.append(Line2D([], [], color=TRUTH_COLOUR, lw=1.1, ls="--", label="true boundary"))
  if regions:
    handles.append(Line2D([], [], color=EDGE_COLOUR, lw=0.6, label="linear region edges"))
  return handles


def boundary_figure(net: Net, domain, *, truth: Callable | None = None, data=None, title: str = "",
                    resolution: int = 160):
  """A one-panel figure of `net`'s boundary and regions (see draw_boundary), with a legend."""
  fig, ax = plt.subplots(figsize=(4.2, 4.6))
  drawn = draw_boundary(ax, net, domain, truth=truth, data=data, resolution=resolution)
  n = drawn["num_regions"]
  ax.set_title(title + (f"\n{int(n)} linear regions" if np.isfinite(n) else ""), fontsize=9)
  fig.legend(handles=legend_handles(net.num_classes, np.isfinite(n), truth is not None),
             loc="lower center", ncol=3, fontsize=7, frameon=False)
  fig.subplots_adjust(bottom=0.16, top=0.9, left=0.04, right=0.96)
  return fig


def save_png(fig, path: str | Path, dpi: int = 100) -> Path:
  """Writes a figure as PNG atomically (no timestamp in the file: identical runs, identical bytes)."""
  path = Path(path)
  buf = io.BytesIO()
  fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
  plt.close(fig)
  path.parent.mkdir(parents=True, exist_ok=True)
  atomic_write_bytes(path, buf.getvalue())
  return path
