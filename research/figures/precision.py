"""The precision study's figure: each activation's seeds in every precision, side by side."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from research.figures.style import (Figure, activation_order, begin, excluded_note, n_label, offsets, save,
                                    seeds_and_means, not_diverged)

# Coarse to fine rounding, one colour each (the activations are the x axis here).
DTYPE_COLOURS = {"bfloat16": "#d95f02", "float32": "#1b9e77", "float64": "#7570b3"}
PANELS = (("test_acc", "test accuracy (fraction)"), ("grid_agreement", "agreement with the true class (fraction)"))


def plot_precision(results: pd.DataFrame, fig_dir: Path) -> list[Figure]:
  """One panel per data set x metric: per activation, one point per seed in each precision."""
  begin()
  ok = not_diverged(results)
  panels = [(m, label) for m, label in PANELS if m in ok and ok[m].notna().any()]
  datasets = list(dict.fromkeys(ok["dataset"]))
  acts = activation_order(ok["activation"])
  dtypes = [d for d in DTYPE_COLOURS if d in set(ok["dtype"])]
  shift = offsets(dtypes, 0.75)
  fig, axes = plt.subplots(len(datasets), len(panels), squeeze=False, layout="constrained",
                           figsize=(4.2 * len(panels) + 0.4, 2.9 * len(datasets) + 0.9))
  rng = np.random.default_rng(0)
  for i, dataset in enumerate(datasets):
    for j, (metric, label) in enumerate(panels):
      ax, cell = axes[i, j], ok[ok["dataset"] == dataset]
      counts = {}
      for dtype in dtypes:
        groups = [cell.loc[(cell["activation"] == a) & (cell["dtype"] == dtype), metric] for a in acts]
        n = seeds_and_means(ax, [k + shift[dtype] for k in range(len(acts))], groups, DTYPE_COLOURS[dtype],
                            rng, width=0.18, clip=(0, 1), label=dtype if i == j == 0 else None)
        counts.update({f"{a} {dtype}": k for a, k in zip(acts, n)})
      ax.set_title(f"{dataset}\n{n_label(counts)}", fontsize=8.5)
      ax.set_xticks(range(len(acts)), acts if i == len(datasets) - 1 else [], rotation=30, ha="right", fontsize=8)
      ax.set_xlim(-0.6, len(acts) - 0.4)
      ax.set_ylabel(label, fontsize=8.5)
      ax.grid(axis="y", alpha=0.3)
  fig.legend(loc="outside lower center", ncols=len(dtypes), fontsize=8, title="precision", title_fontsize=8)
  fig.suptitle("Same initial weights and data in every precision: one point per seed,\n"
               f"black bar = mean and 95% t-interval{excluded_note(results)}", fontsize=10)
  caption = ("Each point is one model (seed), coloured by the precision it was trained in; the nets of "
             "one seed start from the same weights in every precision; black bars are the mean and "
             "its 95% t-interval.")
  return [Figure(save(fig, Path(fig_dir) / "precision_accuracy.png"), caption)]
