"""What every hidden unit computes over the input plane, as TensorFlow Playground shows it.

One row per hidden layer, one panel per unit: the unit's activation over the domain box as a heat
map (a diverging colour map centred on 0, scaled to the unit's own largest |value|, printed in
its title), then a last row with the model's output (the logit, binary head; top-minus-runner-up
otherwise) and its decision boundary. A unit whose pre-activation is <= 0 on the whole plane grid
and on the given data points is marked: "dead" (red frame) where its activation is then zero
everywhere (ReLU: no gradient either), "inactive" (orange dashed frame) where it still passes
something (LeakyReLU's negative side). That is research/metrics/sparsity.py's dead_units rule,
applied to the plane as well as the data.
"""

from __future__ import annotations

import dataclasses
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
  dead: list[np.ndarray]  # per layer (width,) bool: inactive everywhere and zero everywhere
  inactive: list[np.ndarray]  # per layer (width,) bool: inactive everywhere (dead or not)


def unit_maps(net: Net, domain, resolution: int = 64, points: np.ndarray | None = None) -> UnitMaps:
  """Every unit's activation on an R x R grid of `domain`; dead/inactive judged on the grid and `points`."""
  plane, shape = grid(domain, resolution)
  pre, act, logits = hidden(net, plane)
  extra = hidden(net, points)[:2] if points is not None and len(points) else ([], [])
  maps, dead, inactive = [], [], []
  for l, (z, a) in enumerate(zip(pre, act)):
    z_all = np.concatenate([z, extra[0][l]]) if extra[0] else z
    a_all = np.concatenate([a, extra[1][l]]) if extra[1] else a
    off = np.all(z_all <= 0, axis=0)
    inactive.append(off)
    dead.append(off & np.all(a_all == 0, axis=0))
    maps.append(a.T.reshape(-1, *shape))
  return UnitMaps(maps, score(logits).reshape(shape), dead, inactive)


def hidden_units_figure(net: Net, domain, *, data=None, truth: Callable | None = None,
                        resolution: int = 64, title: str = ""):
  """The grid figure (see the module docstring). Unit panels carry gid 'unit l<layer> u<unit>'
  (and their text 'dead' / 'inactive' where marked); the output panel gid 'output'."""
  points = None if data is None else np.asarray(data[0])
  maps = unit_maps(net, domain, resolution, points)
  depth, cols = len(net.widths), max(net.widths)
  fig, axes = plt.subplots(depth + 1, cols, figsize=(1.05 * cols + 0.6, 1.15 * (depth + 1) + 0.7),
                           squeeze=False)
  extent = _extent(domain)
  for ax in axes.flat:
    ax.set_axis_off()
  for l, layer in enumerate(maps.activations):
    for j, a in enumerate(layer):
      ax = axes[l, j]
      ax.set_axis_on()
      ax.set_gid(f"unit l{l} u{j}")
      top = float(np.abs(a).max())
      ax.imshow(a, origin="lower", extent=extent, cmap="RdBu_r", vmin=-(top or 1.0), vmax=top or 1.0,
                aspect="auto", interpolation="nearest")
      ax.set_xticks([])
      ax.set_yticks([])
      ax.set_title(f"L{l + 1} u{j + 1}  |a|<={top:.2g}", fontsize=6, pad=2)
      mark = ("dead", DEAD_COLOUR, "solid") if maps.dead[l][j] else (
          ("inactive", INACTIVE_COLOUR, "dashed") if maps.inactive[l][j] else None)
      if mark:
        for spine in ax.spines.values():
          spine.set(edgecolor=mark[1], linewidth=2.2, linestyle=mark[2])
        ax.text(0.5, 0.5, mark[0], transform=ax.transAxes, ha="center", va="center", fontsize=8,
                color=mark[1], fontweight="bold")
    axes[l, 0].set_ylabel(f"layer {l + 1}", fontsize=8)
  out = axes[depth, 0]
  out.set_axis_on()
  out.set_gid("output")
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
  n_dead = sum(int(d.sum()) for d in maps.dead)
  n_off = sum(int(d.sum()) for d in maps.inactive) - n_dead
  fig.suptitle(f"{title}\neach unit's activation over the input plane (blue < 0, white 0, red > 0); "
               f"{n_dead} dead, {n_off} inactive everywhere (of {sum(net.widths)})", fontsize=8)
  fig.subplots_adjust(left=0.05, right=0.99, bottom=0.02, top=1 - 0.75 / (1.15 * (depth + 1) + 0.7),
                      wspace=0.12, hspace=0.35)
  return fig


def plot_hidden_units(net: Net, domain, path: str | Path, **kwargs) -> Path:
  """Writes hidden_units_figure(net, domain, **kwargs) as a PNG; returns its path."""
  return save_png(hidden_units_figure(net, domain, **kwargs), path, dpi=90)
