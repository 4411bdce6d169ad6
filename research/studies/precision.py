"""Numeric precision as a sweep factor: the same nets trained in float64, float32 and bfloat16.

A plain sweep (configs/precision.py) over config.model.dtypes, every precision from the same
float32 initial weights and data draw (cast). The runner's results table and the shared training
figures group models by data set x architecture x activation, which would pool the precisions, so
this study gives its own per-precision table (`precision_cells.csv`), findings and figure.
"""

from __future__ import annotations

import pandas as pd

from research.study import SWEEP_CONDITIONS, ReportContent, Study
from research.study_report import describe_setting
from research.sweep import not_diverged

# The columns the per-precision table and findings summarise (those the run has).
METRICS = ("test_acc", "grid_agreement", "topology_match", "num_regions")


def precision_cells(results: pd.DataFrame) -> pd.DataFrame:
  """Mean of each metric and the models counted, per data set x activation x architecture x dtype."""
  ok = not_diverged(results)
  keys = ["dataset", "activation", "width", "depth", "dtype"]
  metrics = [m for m in METRICS if m in ok]
  table = ok.groupby(keys, sort=False)[metrics].mean()
  table["n"] = ok.groupby(keys, sort=False).size()
  table["diverged"] = results.groupby(keys, sort=False).size() - table["n"]
  return table.reset_index()


def tables(ctx) -> dict[str, pd.DataFrame]:
  return {"precision_cells": precision_cells(ctx.results)}


def findings(cells: pd.DataFrame) -> list[str]:
  """One line per data set x activation: test accuracy and grid agreement in each precision."""
  lines = []
  for (dataset, act), rows in cells.groupby(["dataset", "activation"], sort=False):
    parts = []
    for r in rows.itertuples():
      agreement = f", agreement {r.grid_agreement:.3f}" if "grid_agreement" in cells else ""
      parts.append(f"{r.dtype} {r.test_acc:.3f}{agreement}")
    lines.append(f"{dataset}, {act}: mean test accuracy " + "; ".join(parts) + f" (n = {rows['n'].min()})")
  return lines


def report(ctx) -> ReportContent:
  setting = describe_setting(ctx.config) + (
      f"\n- precisions: {', '.join(ctx.config.model.dtypes)}; each from the same float32 initial "
      "weights and data, cast (float64 exactly, bfloat16 rounded to 8 significant bits)")
  return ReportContent(
      setting=setting, findings=tuple(findings(ctx.tables["precision_cells"])))


def figures(ctx):
  from research.figures.precision import plot_precision
  return plot_precision(ctx.results, ctx.workdir / "figures")


STUDY = Study(
    name="precision",
    question=("Do tanh and sigmoid nets separate entangled data because floating-point rounding makes "
              "them non-continuous: do they separate worse in float64 and better in bfloat16 than in "
              "float32, from the same initial weights and data?"),
    answers=("Smooth activations disentangle only through floating-point rounding.",),
    order=58, tables=tables, figures=figures, report=report,
    conditions={**SWEEP_CONDITIONS, "dtype": "model.dtypes"},
    main_metrics=("test_acc", "grid_agreement"), headline_figure="precision_accuracy")
