"""Figure of the activation-cost study, from summary.csv in its workdir."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter
import numpy as np
import pandas as pd

from research.figures.style import Figure, begin, save
from research.studies.activation_cost import ELEMENTWISE, REFERENCE

def ratio_figure(summary: pd.DataFrame, min_effect: float, path: Path) -> Figure:
  """Per benchmark: median time relative to adjacent ReLU, min-max (thin) and quartile (thick) bars."""
  names = list(dict.fromkeys(summary["benchmark"]))
  acts = list(dict.fromkeys(summary["activation"]))
  fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 0.35 * len(acts) + 1.8),
                           sharey=True, squeeze=False)
  y = np.arange(len(acts))
  for ax, name in zip(axes[0], names):
    s = summary[summary["benchmark"] == name].set_index("activation").loc[acts]
    ax.hlines(y, s["ratio_min"], s["ratio_max"], color="C0", linewidth=1, label="min-max over rounds")
    ax.hlines(y, s["ratio_q25"], s["ratio_q75"], color="C0", linewidth=5, alpha=0.5,
              label="middle half of rounds")
    ax.plot(s["ratio_to_relu"], y, "o", color="C0", label="median")
    ax.axvline(1.0, color="k", linewidth=1)
    ax.axvline(1 + min_effect, color="crimson", linestyle="--", linewidth=1, label=f"ReLU + {min_effect:.0%}")
    ax.set_xscale("log")  # slower and faster by the same factor look alike; bursts stay readable
    low, high = s["ratio_min"].min() / 1.2, s["ratio_max"].max() * 1.2
    ax.set_xlim(low, high)
    ax.xaxis.set_major_locator(FixedLocator([v for v in 2.0 ** np.arange(-6, 7) if low <= v <= high]))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y)
    ax.set_yticklabels(acts)
    ax.invert_yaxis()
    ax.set_xlabel("time per call / adjacent ReLU's (ratio, log scale)")
    ax.set_title(_benchmark_label(name, summary), fontsize=9)
    ax.grid(axis="x", alpha=0.3, which="both")
  axes[0, 0].set_ylabel("activation")
  axes[0, -1].legend(fontsize=7, loc="lower right")
  fig.suptitle("Cost relative to the ReLU timings just before and after, over rounds", y=1.02)
  fig.tight_layout()
  others = summary[summary["activation"] != REFERENCE]
  slow = others.loc[others["ratio_to_relu"].idxmax()] if len(others) else None
  caption = (f"Median time per call relative to the ReLU timings around it (log scale; dashed: ReLU + {min_effect:.0%})"
             + (f"; the slowest is {slow['activation']} in {slow['benchmark']} at {slow['ratio_to_relu']:.2f} x ReLU."
                if slow is not None else "."))
  return Figure(save(fig, path), caption)


def _benchmark_label(name: str, summary: pd.DataFrame) -> str:
  relu = summary[(summary["benchmark"] == name) & (summary["activation"] == REFERENCE)]["median_s"]
  what = "bare activation, forward + grad" if name == ELEMENTWISE else f"training step '{name}'"
  return f"{what}\nReLU: {1e3 * float(relu.iloc[0]):.3g} ms per call"


def draw_figures(workdir: Path, min_effect: float) -> list[Figure]:
  """The study's figure, from summary.csv."""
  begin()
  summary = pd.read_csv(Path(workdir) / "summary.csv")
  return [ratio_figure(summary, min_effect, Path(workdir) / "figures" / "time_relative_to_relu.png")]
