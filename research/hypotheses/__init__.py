"""Hypotheses as data: one file per claim, discovered by name, evaluated on a results table.

Each `*.py` here (not starting with `_`) defines `HYPOTHESIS = Hypothesis(...)`; adding a claim is
adding a file. `evaluate` splits the results into the cells of the hypothesis' condition grid,
pairs treatment and control runs by seed within each cell, runs `stats.paired_comparison` per cell,
Holm-adjusts across cells and applies `stats.VERDICT_RULE`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from research import stats

HYPOTHESES_DIR = Path(__file__).parent
# Columns that describe how a model was made: runs are paired only when these agree (besides the
# factor), so a cell that pools, say, two learning rates still compares like with like.
DESIGN_COLUMNS = ("dataset", "activation", "width", "depth", "lr", "init", "dtype")
# Columns that all follow from the activation spec: when the factor is one of them, the others
# differ between the arms by construction and cannot be pairing keys.
ACTIVATION_COLUMNS = ("activation", "activation_name", "slope")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Hypothesis:
  """A claim that `treatment` beats (or differs from) `control` on `metric`, in every cell."""

  name: str = ""  # "" is replaced by the file stem at discovery
  claim: str  # the claim in words
  study: str  # the experiment that produces the data, e.g. "relu_vs_leaky"
  factor: str  # results column compared, e.g. "activation"
  treatment: Any  # e.g. "relu"
  control: Any  # e.g. "leaky_relu:0.01"
  metric: str  # a results-table column, e.g. "test_acc"
  direction: str  # "greater" | "less" | "two-sided" (treatment vs control)
  min_effect: float  # smallest effect that matters, in the metric's units
  conditions: dict  # column -> list of values; the cells are their cartesian product
  num_seeds: int
  config_overrides: dict = dataclasses.field(default_factory=dict)  # of the study config

  def __post_init__(self):
    for field in ("claim", "study", "factor", "metric"):
      value = getattr(self, field)
      if not isinstance(value, str) or not value.strip():
        raise ValueError(f"Hypothesis {self.name!r}: {field} must be a non-empty string, got {value!r}")
    if not isinstance(self.name, str):
      raise ValueError(f"Hypothesis name must be a string, got {self.name!r}")
    if self.direction not in stats.DIRECTIONS:
      raise ValueError(f"Hypothesis {self.name!r}: direction {self.direction!r} is not one of "
                       f"{stats.DIRECTIONS}")
    try:
      stats.check_min_effect(self.min_effect)
    except ValueError as e:
      raise ValueError(f"Hypothesis {self.name!r}: {e}") from None
    if isinstance(self.num_seeds, bool) or not isinstance(self.num_seeds, int) or self.num_seeds < 1:
      raise ValueError(f"Hypothesis {self.name!r}: num_seeds must be an integer >= 1, got {self.num_seeds!r}")
    if self.treatment == self.control:
      raise ValueError(f"Hypothesis {self.name!r}: treatment and control are both {self.treatment!r}")
    if not isinstance(self.config_overrides, dict):
      raise ValueError(f"Hypothesis {self.name!r}: config_overrides must be a dict, got {self.config_overrides!r}")
    self._check_conditions()
    if self.factor == "activation":
      self._check_activation_specs()

  def _check_conditions(self) -> None:
    if not isinstance(self.conditions, dict):
      raise ValueError(f"Hypothesis {self.name!r}: conditions must be a dict column -> list of values, "
                       f"got {self.conditions!r}")
    for column, values in self.conditions.items():
      if column in (self.factor, "seed", self.metric):
        raise ValueError(f"Hypothesis {self.name!r}: conditions cannot include {column!r} (the factor, "
                         "the pairing seed and the metric are not cell columns)")
      if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"Hypothesis {self.name!r}: conditions[{column!r}] must be a non-empty list "
                         f"of values, got {values!r}")
      if len(set(values)) != len(values):
        raise ValueError(f"Hypothesis {self.name!r}: conditions[{column!r}] repeats a value: {values!r}")

  def _check_activation_specs(self) -> None:
    # Imported here: parsing needs the registry (and JAX), which only activation factors need.
    from research.activations import parse_activation
    for field in ("treatment", "control"):
      spec = getattr(self, field)
      canonical = parse_activation(spec).spec  # raises on unknown names / missing slopes
      if canonical != spec:
        raise ValueError(f"Hypothesis {self.name!r}: {field} {spec!r} is not the canonical spec "
                         f"{canonical!r} that results tables use")

  def cells(self) -> list[dict]:
    """The grid of cells: one dict column -> value per combination of the condition values."""
    columns = list(self.conditions)
    return [dict(zip(columns, values)) for values in itertools.product(*self.conditions.values())]


def _load_file(path: Path) -> Hypothesis:
  spec = importlib.util.spec_from_file_location(f"_research_hypothesis_{path.stem}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  h = getattr(module, "HYPOTHESIS", None)
  if not isinstance(h, Hypothesis):
    raise ValueError(f"{path} must define a module-level HYPOTHESIS = Hypothesis(...), got {h!r}")
  return h if h.name else dataclasses.replace(h, name=path.stem)


def _load_error(path: Path, e: BaseException) -> str:
  """One line on why a hypothesis file did not load."""
  if isinstance(e, SyntaxError):
    return f"{path}: syntax error at line {e.lineno}: {e.msg}"
  text = str(e).strip().splitlines()[0] if str(e).strip() else ""
  if isinstance(e, ValueError) and text.startswith(str(path)):
    return text
  return f"{path}: {type(e).__name__}: {text}" if text else f"{path}: {type(e).__name__}"


def scan(extra_dirs: Iterable[str | Path] = ()) -> tuple[dict[str, Hypothesis], dict[str, str]]:
  """(every hypothesis that loads, by name; every file that does not: file stem -> one line).

  A file is broken when it does not import (syntax error, exception), does not define a valid
  HYPOTHESIS, or reuses another file's name. A missing extra directory raises ValueError.
  """
  found: dict[str, tuple[Hypothesis, Path]] = {}
  broken: dict[str, str] = {}
  for directory in [HYPOTHESES_DIR, *map(Path, extra_dirs)]:
    if not directory.is_dir():
      raise ValueError(f"hypothesis directory {str(directory)!r} does not exist")
    for path in sorted(directory.glob("*.py")):
      if path.name.startswith("_"):
        continue
      try:
        h = _load_file(path)
      except Exception as e:  # noqa: BLE001 - any failure of a user's file is reported, not raised
        broken[path.stem] = _load_error(path, e)
        continue
      if h.name in found:
        broken[path.stem] = f"{path}: hypothesis name {h.name!r} is already defined by {found[h.name][1]}"
        continue
      found[h.name] = (h, path)
  return {name: h for name, (h, _) in sorted(found.items())}, broken


_WARNED: set[str] = set()


def warn_broken(broken: dict[str, str]) -> None:
  """One line on stderr per broken file (once per process)."""
  import sys
  for reason in broken.values():
    if reason not in _WARNED:
      _WARNED.add(reason)
      print(f"warning: skipping broken hypothesis file {reason}", file=sys.stderr)


def discover(extra_dirs: Iterable[str | Path] = (), warn: bool = True) -> dict[str, Hypothesis]:
  """All hypotheses in research/hypotheses/ and `extra_dirs` that load, by name; a file that
  does not load is skipped, with a one-line warning on stderr (see `scan`)."""
  found, broken = scan(extra_dirs)
  if warn:
    warn_broken(broken)
  return found


def get_hypothesis(name: str, extra_dirs: Iterable[str | Path] = ()) -> Hypothesis:
  """The hypothesis called `name`; raises ValueError naming its file if that file is broken, or
  listing the valid names."""
  import difflib
  hypotheses, broken = scan(extra_dirs)
  if name in hypotheses:
    return hypotheses[name]
  if name in broken:
    raise ValueError(f"hypothesis {name!r} cannot be loaded: {broken[name]}")
  near = difflib.get_close_matches(name, list(hypotheses), n=3, cutoff=0.6)
  hint = f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""
  raise ValueError(f"unknown hypothesis {name!r}{hint}; valid hypotheses: {', '.join(hypotheses)}")


@dataclasses.dataclass(frozen=True)
class HypothesisResult:
  """Per-cell statistics and verdicts of one hypothesis, and the overall verdict."""

  hypothesis: Hypothesis
  alpha: float
  cells: pd.DataFrame  # cell columns, n, n_excluded, ..., ci_method, p, p_holm, ..., verdict (all numbers)
  verdict: str
  counts: dict  # verdict -> number of cells
  n_diverged: int  # diverged treatment/control rows excluded, over all cells
  notes: tuple = ()

  def summary(self) -> str:
    """One line: the overall verdict and the cell counts."""
    c, total = self.counts, len(self.cells)
    return (f"{self.verdict} (supported in {c[stats.SUPPORTED]} of {total} cells, smaller than claimed "
            f"in {c[stats.SMALLER]}, refuted in {c[stats.REFUTED]}, inconclusive in "
            f"{c[stats.INCONCLUSIVE]})")

  def to_markdown(self, include_rule: bool = True, level: int = 2) -> str:
    """A report: claim, setup, verdict, the compact per-cell table, exclusions, the verdict rule.

    include_rule=False leaves out stats.VERDICT_RULE, for a report that prints it once for all
    its hypotheses; level is the heading level of the hypothesis' name.
    """
    h = self.hypothesis
    cells = self.cells
    lines = [
        f"{'#' * level} {h.name}", "", f"**Claim:** {h.claim}", "",
        f"Study `{h.study}`: {h.factor} = `{h.treatment}` (treatment) vs `{h.control}` (control) on "
        f"`{h.metric}`, direction {h.direction}, min_effect {h.min_effect:g}, alpha {self.alpha:g}, "
        f"Holm over {len(cells)} cells. n counts pairs: one per seed and per setting a cell pools "
        f"(a cell over two widths has two pairs per seed); the hypothesis asks for at least "
        f"{h.num_seeds} seeds per cell.", "",
        f"**Verdict: {self.summary()}**", "",
        markdown_table(compact_cells_table(cells, h, self.alpha)), "",
        f"n: pairs used. CIs are per cell at level {1 - self.alpha:g} (not adjusted); the verdicts use "
        f"the Holm-adjusted p-values (a test passes at <= {self.alpha / 2:g}), so with several cells a "
        "CI can clear min_effect in a cell that is not SUPPORTED.", "",
        f"Exclusions: {self.n_diverged} diverged rows; {int(cells['n_unpaired'].sum())} runs without "
        f"a partner; {int(cells['n_nonfinite'].sum())} pairs with a non-finite {h.metric}.",
    ]
    lines += [f"- {note}" for note in self.notes]
    if include_rule:
      lines += ["", "Verdict rule:", "```", stats.VERDICT_RULE, "```"]
    lines += [""]
    return "\n".join(lines)


def format_number(value: Any, digits: int = 3) -> str:
  """A number at `digits` significant figures ("0.0123", "1.5e+03"); NaN as "n/a"."""
  if value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)):
    return "n/a"
  if isinstance(value, (float, np.floating)):
    return f"{value:.{digits}g}"
  return str(value)


def format_p(p: float) -> str:
  """A p-value at 2 significant figures ("0.003", "0.041", "1"), "<1e-4" below 1e-4."""
  if p is None or np.isnan(p):
    return "n/a"
  return "<1e-4" if p < 1e-4 else f"{p:.2g}"


def compact_cells_table(cells: pd.DataFrame, h: Hypothesis, alpha: float) -> pd.DataFrame:
  """The per-cell table of a report: cell columns, n, mean_diff, CI, p_holm, d_z, verdict.

  Numbers at 3 significant figures, p-values at 2. The CI's level and method head its column when
  every cell shares the method (else each CI names its own); the p of the effect vs 0 appears when
  min_effect > 0 (it is the p of the size otherwise); exclusion counts only when one is non-zero.
  """
  level = f"{100 * (1 - alpha):g}%"
  methods = sorted(set(cells["ci_method"]) - {"none"}) if "ci_method" in cells else []
  shared = methods[0] if len(methods) == 1 else None
  ci_header = f"{level} CI ({shared})" if shared else f"{level} CI"

  def ci(row) -> str:
    if row.ci_method == "none" or np.isnan(row.ci_low):
      return "n/a"
    text = f"[{format_number(row.ci_low)}, {format_number(row.ci_high)}]"
    return text if shared else f"{text} {row.ci_method}"

  out = cells[list(h.conditions)].copy()
  out["n"] = cells["n"]
  for column in ("n_unpaired", "n_nonfinite", "n_diverged"):
    if column in cells and (cells[column] != 0).any():
      out[column.removeprefix("n_")] = cells[column]
  out["mean_diff"] = cells["mean_diff"].map(format_number)
  out[ci_header] = [ci(row) for row in cells.itertuples(index=False)]
  out["p_holm (size >= m)" if h.min_effect > 0 else "p_holm"] = cells["p_holm"].map(format_p)
  if h.min_effect > 0:
    out["p_holm (effect > 0)"] = cells["p_zero_holm"].map(format_p)
  out["d_z"] = cells["effect_size"].map(lambda v: format_number(v, 2))
  out["verdict"] = cells["verdict"]
  return out


def _format(value: Any) -> str:
  if isinstance(value, (float, np.floating)):
    return f"{value:.4g}"
  return str(value).replace("|", "\\|")


def markdown_table(df: pd.DataFrame) -> str:
  """A GitHub markdown table of df (pandas' to_markdown needs tabulate, not a dependency)."""
  header = "| " + " | ".join(_format(c) for c in df.columns) + " |"
  rule = "|" + "|".join("---" for _ in df.columns) + "|"
  rows = ["| " + " | ".join(_format(v) for v in row) + " |" for row in df.itertuples(index=False)]
  return "\n".join([header, rule, *rows])


def _check_columns(h: Hypothesis, results: pd.DataFrame) -> None:
  roles = {h.metric: "metric", h.factor: "factor", "seed": "pairing key"}
  roles.update({c: "condition" for c in h.conditions})
  for column, role in roles.items():
    if column not in results.columns:
      raise ValueError(f"hypothesis {h.name!r}: {role} column {column!r} is not in the results; "
                       f"available columns: {', '.join(map(str, results.columns))}")
  present = results[h.factor].unique().tolist()
  for arm in ("treatment", "control"):
    if getattr(h, arm) not in present:
      raise ValueError(f"hypothesis {h.name!r}: {arm} {getattr(h, arm)!r} never appears in column "
                       f"{h.factor!r}; values present: {present}")


def pairing_columns(h: Hypothesis, results: pd.DataFrame) -> list[str]:
  """The columns a treatment run and its control run share: the seed, the cell, the design."""
  return _pairing_columns(h, results)


def _pairing_columns(h: Hypothesis, results: pd.DataFrame) -> list[str]:
  excluded = {h.factor, h.metric, *h.conditions, "seed"}
  if h.factor in ACTIVATION_COLUMNS:
    excluded |= set(ACTIVATION_COLUMNS)
  return ["seed", *h.conditions, *(c for c in DESIGN_COLUMNS if c in results and c not in excluded)]


def _arm(rows: pd.DataFrame, value: Any, h: Hypothesis, keys: list[str], cell: dict) -> pd.DataFrame:
  arm = rows[rows[h.factor] == value]
  duplicated = arm.duplicated(keys, keep=False)
  if duplicated.any():
    example = arm.loc[duplicated, keys].iloc[0].to_dict()
    raise ValueError(f"hypothesis {h.name!r}, cell {cell}: several {h.factor}={value!r} runs share the "
                     f"pairing key {example}; add the column that tells them apart to conditions")
  try:
    metric = arm[h.metric].astype(float)
  except (TypeError, ValueError):
    raise ValueError(f"hypothesis {h.name!r}: metric column {h.metric!r} is not numeric") from None
  return arm[keys].assign(_metric=metric)


def _compare_cell(h: Hypothesis, rows: pd.DataFrame, keys: list[str], cell: dict, alpha: float,
                  n_boot: int, seed: int) -> dict:
  treatment = _arm(rows, h.treatment, h, keys, cell)
  control = _arm(rows, h.control, h, keys, cell)
  merged = treatment.merge(control, on=keys, how="outer", suffixes=("_t", "_c"), indicator=True)
  # Sorted by key so that the bootstrap resamples the same sequence however the rows came in.
  pairs = merged[merged["_merge"] == "both"].sort_values(keys)
  result = stats.paired_comparison(pairs["_metric_t"].to_numpy(), pairs["_metric_c"].to_numpy(),
                                   h.direction, h.min_effect, alpha=alpha, n_boot=n_boot, seed=seed)
  n_unpaired = int((merged["_merge"] != "both").sum())
  return dict(result=result, n_unpaired=n_unpaired)


def evaluate(h: Hypothesis, results: pd.DataFrame, alpha: float = 0.05, n_boot: int = 10000,
             seed: int = 0) -> HypothesisResult:
  """Tests `h` on a tidy results table (one row per model) cell by cell; see stats.VERDICT_RULE."""
  _check_columns(h, results)
  keys = _pairing_columns(h, results)
  notes = []
  arms = results[results[h.factor].isin([h.treatment, h.control])]
  if "diverged" in arms.columns:
    diverged = arms["diverged"].fillna(False).astype(bool)
  else:
    diverged = pd.Series(False, index=arms.index)
    notes.append("no 'diverged' column: no run was excluded as diverged")
  rows, cell_stats = [], []
  for cell in h.cells():
    in_cell = np.ones(len(arms), dtype=bool)
    for column, value in cell.items():
      in_cell &= (arms[column] == value).to_numpy()
    if not in_cell.any():
      notes.append(f"cell {cell} has no {h.treatment!r} or {h.control!r} runs")
    n_diverged = int(diverged[in_cell].sum())
    # Seeds, not pairing keys: a cell pooled over other settings (widths, learning rates) has
    # seeds x settings keys, and would otherwise be reported as having that many seeds.
    seed_column = ["seed"] if "seed" in keys else keys
    n_seeds = len(arms.loc[in_cell, seed_column].drop_duplicates())
    if 0 < n_seeds < h.num_seeds:
      notes.append(f"cell {cell} has {n_seeds} seeds, fewer than the {h.num_seeds} planned")
    out = _compare_cell(h, arms[in_cell & ~diverged.to_numpy()], keys, cell, alpha, n_boot, seed)
    r = out["result"]
    rows.append(dict(cell, n_unpaired=out["n_unpaired"], n_nonfinite=r.n_excluded, n_diverged=n_diverged))
    cell_stats.append(r)
  # Each kind of p-value is its own family over the cells (stats.VERDICT_RULE).
  adjusted = [stats.holm([getattr(r, kind) for r in cell_stats]) for kind in ("p", "p_zero", "p_below")]
  cell_stats = [r.with_holm(*ps) for r, *ps in zip(cell_stats, *adjusted)]
  for row, r in zip(rows, cell_stats):
    row.update(n=r.n, n_excluded=r.n_excluded + row["n_unpaired"], mean_diff=r.mean_diff,
               ci_low=r.ci_low, ci_high=r.ci_high, ci_method=r.ci_method, p=r.p, p_holm=r.p_holm,
               p_zero=r.p_zero, p_zero_holm=r.p_zero_holm, p_below=r.p_below,
               p_below_holm=r.p_below_holm, effect_size=r.effect_size,
               rank_biserial=r.rank_biserial, verdict=r.verdict)
  order = [*h.conditions, "n", "n_excluded", "n_unpaired", "n_nonfinite", "n_diverged", "mean_diff",
           "ci_low", "ci_high", "ci_method", "p", "p_holm", "p_zero", "p_zero_holm", "p_below",
           "p_below_holm", "effect_size", "rank_biserial", "verdict"]
  cells = pd.DataFrame(rows, columns=order)
  verdicts = cells["verdict"].tolist()
  counts = {v: verdicts.count(v) for v in stats.VERDICTS}
  return HypothesisResult(hypothesis=h, alpha=alpha, cells=cells, verdict=stats.overall_verdict(verdicts),
                          counts=counts, n_diverged=int(sum(row["n_diverged"] for row in rows)),
                          notes=tuple(notes))
