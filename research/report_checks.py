"""Caveats computed from a run: what a reader must know before trusting its numbers.

Each check looks at the run's own tables and config and says what it found, whether or not it
found a problem, so a report never shows an empty caveats section: models that diverged (and
where), units that failed, metrics computed on a subset of the seeds (`eval.expensive_seeds`) and
the hypotheses that use them, hypothesis cells with too few pairs for a verdict, and cells at a
metric's ceiling, where no activation can beat another.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from research import stats

# Metrics bounded above by 1 (fractions): a cell where every model reaches 1 is at the ceiling.
FRACTION_METRICS = ("test_acc", "train_acc", "balanced_acc", "grid_agreement")


@dataclasses.dataclass(frozen=True)
class Checks:
  """caveats: problems found, one line each; checked: every check with what it found."""

  caveats: tuple[str, ...]
  checked: tuple[str, ...]


def subset_seed_columns(results: pd.DataFrame, config) -> list[str]:
  """Columns measured on seeds below eval.expensive_seeds only: finite on some model of those
  seeds and on no model of the others (the host-side metrics: exact regions, plane topology)."""
  k, num_seeds = _expensive_seeds(config), config.get("num_seeds") if config is not None else None
  if k is None or num_seeds is None or k >= num_seeds or "seed" not in results:
    return []
  ok = results[~_diverged(results)]
  low, high = ok[ok["seed"] < k], ok[ok["seed"] >= k]
  if high.empty:
    return []
  numeric = ok.select_dtypes("number").columns
  return [c for c in numeric if c != "seed" and low[c].notna().any() and high[c].isna().all()]


def seeds_text(k: int) -> str:
  """'seed 0' or 'seeds 0-3': the seeds below eval.expensive_seeds = k."""
  return "seed 0" if k == 1 else f"seeds 0-{k - 1}"


def _expensive_seeds(config):
  try:
    return int(config.eval.expensive_seeds)
  except (AttributeError, KeyError, TypeError):
    return None


def _diverged(results: pd.DataFrame) -> pd.Series:
  if "diverged" not in results:
    return pd.Series(False, index=results.index)
  return results["diverged"].fillna(False).astype(bool)


def _where(rows: pd.DataFrame, columns=("dataset", "activation", "width", "depth")) -> str:
  columns = [c for c in columns if c in rows]
  counts = rows.groupby(columns, sort=False).size()
  parts = [" ".join(str(v) for v in (key if isinstance(key, tuple) else (key,))) + f": {n}"
           for key, n in counts.items()]
  return "; ".join(parts[:8]) + (f"; and {len(parts) - 8} more cells" if len(parts) > 8 else "")


def check_run(results: pd.DataFrame | None, config, *, verdicts=(), failed_units=(),
              main_metrics=("test_acc",)) -> Checks:
  """The checks of one run (results: one row per model, or None for a study without a sweep)."""
  caveats, checked = [], []
  failed = list(failed_units)
  if failed:
    caveats += [f"unit failed (its models are missing from every table): {f}" for f in failed]
  checked.append(f"failed units: {len(failed) or 'none'}")
  if results is not None and len(results):
    _divergence(results, config, caveats, checked)
    _subsets(results, config, verdicts, main_metrics, caveats, checked)
    _ceilings(results, main_metrics, caveats, checked)
  _small_cells(verdicts, caveats, checked)
  return Checks(tuple(caveats), tuple(checked))


def _divergence(results, config, caveats, checked) -> None:
  diverged = _diverged(results)
  n = int(diverged.sum())
  checked.append(f"diverged models: {n} of {len(results)}")
  if n:
    limit = config.optim.get("max_loss", None) if config is not None and "optim" in config else None
    rule = f" or a training loss above optim.max_loss = {limit:g} nats" if limit else ""
    caveats.append(f"{n} of {len(results)} models diverged (a non-finite loss or weights{rule}) and "
                   f"are left out of the results table, the figures and the hypotheses; by cell: "
                   f"{_where(results[diverged])}")


def _subsets(results, config, verdicts, main_metrics, caveats, checked) -> None:
  columns = subset_seed_columns(results, config)
  k = _expensive_seeds(config)
  if not columns:
    what = (f"eval.expensive_seeds = {k} covers all {config.num_seeds} seeds"
            if k is not None and config is not None and "num_seeds" in config and k >= config.num_seeds
            else "every metric is measured on every seed")
    checked.append(f"metrics on a subset of seeds: none ({what})")
    return
  shown = ", ".join(f"`{c}`" for c in columns[:12]) + (f" and {len(columns) - 12} more" if len(columns) > 12 else "")
  checked.append(f"metrics on a subset of seeds: {len(columns)} columns, {seeds_text(k)} of "
                 f"{config.num_seeds}")
  text = (f"{len(columns)} metric columns are measured on {seeds_text(k)} only of the "
          f"{config.num_seeds} seeds per cell (eval.expensive_seeds = {k}: exact, host-side "
          f"computations that would dominate the run time on every seed): {shown}. Their means "
          f"have n <= {k} models per cell")
  in_table = [m for m in main_metrics if m in columns]
  if in_table:
    text += f" (in the results table: {', '.join(in_table)})"
  caveats.append(text + ".")
  for v in verdicts:
    if v.hypothesis.metric in columns:
      nonfinite = int(v.cells["n_nonfinite"].sum()) if "n_nonfinite" in v.cells else 0
      caveats.append(f"hypothesis `{v.hypothesis.name}` tests `{v.hypothesis.metric}`, measured on "
                     f"{seeds_text(k)} only: its cells have n = {_n_range(v)} pairs, and the "
                     f"{nonfinite} pairs counted as non-finite are the other seeds, where the "
                     "metric was not computed (not failures).")


def _n_range(v) -> str:
  ns = sorted(set(int(n) for n in v.cells["n"]))
  return str(ns[0]) if len(ns) == 1 else f"{ns[0]}-{ns[-1]}"


def _ceilings(results, main_metrics, caveats, checked) -> None:
  ok = results[~_diverged(results)]
  keys = [c for c in ("dataset", "width", "depth", "lr", "init")
          if c in ok and (c in ("dataset", "width", "depth") or ok[c].nunique() > 1)]
  for m in main_metrics:
    if m not in FRACTION_METRICS or m not in ok or not keys:
      continue
    # Per data set x architecture: every activation's every model at 1 (nothing left to win).
    at_one = ok.groupby(keys, sort=False)[m].agg(lambda s: bool(len(s)) and bool(np.all(s >= 1.0)))
    n_cells = int(at_one.sum())
    checked.append(f"{m} at its ceiling (every model of every activation at 1): {n_cells} of "
                   f"{len(at_one)} data set x architecture cells")
    if n_cells:
      names = [", ".join(v if isinstance(v, str) else f"{c} {v}"
                         for c, v in zip(keys, k if isinstance(k, tuple) else (k,)))
               for k in at_one[at_one].index]
      caveats.append(f"{m} is 1 for every model of every activation in {n_cells} of {len(at_one)} "
                     f"data set x architecture cells ({'; '.join(names[:6])}"
                     f"{', ...' if len(names) > 6 else ''}): no activation can do better there.")


def _small_cells(verdicts, caveats, checked) -> None:
  small = []
  for v in verdicts:
    n_small = int((v.cells["n"] < stats.MIN_PAIRS).sum())
    if n_small:
      small.append(f"`{v.hypothesis.name}` ({n_small} of {len(v.cells)} cells)")
  if verdicts:
    checked.append(f"hypothesis cells with fewer than {stats.MIN_PAIRS} pairs (INCONCLUSIVE by "
                   f"rule): {', '.join(small) if small else 'none'}")
  if small:
    caveats.append(f"too few pairs for a verdict (n < {stats.MIN_PAIRS}, INCONCLUSIVE by the rule) "
                   f"in {', '.join(small)}: run more seeds (num_seeds) for a verdict there.")
