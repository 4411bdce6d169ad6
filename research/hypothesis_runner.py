"""Runs one hypothesis end to end: its study's config narrowed to the hypothesis, the study run
(research.study.run_study: the same runner as the study's own command), and its verdict.

A hypothesis' conditions map onto the study config through the study's `conditions` (for a plain
sweep: dataset -> data.names, width -> model.widths, depth -> model.depths, lr ->
optim.learning_rates); an activation factor puts exactly the treatment and the control into
model.activations; `config_overrides` (dotted keys) come last. The config comes from the caller
(the entry point loads the study's config file): the library does not import configs.
"""

from __future__ import annotations

import re
from pathlib import Path

import ml_collections

from research.hypotheses import Hypothesis, HypothesisResult, evaluate
from research.metrics import family
from research.store import atomic_write_text
from research.study import RunContext, Study, run_study
from research.sweep import BASE_COLUMNS


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


def _apply(config, target, values) -> None:
  if callable(target):
    target(config, list(values))
  else:
    _set(config, target, values)


def study_config(h: Hypothesis, study: Study, config: ml_collections.ConfigDict,
                 quick: bool = False) -> ml_collections.ConfigDict:
  """The study config (a copy of `config`) that produces exactly the runs the hypothesis compares."""
  config = ml_collections.ConfigDict(config.to_dict())
  if study.hypothesis_rows is None or not study.conditions:
    raise ValueError(f"hypothesis {h.name!r}: study {study.name!r} takes no hypothesis files")
  for column, values in h.conditions.items():
    if column not in study.conditions:
      raise ValueError(f"hypothesis {h.name!r}: condition {column!r} cannot be set in a {study.name} "
                       f"config; valid condition columns: {', '.join(study.conditions)}")
    _apply(config, study.conditions[column], values)
  if h.factor == "activation":
    config.model.activations = (h.treatment, h.control)
  elif h.factor in study.conditions:
    _apply(config, study.conditions[h.factor], [h.treatment, h.control])
  config.num_seeds = min(h.num_seeds, config.num_seeds) if quick else h.num_seeds
  for dotted, value in h.config_overrides.items():
    _set(config, dotted, value)
  return config


def check_metric(h: Hypothesis, study: Study, config) -> None:
  """Raises before any training if the study will not write the hypothesis' metric column."""
  if h.metric in BASE_COLUMNS or "eval" not in config or "metrics" not in config.eval:
    return
  if any(re.fullmatch(p, h.metric) for p in study.columns):
    return
  known = family.known_column(h.metric, config.eval.metrics)
  if known is False:
    raise ValueError(f"hypothesis {h.name!r}: metric {h.metric!r} is not a results column of study "
                     f"{h.study!r} with metric families {list(config.eval.metrics)}; valid: the base "
                     f"columns {', '.join(BASE_COLUMNS)}, the study's own {list(study.columns)} and the families' columns (FAMILY_COLUMNS "
                     "in research/metrics/family.py)")


def run_hypothesis(h: Hypothesis, study: Study, config: ml_collections.ConfigDict, workdir: str | Path,
                   *, quick: bool = False, overwrite: bool = False, progress: bool = True,
                   **distributed_args) -> HypothesisResult | None:
  """Runs (or resumes) the runs of `h`, evaluates it and writes <workdir>/hypothesis.md.

  Returns None on processes other than 0 (they train their share; process 0 evaluates).
  """
  config = study_config(h, study, config, quick)
  check_metric(h, study, config)
  captured: list[RunContext] = []
  outcome = run_study(study, config, workdir, overwrite=overwrite, draw=False, report=False,
                      progress=progress, on_tables=captured.append, **distributed_args)
  if not outcome.is_writer:
    return None
  if outcome.failed_units:
    raise RuntimeError(f"{len(outcome.failed_units)} units failed: {list(outcome.failed_units)}")
  result = evaluate(h, study.hypothesis_rows(captured[0]))
  atomic_write_text(Path(workdir) / "hypothesis.md", result.to_markdown())
  return result
