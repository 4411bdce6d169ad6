"""The numbers of a report: the results table per cell and one line per hypothesis verdict.

A cell is one data set x architecture (width, depth) x activation of a sweep (x learning rate or
init when the run varies them). Its row gives the mean of each main metric over the cell's models
with a 95% Student t interval (research/stats.py, so the numbers are the same on every run), the
number of models used and the number that diverged. Numbers are printed with the precision their
interval supports: the half-width to 2 significant figures and the mean to the same decimal.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from research import hypotheses, stats

CONFIDENCE = 0.95
# The columns that make a cell, in table order; lr and init only when the run varies them.
CELL_COLUMNS = ("dataset", "width", "depth", "lr", "init", "dtype", "activation")
ALWAYS_SHOWN = ("dataset", "width", "depth", "activation")
MAX_CELLS_LISTED = 4  # a verdict line lists every cell up to this many, else a summary of them


def mean_ci(values) -> tuple[float, float, int]:
  """(mean, half-width of the 95% t interval, n) of the finite values; NaN half-width for n < 2."""
  x = np.asarray(values, dtype=float)
  x = x[np.isfinite(x)]
  if x.size == 0:
    return math.nan, math.nan, 0
  inference = stats.StudentizedMean(x[None, :], 0, np.random.default_rng(0))  # t only: no resamples
  low, high = inference.t_interval(CONFIDENCE)
  return float(x.mean()), float((high[0] - low[0]) / 2), int(x.size)


def _decimals(half: float) -> int:
  """Decimals that show `half` to 2 significant figures (0 for half >= 10)."""
  return int(min(6, max(0, 1 - math.floor(math.log10(half)))))


def format_estimate(mean: float, half: float) -> str:
  """'0.895 ± 0.031'; '1 ± 0' when every value is equal; the mean alone when n < 2."""
  if not math.isfinite(mean):
    return "n/a"
  if not math.isfinite(half):
    return hypotheses.format_number(mean)
  if half == 0:
    return f"{hypotheses.format_number(mean)} ± 0"
  if abs(mean) >= 1e5 or (abs(mean) < 1e-4 and mean != 0):
    return f"{mean:.3g} ± {half:.2g}"
  d = _decimals(half)
  return f"{mean:.{d}f} ± {half:.{d}f}"


def format_interval(low: float, high: float) -> str:
  """'[-0.063, -0.0062]' at 2 significant figures; 'n/a' without an interval."""
  if np.isnan(low) or np.isnan(high):
    return "n/a"
  return f"[{low:.2g}, {high:.2g}]"


def cell_columns(results: pd.DataFrame) -> list[str]:
  """The columns that define the cells of `results` (see CELL_COLUMNS)."""
  return [c for c in CELL_COLUMNS if c in results
          and (c in ALWAYS_SHOWN or results[c].nunique(dropna=False) > 1)]


def _ordered(results: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
  """Rows in table order: data sets and activations as the config lists them, numbers ascending."""
  keys = {}
  for c in columns:
    if pd.api.types.is_numeric_dtype(results[c]):
      keys[c] = results[c]
    else:
      order = {v: i for i, v in enumerate(dict.fromkeys(results[c]))}
      keys[c] = results[c].map(order)
  index = pd.DataFrame(keys).sort_values(columns, kind="stable").index
  return results.loc[index]


def cell_stats(results: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
  """One row per cell: its columns, per metric mean/half/n over models that did not diverge,
  the models used (n: finite first metric) and the diverged count."""
  columns = cell_columns(results)
  diverged = results["diverged"].fillna(False).astype(bool) if "diverged" in results else \
      pd.Series(False, index=results.index)
  rows = []
  ordered = _ordered(results, columns)
  for key, cell in ordered.groupby(columns, sort=False, dropna=False):
    row = dict(zip(columns, key if isinstance(key, tuple) else (key,)))
    ok = cell[~diverged.loc[cell.index]]
    for m in metrics:
      mean, half, n = mean_ci(ok[m]) if m in ok else (math.nan, math.nan, 0)
      row.update({f"{m}_mean": mean, f"{m}_half": half, f"{m}_n": n})
    row["n"] = row[f"{metrics[0]}_n"] if metrics else len(ok)
    row["diverged"] = int(diverged.loc[cell.index].sum())
    rows.append(row)
  return pd.DataFrame(rows)


def results_table(results: pd.DataFrame, metrics: list[str], subset: dict[str, str] | None = None
                  ) -> str:
  """The Markdown results table: one row per cell, each metric as mean ± 95% CI, n, diverged.

  subset: metric -> a note for metrics computed on some seeds only (shown in their header). A
  metric whose n differs from the row's n shows its own n beside the estimate.
  """
  metrics = [m for m in metrics if m in results]
  table = cell_stats(results, metrics)
  subset = subset or {}
  header = cell_columns(results) + [m + (f" ({subset[m]})" if m in subset else "") for m in metrics]
  header += ["n", "diverged"]
  lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
  for row in table.to_dict("records"):
    cells = [str(row[c]) for c in cell_columns(results)]
    for m in metrics:
      text = format_estimate(row[f"{m}_mean"], row[f"{m}_half"])
      if row[f"{m}_n"] != row["n"]:
        text += f" (n = {row[f'{m}_n']})"
      cells.append(text)
    cells += [str(row["n"]), str(row["diverged"])]
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines)


# ----------------------------------------------------------------------------- verdict lines

def _claim_text(h) -> str:
  m = hypotheses.format_number(h.min_effect)
  sign = {"greater": f">= +{m}", "less": f"<= -{m}", "two-sided": f"|d| >= {m}"}[h.direction]
  return f"claimed {sign}"


def _cell_name(cell: dict) -> str:
  """'spirals', 'spirals, width 4': names alone, numbers with their column."""
  parts = [str(v) if isinstance(v, str) else f"{k} {v}" for k, v in cell.items()]
  return ", ".join(parts) or "all runs"


def pooling(h, rows: pd.DataFrame | None) -> str:
  """'(16 seeds x 4 settings of width, depth)': what one cell's n pairs are made of, when every
  cell pools the same; '' when it cannot be told."""
  if rows is None or h.factor not in rows:
    return ""
  keys = [k for k in hypotheses.pairing_columns(h, rows) if k != "seed" and k not in h.conditions]
  arm = rows[rows[h.factor] == h.treatment]
  shapes = set()
  for cell in h.cells():
    mask = np.ones(len(arm), dtype=bool)
    for column, value in cell.items():
      mask &= (arm[column] == value).to_numpy()
    part = arm[mask]
    if part.empty:
      continue
    varying = [k for k in keys if part[k].nunique(dropna=False) > 1]
    settings = len(part[varying].drop_duplicates()) if varying else 1
    shapes.add((part["seed"].nunique(), settings, tuple(varying)))
  if len(shapes) != 1:
    return ""
  seeds, settings, varying = shapes.pop()
  if settings == 1:
    return f"({seeds} seeds)"
  return f"({seeds} seeds x {settings} settings of {', '.join(varying)})"


def verdict_line(result, rows: pd.DataFrame | None = None) -> str:
  """One Markdown line: name, verdict, the effect and CI per cell (or their range), n, CI method."""
  h, cells = result.hypothesis, result.cells
  level = f"{100 * (1 - result.alpha):g}%"
  # "degenerate" (all differences equal: the point [d, d]) is no method of its own to name.
  methods = sorted(set(cells["ci_method"]) - {"none", "degenerate"})
  method = methods[0] if len(methods) == 1 else "per cell (see Details)" if methods else "none"

  def effect(row) -> str:
    return (f"{_cell_name({c: row[c] for c in h.conditions})}: "
            f"{hypotheses.format_number(row['mean_diff'], 2)} {format_interval(row['ci_low'], row['ci_high'])}")

  records = cells.to_dict("records")
  if len(records) <= MAX_CELLS_LISTED:
    effects = "; ".join(effect(r) for r in records)
  else:
    decisive = [r for r in records if r["verdict"] == result.verdict][:2] or records[:2]
    finite = cells["mean_diff"].dropna()
    span = (f"mean difference {hypotheses.format_number(finite.min(), 2)} to "
            f"{hypotheses.format_number(finite.max(), 2)} over {len(records)} cells"
            if len(finite) else f"no finite difference in {len(records)} cells")
    effects = f"{span}; e.g. " + "; ".join(effect(r) for r in decisive)
  ns = sorted(set(int(n) for n in cells["n"]))
  n_text = f"n = {ns[0]}" if len(ns) == 1 else f"n = {ns[0]}-{ns[-1]}"
  pool = pooling(h, rows)
  return (f"`{h.name}`: **{result.verdict}** ({result.counts[stats.SUPPORTED]} of {len(records)} "
          f"cells supported). {h.metric}, `{h.treatment}` - `{h.control}` ({_claim_text(h)}): "
          f"{effects}. {n_text} pairs per cell{' ' + pool if pool else ''}; {level} CI {method}.")


def verdict_record(result, rows: pd.DataFrame | None = None, line: str | None = None) -> dict:
  """What summary.json keeps of a verdict: enough for the summary page to state the effects
  (line: its verdict_line, when the caller has it already)."""
  h = result.hypothesis
  cells = []
  for r in result.cells.to_dict("records"):
    cells.append(dict(cell={c: _plain(r[c]) for c in h.conditions}, n=int(r["n"]),
                      mean_diff=_plain(r["mean_diff"]), ci_low=_plain(r["ci_low"]),
                      ci_high=_plain(r["ci_high"]), ci_method=r["ci_method"], verdict=r["verdict"]))
  return dict(name=h.name, claim=h.claim, verdict=result.verdict,
              counts=", ".join(f"{k}: {n}" for k, n in result.counts.items()),
              metric=h.metric, factor=h.factor, treatment=_plain(h.treatment),
              control=_plain(h.control), direction=h.direction, min_effect=h.min_effect,
              alpha=result.alpha, line=line or verdict_line(result, rows),
              cells=cells)


def _plain(value):
  """A JSON value: numpy scalars as Python numbers, NaN and infinities as None/strings."""
  if isinstance(value, (np.integer,)):
    return int(value)
  if isinstance(value, (float, np.floating)):
    v = float(value)
    if math.isnan(v):
      return None
    return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")
  return value
