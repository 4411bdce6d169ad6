"""The figures of research.api, drawn from models in memory (research.api documents them).

Each returns a matplotlib Figure and writes nothing; a study's own figures (research/figures/) are
drawn from the files of a workdir instead. Panels put one activation per column, so the models of
one seed (same data, same initial weights) sit side by side.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure

from research.figures.style import activation_order, activation_palette
from research.metrics import boundary
from research.models import predict

PANEL_INCHES = 3.0


class _Figure(Figure):
  """A matplotlib Figure that shows itself as a PNG in IPython and Jupyter, whatever the backend.

  Not made through pyplot: a returned figure is shown once in a notebook (pyplot's would show
  twice) and is freed with its last reference (pyplot keeps every figure until closed). And
  research.figures.style selects the file-only Agg backend for the study figures, which turns
  Jupyter's inline display off; IPython's _repr_png_ protocol does not depend on it.
  """

  def _repr_png_(self) -> bytes:
    buffer = io.BytesIO()
    self.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def _figure(**kwargs) -> Figure:
  return _Figure(**kwargs)


def _check_2d(models, i: int, what: str) -> np.ndarray:
  domain = np.asarray(models.data(i).domain, np.float64)
  if domain.shape != (2, 2):
    raise ValueError(f"{what} draws models with 2-D input; model {i} ({models.row(i)['dataset']}) has "
                     f"{domain.shape[0]}-D input")
  return domain


def _layout(models, shown: list[int]):
  """(figure, {model: axis}): a row per (dataset, architecture, lr, seed), a column per activation."""
  rows = [models.row(i) for i in shown]
  keys = list(dict.fromkeys((r["dataset"], r["width"], r["depth"], r["lr"], r["seed"]) for r in rows))
  acts = activation_order(r["activation"] for r in rows)
  fig = _figure(figsize=(PANEL_INCHES * len(acts), PANEL_INCHES * len(keys)))
  axes = fig.subplots(len(keys), len(acts), squeeze=False)
  for ax in axes.flat:
    ax.set_visible(False)
  where = {}
  for i, r in zip(shown, rows):
    ax = axes[keys.index((r["dataset"], r["width"], r["depth"], r["lr"], r["seed"])), acts.index(r["activation"])]
    ax.set_visible(True)
    where[i] = ax
  return fig, where


def _title(row: dict, extra: str) -> str:
  return (f"{row['activation']}, seed {row['seed']}\n{row['dataset']} w{row['width']} d{row['depth']} "
          f"lr {row['lr']:g}: {extra}")


def boundaries(models, shown: list[int], resolution: int):
  fig, where = _layout(models, shown)
  for i, ax in where.items():
    domain = _check_2d(models, i, "plot_boundaries")
    grid, shape = boundary.make_grid(domain, resolution)
    logits, _ = models.run(i, grid)
    pred = np.asarray(predict(logits)).reshape(shape)
    (x0, x1), (y0, y1) = domain
    num_classes = models.data(i).num_classes
    ax.imshow(pred, origin="lower", extent=(x0, x1, y0, y1), cmap="coolwarm" if num_classes == 2 else "tab10",
              alpha=0.35, vmin=0, vmax=max(1, num_classes - 1), aspect="auto")
    if logits.shape[-1] == 1:  # a binary head: the boundary is the zero line of its one logit
      ax.contour(*boundary.grid_axes(domain, resolution), logits[:, 0].reshape(shape), levels=[0.0],
                 colors="k", linewidths=1.0)
    data = models.data(i)
    ax.scatter(data.x_train[:, 0], data.x_train[:, 1], c=data.y_train, cmap="coolwarm" if num_classes == 2 else "tab10",
               s=4, edgecolors="none")
    row = models.row(i)
    ax.set_title(_title(row, "diverged" if row["diverged"] else f"test acc {row['test_acc']:.3f}"), fontsize=8)
  fig.suptitle("Decision regions\n(shaded: predicted class; line: boundary; dots: training data)")
  fig.tight_layout()
  return fig


def regions(models, shown: list[int], regions_of):
  fig, where = _layout(models, shown)
  rng = np.random.default_rng(0)  # region colours: random but the same on every call
  for i, ax in where.items():
    domain = _check_2d(models, i, "plot_regions")
    r = regions_of(models, i)
    (x0, x1), (y0, y1) = domain
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    if not np.isfinite(r.num_regions):
      ax.text(0.5, 0.5, r.reason, ha="center", va="center", wrap=True, fontsize=8, transform=ax.transAxes)
      ax.set_title(_title(models.row(i), "no linear regions"), fontsize=8)
      continue
    ax.add_collection(PolyCollection(r.polygons, facecolors=rng.uniform(0.25, 1.0, (len(r.polygons), 3)),
                                     edgecolors="white", linewidths=0.2))
    ax.add_collection(LineCollection(r.boundary_segments, colors="k", linewidths=1.5))
    ax.set_title(_title(models.row(i), f"{int(r.num_regions)} regions"), fontsize=8)
  fig.suptitle("Exact linear regions (colours) and decision boundary (black)")
  fig.tight_layout()
  return fig


def hidden_units(models, i: int, resolution: int):
  """research.views' grid of every hidden unit of model i (its weights as they are in memory)."""
  from research.views.hidden_units import hidden_units_figure
  from research.views.net import make_net
  domain = _check_2d(models, i, "plot_hidden_units")
  row, data = models.row(i), models.data(i)
  kernels, biases = models.weights(i)
  net = make_net(kernels, biases, row["activation"], models.slopes(i))
  fig = hidden_units_figure(net, domain, data=(data.x_train, data.y_train), truth=data.truth,
                            resolution=resolution,
                            title=f"model {i}: {row['activation']}, seed {row['seed']}, {row['dataset']} "
                                  f"w{row['width']} d{row['depth']}")
  return _shown_once(fig)


def _shown_once(fig) -> Figure:
  """A pyplot figure made by research.views, as this module's own: off pyplot's list (so a
  notebook shows it once, as the returned value) and shown through _repr_png_."""
  import matplotlib.pyplot as plt
  plt.close(fig)
  fig._repr_png_ = lambda: _Figure._repr_png_(fig)
  return fig


def curves(models, metric: str):
  valid = ("train_loss", "train_acc", "test_loss", "test_acc")
  if metric not in valid:
    raise ValueError(f"metric = {metric!r} is invalid: curves hold {', '.join(valid)}")
  data = models.curves
  palette = activation_palette(models.results["activation"])
  fig = _figure(figsize=(6, 4))
  ax = fig.subplots()
  for (model, act), frame in data.groupby(["model", "activation"], sort=False):
    ax.plot(frame["step"], frame[metric], color=palette[act], alpha=0.7, lw=1,
            label=act if act not in ax.get_legend_handles_labels()[1] else None)
  if metric.endswith("loss"):
    ax.set_yscale("log")
  ax.set_xlabel("training step")
  ax.set_ylabel(metric.replace("_", " ") + (" (nats)" if metric.endswith("loss") else " (fraction)"))
  ax.legend(title="activation", fontsize=8)
  ax.set_title(f"{metric} of {len(models)} models, one line each")
  fig.tight_layout()
  return fig
