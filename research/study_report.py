"""The report parts every sweep-based study shares, and the hooks of the plain training studies
(relu_vs_leaky, narrow_nets): the setting in words, one line per data set, their figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from research.study import ReportContent
from research.sweep import not_diverged


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
      f"- {c.num_seeds} seeds: one model per seed in each data set x activation x architecture "
      "cell; every activation sees the same seeds, initial weights and data draw (paired)",
  ])


def headline_findings(results: pd.DataFrame, metric: str = "test_acc") -> list[str]:
  """One line per data set: the metric's mean by activation over architectures and seeds."""
  ok = not_diverged(results)
  lines = []
  for dataset, rows in ok.groupby("dataset", sort=False):
    means = rows.groupby("activation", sort=False)[metric].mean()
    lines.append(f"{dataset}: mean {metric} " + ", ".join(f"{a} {m:.3f}" for a, m in means.items())
                 + f" ({rows['seed'].nunique()} seeds x {rows[['width', 'depth']].drop_duplicates().shape[0]} architectures)")
  return lines


def training_report(ctx) -> ReportContent:
  """The report of a plain training study: setting and findings per data set (the runner adds
  the results table and the caveats it computes, divergence among them)."""
  return ReportContent(setting=describe_setting(ctx.config),
                       findings=tuple(headline_findings(ctx.results)))


def training_figures(ctx) -> list[Path]:
  """The figures of a plain training study (research/figures/training.py)."""
  from research.figures.training import plot_study
  from research.views import training_views  # animation, hidden units, explorer (issue 12)
  return [*plot_study(ctx.workdir), *training_views(ctx)]
