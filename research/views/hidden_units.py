"""What every hidden unit computes over the input plane, as TensorFlow Playground shows it.

One row per hidden layer, one panel per unit: the unit's activation over the domain box as a heat
map (a diverging colour map centred on 0, scaled to the unit's own largest |value|, printed in
its title), then a last row with the model's output (the logit, binary head; top-minus-runner-up
otherwise) and its decision boundary. A unit whose pre-activation is <= 0 on the whole plane grid
and on the given data points is framed: "dead" (red) where its activation is then zero everywhere
(ReLU: no gradient either), "inactive" (orange) where it still passes something (LeakyReLU's
negative side). A unit that is so on the data points only (research/metrics/sparsity.py's
dead_units rule, the results table's dead_fraction) but active somewhere else on the plane gets a
dashed frame, "dead on data" / "inactive on data": the table counts it dead, the plane shows where
it still responds.
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

from research.metrics import boundary
from research.views.drawing import BOUNDARY_COLOUR, _extent, class_colours, draw_truth, save_png
from research.views.net import Net, grid, hidden, score

DEAD_COLOUR = "#d62728"
INACTIVE_COLOUR = "#ff7f0e"


@dataclasses.dataclass
class UnitMaps:
  """Each hidden unit's activation on a grid of the plane, and which units are dead or inactive."""

  activations: list[np.ndarray]  # per layer (width, R, R)
  output: np.ndarray  # (R, R) the output score (its zero level is the boundary)
  inactive: list[np.ndarray]  # per layer (width,) bool: pre-activation <= 0 on the plane and the points
  dead: list[np.ndarray]  # ... and its activation is 0 there (ReLU), not just negative (LeakyReLU)
  inactive_on_data: list[np.ndarray]  # inactive on every given point (sparsity.dead_units' rule)
  dead_on_data: list[np.ndarray]

  def mark(self, layer: int, unit: int) -> str:
    """'dead', 'dead on data', 'inactive', 'inactive on data' or '' for one unit."""
    for flags, name in ((self.dead, "dead"), (self.inactive, "inactive"), (self.dead_on_data, "dead on data"),
                        (self.inactive_on_data, "inactive on data")):
      if flags[layer][unit]:
        return name
    return ""


def unit_maps(net: Net, domain, resolution: int = 64, points: np.ndarray | None = None) -> UnitMaps:
  """Every unit's activation on an R x R grid of `domain`; whether it is dead or inactive on the
  grid and the `points` together, and on the points alone (e.g. the training data)."""
  plane, shape = grid(domain, resolution)
  pre, act, logits = hidden(net, plane)
  have_points = points is not None and len(points) > 0
  on_pts = hidden(net, points)[:2] if have_points else None
  out = UnitMaps([], score(logits).reshape(shape), [], [], [], [])
  for l, (z, a) in enumerate(zip(pre, act)):
    if have_points:
      zp, ap = on_pts[0][l], on_pts[1][l]
      off_pts, zero_pts = np.all(zp <= 0, axis=0), np.all(ap == 0, axis=0)
    else:
      off_pts = zero_pts = np.zeros(z.shape[1], bool)
    off = np.all(z <= 0, axis=0) & (off_pts if have_points else True)
    zero = np.all(a == 0, axis=0) & (zero_pts if have_points else True)
    out.inactive.append(off)
    out.dead.append(off & zero)
    out.inactive_on_data.append(off_pts)
    out.dead_on_data.append(off_pts & zero_pts)
    out.activations.append(a.T.reshape(-1, *shape))
  return out


