"""Runs a hypothesis end to end: its study's config narrowed to the hypothesis, the sweep, the
paired statistics, and a Markdown report in the workdir.

A hypothesis' conditions map onto the study config (dataset -> data.names, width -> model.widths,
depth -> model.depths, lr -> optim.learning_rates); an activation factor puts exactly the
treatment and the control into model.activations; `config_overrides` (dotted keys) come last.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import ml_collections
import pandas as pd

from research.hypotheses import Hypothesis, HypothesisResult, evaluate
from research.store import atomic_write_text
from research.metrics import evaluation
from research.sweep import BASE_COLUMNS, run_sweep
from research.validation import validate_study_config

# Studies whose runs are not a plain sweep of a study config; their entry points evaluate their
# hypotheses themselves.
OWN_RUNNER_STUDIES = ("linear_regions", "activation_cost")
CONDITION_FIELDS = {"dataset": "data.names", "width": "model.widths", "depth": "model.depths",
                    "lr": "optim.learning_rates"}


def _set(config: ml_collections.ConfigDict, dotted: str, value) -> None:
  *parents, leaf = dotted.split(".")
  node = config
  for p in parents:
    if p not in node:
      raise ValueError(f"config override {dotted!r}: no field {p!r}; valid: {', '.join(sorted(node.keys()))}")
    node = node[p]
  if leaf not in node:
    raise ValueError(f"config override {dotted!r}: no field {leaf!r}; valid: {', '.join(sorted(node.keys()))}")
  node[leaf] = tuple(value) if isinstance(value, list) else value


def study_config(h: Hypothesis, variant: str | None = None) -> ml_collections.ConfigDict:
  """The study config that produces exactly the runs the hypothesis compares."""
  try:
    module = importlib.import_module(f"configs.{h.study}")
  except ModuleNotFoundError:
    raise ValueError(f"hypothesis {h.name!r}: study {h.study!r} has no configs/{h.study}.py") from None
  config = module.get_config(variant)
  if h.study in OWN_RUNNER_STUDIES:
    raise ValueError(f"hypothesis {h.name!r}: study {h.study!r} has its own runner, which evaluates "
                     f"its hypotheses: run `python -m experiments.{h.study} --workdir DIR` and read "
                     "DIR/report.md")
  for column, values in h.conditions.items():
    if column not in CONDITION_FIELDS:
      raise ValueError(f"hypothesis {h.name!r}: condition {column!r} cannot be set in a study config; "
                       f"valid condition columns: {', '.join(CONDITION_FIELDS)}")
    _set(config, CONDITION_FIELDS[column], values)
  if h.factor == "activation":
    config.model.activations = (h.treatment, h.control)
  elif h.factor in CONDITION_FIELDS:
    _set(config, CONDITION_FIELDS[h.factor], [h.treatment, h.control])
  config.num_seeds = h.num_seeds if variant is None else min(h.num_seeds, config.num_seeds)
  for dotted, value in h.config_overrides.items():
    _set(config, dotted, value)
  return config


def check_metric(h: Hypothesis, config) -> None:
  """Raises before any training if the study will not write the hypothesis' metric column."""
  if h.metric in BASE_COLUMNS:
    return
  known = evaluation.known_column(h.metric, config.eval.metrics)
  if known is False:
    raise ValueError(f"hypothesis {h.name!r}: metric {h.metric!r} is not a results column of study "
                     f"{h.study!r} with metric families {list(config.eval.metrics)}; valid: the base "
                     f"columns {', '.join(BASE_COLUMNS)} and the families' columns (FAMILY_COLUMNS "
                     "in research/metrics/evaluation.py)")


def run_hypothesis(h: Hypothesis, workdir: str | Path, *, variant: str | None = None,
                   overwrite: bool = False, progress: bool = True) -> HypothesisResult:
  """Runs (or resumes) the runs of `h`, evaluates it and writes <workdir>/report.md."""
  config = study_config(h, variant)
  validate_study_config(config)
  check_metric(h, config)
  summary = run_sweep(config, workdir, overwrite=overwrite, progress=progress)
  if summary.failed_units:
    raise RuntimeError(f"{len(summary.failed_units)} units failed: {summary.failed_units}")
  results = pd.read_csv(Path(workdir) / "results.csv")
  result = evaluate(h, results)
  atomic_write_text(Path(workdir) / "report.md", result.to_markdown())
  return result
