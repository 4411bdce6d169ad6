"""The verdict map: one heat map per claim, settings down, data set x width across."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from research import stats
from research.figures.style import save
from research.report import Figure

MARK = {stats.SUPPORTED: "S", stats.SMALLER: "s", stats.REFUTED: "R", stats.INCONCLUSIVE: "?"}


def _signed(cells: pd.DataFrame) -> np.ndarray:
  """The mean difference in units of min_effect, positive in the claimed direction."""
  sign = -1.0 if cells["direction"].iloc[0] == "less" else 1.0
  scale = cells["min_effect"].iloc[0] or 1.0
  return sign * cells["mean_diff"].to_numpy(float) / scale


def plot_verdict_map(vmap: pd.DataFrame, out_dir: Path) -> list[Figure]:
  """verdict_map.png: each claim's effect (in min_effects, claimed direction positive) per cell,
  its verdict letter, and a black frame where the verdict differs from the base setting's."""
  claims = list(dict.fromkeys(vmap["claim"]))
  settings = list(dict.fromkeys(vmap["setting"]))
  fig, axes = plt.subplots(1, len(claims), figsize=(5.0 * len(claims), 0.45 * len(settings) + 2.4),
                           squeeze=False, sharey=True)
  limit = max([2.0] + [float(np.nanmax(np.abs(_signed(c)), initial=0.0)) for _, c in vmap.groupby("claim")])
  limit = min(limit, 10.0)
  image = None
  for ax, claim in zip(axes[0], claims):
    cells = vmap[vmap["claim"] == claim]
    columns = list(dict.fromkeys(zip(cells["dataset"], cells["width"])))
    grid = np.full((len(settings), len(columns)), np.nan)
    values = _signed(cells)
    for (r, value) in zip(cells.itertuples(index=False), values):
      i, j = settings.index(r.setting), columns.index((r.dataset, r.width))
      grid[i, j] = value
      ax.text(j, i, f"{MARK.get(r.verdict, '?')}\n{value:+.1f}", ha="center", va="center", fontsize=7)
      if r.flips:
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2, ec="black"))
    image = ax.imshow(grid, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(columns)), [f"{d}\nw{w}" for d, w in columns], fontsize=8)
    ax.set_yticks(range(len(settings)), settings, fontsize=8)
    low, high = int(cells["n"].min()), int(cells["n"].max())
    pairs = f"{low}" if low == high else f"{low}-{high}"
    ax.set_title(f"{claim}\n{cells['metric'].iloc[0]}, min_effect {cells['min_effect'].iloc[0]:g}\n"
                 f"n = {pairs} pairs per cell", fontsize=8)
    ax.set_xlabel("data set, hidden width")
  axes[0][0].set_ylabel("setting (one factor changed from base)")
  fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8,
               label="mean paired difference / min_effect\n(positive: in the claimed direction)")
  fig.suptitle("Verdict per cell (S supported, s smaller than claimed, R refuted, ? inconclusive); "
               "framed: differs from base", fontsize=9)
  path = save(fig, Path(out_dir) / "verdict_map.png")
  flips = int(vmap["flips"].sum())
  return [Figure(path, f"Each cell is one setting x data set x width: blue where the paired effect points "
                       f"the claimed way (in units of the claim's min_effect), with its verdict letter; "
                       f"{flips} of {len(vmap)} cells (framed) reach a different verdict than the base setting.")]
