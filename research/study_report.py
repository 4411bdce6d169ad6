"""The report of a training study: the hypotheses written for it, evaluated on its results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from research import hypotheses
from research.report import write_report


def describe_setting(config) -> str:
  """A Markdown list of what a sweep-based study trained."""
  c = config
  o = c.optim
  return "\n".join([
      f"- data sets: {', '.join(c.data.names)} ({c.data.num_train_per_class} training and "
      f"{c.data.num_test_per_class} test points per class, noise {c.data.noise})",
      f"- activations: {', '.join(c.model.activations)}",
      f"- hidden widths {list(c.model.widths)} x depths {list(c.model.depths)}, init {c.model.init}",
      f"- {o.optimizer}, learning rates {list(o.learning_rates)}, schedule {o.schedule}, "
      f"{o.num_steps} steps, batch {'full' if not o.batch_size else o.batch_size}",
      f"- {c.num_seeds} seeds per cell; every activation sees the same seeds, initial weights and "
      "data draw (paired)",
  ])


def evaluate_study_hypotheses(study: str, results: pd.DataFrame) -> tuple[list, list[str]]:
  """Every discovered hypothesis of `study` evaluated on `results`, and notes on those skipped."""
  verdicts, notes = [], []
  for h in hypotheses.discover().values():
    if h.study != study:
      continue
    try:
      verdicts.append(hypotheses.evaluate(h, results))
    except ValueError as e:  # e.g. the config did not train the arms the hypothesis compares
      notes.append(f"hypothesis `{h.name}` not evaluated on this run: {e}")
  return verdicts, notes


def headline_findings(results: pd.DataFrame, metric: str = "test_acc") -> list[str]:
  """One line per data set: the metric's mean by activation over architectures and seeds."""
  ok = results[~results["diverged"].astype(bool)]
  lines = []
  for dataset, rows in ok.groupby("dataset", sort=False):
    means = rows.groupby("activation", sort=False)[metric].mean()
    lines.append(f"{dataset}: mean {metric} " + ", ".join(f"{a} {m:.3f}" for a, m in means.items())
                 + f" ({rows['seed'].nunique()} seeds x {rows[['width', 'depth']].drop_duplicates().shape[0]} architectures)")
  return lines


def write_training_study_report(config, workdir: str | Path, figures: list[Path],
                                failed_units: list[str]) -> tuple[Path, Path]:
  """report.md and report.html of a sweep-based study."""
  workdir = Path(workdir)
  results = pd.read_csv(workdir / "results.csv")
  verdicts, notes = evaluate_study_hypotheses(config.study, results)
  caveats = list(notes)
  n_div = int(results["diverged"].sum())
  if n_div:
    caveats.append(f"{n_div} of {len(results)} models diverged; they are excluded from statistics "
                   "and figures")
  caveats += [f"unit failed: {f}" for f in failed_units]
  return write_report(workdir, title=f"Study: {config.study}", question=config.question,
                      setting=describe_setting(config), verdicts=verdicts, figures=figures,
                      caveats=caveats, findings=headline_findings(results))
