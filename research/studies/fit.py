"""Which runs count: Naitzat et al. keep only networks that fit their training data.

A run is kept when it did not diverge and its final training accuracy is at least `min_train_acc`
(1.0 in the topology study: every training point right). `fit_table` says how many runs of each
cell were dropped and why, for the report's caveats.
"""

from __future__ import annotations

import pandas as pd

CELL_COLUMNS = ("dataset", "activation", "width", "depth")


def kept_mask(results: pd.DataFrame, min_train_acc: float) -> pd.Series:
  """True for runs that count: not diverged and train_acc >= min_train_acc."""
  diverged = results["diverged"].fillna(False).astype(bool)
  # A NaN accuracy compares False, so a run without one is dropped, never silently kept.
  return ~diverged & (results["train_acc"] >= min_train_acc)


def kept_runs(results: pd.DataFrame, min_train_acc: float) -> pd.DataFrame:
  """The rows of `results` that count."""
  return results[kept_mask(results, min_train_acc)]


def fit_table(results: pd.DataFrame, min_train_acc: float,
              by: tuple[str, ...] = CELL_COLUMNS) -> pd.DataFrame:
  """Per cell: runs, diverged, not fitting (train_acc below the threshold), kept, mean train_acc."""
  by = [c for c in by if c in results.columns]
  diverged = results["diverged"].fillna(False).astype(bool)
  # Only the columns needed: a results table has hundreds of metric columns.
  frame = results[[*by, "train_acc"]].assign(
      _diverged=diverged, _kept=kept_mask(results, min_train_acc),
      _not_fit=~diverged & ~(results["train_acc"] >= min_train_acc))
  table = frame.groupby(by, sort=False).agg(
      runs=("_kept", "size"), diverged=("_diverged", "sum"), not_fit=("_not_fit", "sum"),
      kept=("_kept", "sum"), mean_train_acc=("train_acc", "mean")).reset_index()
  table["dropped"] = table["runs"] - table["kept"]
  return table[[*by, "runs", "diverged", "not_fit", "dropped", "kept", "mean_train_acc"]]


def dropped_caveats(table: pd.DataFrame, min_train_acc: float) -> list[str]:
  """One line per activation with dropped runs (summed over the other cell columns)."""
  lines = []
  for act, rows in table.groupby("activation", sort=False):
    dropped = int(rows["dropped"].sum())
    if dropped:
      lines.append(f"{act}: {dropped} of {int(rows['runs'].sum())} runs dropped "
                   f"({int(rows['not_fit'].sum())} with training accuracy below {min_train_acc:g}, "
                   f"{int(rows['diverged'].sum())} diverged)")
  return lines