def hidden_units_figure(net: Net, domain, *, data=None, truth: Callable | None = None,
                        resolution: int = 64, title: str = ""):
  """The grid figure (see the module docstring). Unit panels carry gid 'unit l<layer> u<unit>'
  (and their text 'dead' / 'inactive' where marked); the output panel gid 'output'."""
  points = None if data is None else np.asarray(data[0])
  maps = unit_maps(net, domain, resolution, points)
  depth, cols = len(net.widths), max(net.widths)
  width_in = max(1.05 * cols + 0.6, 6.4)  # narrow nets: room for the title
  fig, axes = plt.subplots(depth + 1, cols, figsize=(width_in, 1.15 * (depth + 1) + 0.9),
                           squeeze=False)
  extent = _extent(domain)
  for ax in axes.flat:
    ax.set_axis_off()
  for l, layer in enumerate(maps.activations):
    for j, a in enumerate(layer):
      ax = axes[l, j]
      ax.set_axis_on()
      ax.set_gid(f"unit l{l} u{j}")
      ax.set_box_aspect(1)
      top = float(np.abs(a).max())
      ax.imshow(a, origin="lower", extent=extent, cmap="RdBu_r", vmin=-(top or 1.0), vmax=top or 1.0,
                aspect="auto", interpolation="nearest")
      ax.set_xticks([])
      ax.set_yticks([])
      ax.set_title(f"L{l + 1} u{j + 1}, max |a| {top:.2g}", fontsize=6, pad=2)
      mark = maps.mark(l, j)
      if mark:
        colour = DEAD_COLOUR if mark.startswith("dead") else INACTIVE_COLOUR
        for spine in ax.spines.values():
          spine.set(edgecolor=colour, linewidth=2.2, linestyle="dashed" if "data" in mark else "solid")
        ax.text(0.5, 0.5, mark.replace(" on ", "\non "), transform=ax.transAxes, ha="center",
                va="center", fontsize=7, color=colour, fontweight="bold")
    axes[l, 0].set_ylabel(f"layer {l + 1}", fontsize=8)
  out = axes[depth, 0]
  out.set_axis_on()
  out.set_gid("output")
  out.set_box_aspect(1)
  top = float(np.abs(maps.output).max()) or 1.0
  out.imshow(maps.output, origin="lower", extent=extent, cmap="RdBu_r", vmin=-top, vmax=top,
             aspect="auto", interpolation="nearest")
  xs, ys = boundary.grid_axes(np.asarray(domain, np.float64), resolution)
  if maps.output.min() < 0 < maps.output.max():
    out.contour(xs, ys, maps.output, levels=[0.0], colors=BOUNDARY_COLOUR, linewidths=1.0)
  draw_truth(out, truth, domain, resolution, net.num_classes)
  if data is not None:
    colours = class_colours(net.num_classes)
    out.scatter(points[:, 0], points[:, 1], c=[colours[int(k)] for k in data[1]], s=0.8, edgecolors="none")
  out.set_xticks([])
  out.set_yticks([])
  out.set_xlim(extent[0], extent[1])
  out.set_ylim(extent[2], extent[3])
  out.set_title("output (logit)", fontsize=6, pad=2)
  out.set_ylabel("output", fontsize=8)
  marks = [maps.mark(l, j) for l, w in enumerate(net.widths) for j in range(w)]
  counts = ", ".join(f"{marks.count(m)} {m}" for m in ("dead", "dead on data", "inactive", "inactive on data")
                     if marks.count(m))
  legend = (f"each unit's activation over the input plane (blue < 0, white 0, red > 0); of "
            f"{len(marks)} units: {counts or 'none dead or inactive'} (framed; dashed: only on the "
            "training points, active elsewhere on the plane)")
  lines = textwrap.wrap(title, int(width_in * 15)) + textwrap.wrap(legend, int(width_in * 15))
  fig.suptitle("\n".join(lines), fontsize=8)
  top_in = 0.25 + 0.14 * len(lines)
  fig.subplots_adjust(left=0.05, right=0.99, bottom=0.02, top=1 - top_in / (1.15 * (depth + 1) + 0.9),
                      wspace=0.12, hspace=0.35)
  return fig


def plot_hidden_units(net: Net, domain, path: str | Path, **kwargs) -> Path:
  """Writes hidden_units_figure(net, domain, **kwargs) as a PNG; returns its path."""
  return save_png(hidden_units_figure(net, domain, **kwargs), path, dpi=90)
