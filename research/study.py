"""One runner for every study: a `Study` declares its hooks, `run_study` does the rest.

A study is a config file (configs/<name>.py, handed in by the entry point) plus one module that
defines `STUDY = Study(...)` (research/studies/, found by research.studies.discover). For every
study, `run_study` owns the same sequence:

  1. join the distributed runtime (`jax.distributed`, when flags or environment configure it);
  2. validate the whole config (the study's `validate` hook) before anything is computed;
  3. `compute`: work outside the sweep (born-dead simulations, timings), process 0 only;
  4. the sweep of resumable units (research/sweep.py) of `sweep(config)`, on every process, each
     training its share of the model axis; process 0 alone reads and writes the workdir;
  5. on process 0: the study's `tables` (written as <name>.csv), the verdict of every hypothesis
     written for the study (evaluated on `hypothesis_rows`), the `figures` (plotting libraries are
     imported only inside that hook, so `draw=False` never loads matplotlib; drawn again only when
     their inputs changed, research/figure_cache.py), the report (research/report.py: results
     table per cell of the study's `main_metrics`, verdict lines, figures, caveats computed from
     the run) and the summary line.

Library code raises or returns: a bad config or workdir raises `ConfigError` (or another
ValueError) before any compute, and `run_study` returns an `Outcome`; only `experiments/` turns
them into one-line errors and exit statuses.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, Callable

import ml_collections
import pandas as pd

from research import distributed, hypotheses, provenance
from research.figure_cache import draw_cached
from research.report import Figure, write_report
from research.report_checks import check_run, seeds_text, subset_seed_columns
from research.report_tables import results_table, verdict_line, verdict_record
from research.resources import describe_estimate
from research.store import Store, atomic_write_csv, atomic_write_json
from research.sweep import SweepSummary, run_sweep
from research.validation import validate_study_config

# Hypothesis condition columns -> the config field that produces them, for a plain sweep.
SWEEP_CONDITIONS = {"dataset": "data.names", "activation": "model.activations",
                    "width": "model.widths", "depth": "model.depths", "lr": "optim.learning_rates"}


@dataclasses.dataclass
class RunContext:
  """What the hooks of one run may read: the config, the workdir and what earlier steps made."""

  config: ml_collections.ConfigDict
  workdir: Path
  progress: bool = True
  sweep: SweepSummary | None = None
  computed: Any = None  # what `compute` returned
  tables: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
  verdicts: list = dataclasses.field(default_factory=list)
  hypothesis_notes: list[str] = dataclasses.field(default_factory=list)
  hypothesis_rows: pd.DataFrame | None = None  # the rows the verdicts were evaluated on
  figures: list[Figure] = dataclasses.field(default_factory=list)
  figures_reused: bool = False  # the figures of an earlier run with the same inputs
  start: float = dataclasses.field(default_factory=time.perf_counter)

  @property
  def sweep_dir(self) -> Path:
    return self.sweep.workdir if self.sweep else self.workdir

  @property
  def results(self) -> pd.DataFrame:
    """The sweep's results table (one row per model)."""
    return self.tables["results"] if "results" in self.tables else pd.read_csv(self.sweep_dir / "results.csv")

  @property
  def failed_units(self) -> list[str]:
    return list(self.sweep.failed_units) if self.sweep else []

  def elapsed_s(self) -> float:
    return time.perf_counter() - self.start


@dataclasses.dataclass(frozen=True)
class ReportContent:
  """The study-specific parts of a report; the runner adds title, question, verdicts, figures."""

  setting: str
  extra_markdown: str = ""
  caveats: tuple[str, ...] = ()
  findings: tuple[str, ...] = ()


def _no_tables(ctx: RunContext) -> dict[str, pd.DataFrame]:
  return {}


def _results(ctx: RunContext) -> pd.DataFrame:
  return ctx.results


@dataclasses.dataclass(frozen=True, kw_only=True)
class Study:
  """A study: what it asks and the hooks the runner calls (each a module-level function)."""

  name: str
  question: str  # the question the study answers, in one sentence
  # The explanations of the seed question (why is ReLU the default?) that this study's evidence
  # answers; the summary page shows one section per explanation, in order of first appearance.
  answers: tuple[str, ...]
  order: int = 100  # position on the summary page
  validate: Callable[[ml_collections.ConfigDict], None] = validate_study_config
  # The sweep's config from the study's (None: the study trains nothing); its files go to
  # <workdir>/<sweep_subdir>.
  sweep: Callable[[ml_collections.ConfigDict], ml_collections.ConfigDict | None] = lambda c: c
  sweep_subdir: str = ""
  compute: Callable[[RunContext], Any] | None = None  # work outside the sweep, process 0
  tables: Callable[[RunContext], dict[str, pd.DataFrame]] = _no_tables
  # The rows hypotheses of this study are evaluated on (None: the study takes no hypothesis files).
  hypothesis_rows: Callable[[RunContext], pd.DataFrame] | None = _results
  # The figures (Figure objects; a bare Path gets a caption made from its file name).
  figures: Callable[[RunContext], list[Figure | Path]] | None = None
  report: Callable[[RunContext], ReportContent]
  # Hypothesis condition column -> the config field that produces exactly those values, or a
  # function (config, values) that sets them (the hypothesis runner narrows a config with it).
  conditions: dict[str, str | Callable] = dataclasses.field(default_factory=lambda: dict(SWEEP_CONDITIONS))
  console: Callable[[RunContext], str] | None = None  # a few lines printed after the tables
  # Columns of `hypothesis_rows` beyond the sweep's and its metric families' (regular expressions),
  # so that a hypothesis naming one is accepted before anything is trained.
  columns: tuple[str, ...] = ()
  # The results columns the report's table gives per cell (mean +- 95% CI), for sweep studies.
  main_metrics: tuple[str, ...] = ("test_acc",)
  # The file name (stem) of the figure the summary page shows beside this study's answer; "" is
  # the first PNG.
  headline_figure: str = ""


@dataclasses.dataclass(frozen=True)
class Outcome:
  """What a run did; `experiments/` turns it into an exit status."""

  study: str
  workdir: Path
  failed_units: tuple[str, ...]
  is_writer: bool
  report: Path | None
  wall_time_s: float

  @property
  def ok(self) -> bool:
    return not self.failed_units


def evaluate_hypotheses(study: str, rows: pd.DataFrame, extra_dirs=()) -> tuple[list, list[str]]:
  """Every discovered hypothesis of `study` evaluated on `rows`, and notes on those skipped."""
  verdicts, notes = [], []
  for h in hypotheses.discover(extra_dirs).values():
    if h.study != study:
      continue
    try:
      verdicts.append(hypotheses.evaluate(h, rows))
    except ValueError as e:  # e.g. the config did not train the arms the hypothesis compares
      notes.append(f"hypothesis `{h.name}` not evaluated on this run: {e}")
  return verdicts, notes


def run_study(study: Study, config: ml_collections.ConfigDict, workdir: str | Path, *,
              overwrite: bool = False, draw: bool = True, report: bool = True, progress: bool = True,
              coordinator_address: str | None = None, num_processes: int | None = None,
              process_id: int | None = None,
              on_tables: Callable[[RunContext], None] | None = None) -> Outcome:
  """Validates, computes, sweeps (resuming), then tables, verdicts, figures and the report.

  on_tables: called on process 0 with the run's context once its tables exist (a caller that
  needs them in memory, such as the hypothesis runner).
  """
  distributed.initialize(coordinator_address, num_processes, process_id)
  if config.get("study") != study.name:
    raise ValueError(f"config.study = {config.get('study')!r} is not this study ({study.name!r}): "
                     "pass the config of this study")
  study.validate(config)
  if distributed.is_writer():
    print(f"{study.name}: {describe_estimate(config)}", flush=True)
  sweep_config = study.sweep(config)
  ctx = RunContext(config=config, workdir=Path(workdir), progress=progress)
  writer = distributed.is_writer()
  store = Store(ctx.workdir, config.to_dict(), overwrite=overwrite) if writer else None  # or raises
  try:
    return _run(study, ctx, config, sweep_config, store, writer, overwrite=overwrite, draw=draw,
                report=report, progress=progress, on_tables=on_tables)
  finally:
    if store is not None:
      store.release()


def _run(study: Study, ctx: RunContext, config, sweep_config, store: Store | None, writer: bool, *,
         overwrite: bool, draw: bool, report: bool, progress: bool, on_tables) -> Outcome:
  if writer and (sweep_config is None or study.sweep_subdir):  # else the sweep writes it, same config
    atomic_write_json(ctx.workdir / "config.json", dict(config=config.to_dict(), config_hash=store.config_hash,
                                                        provenance=provenance.collect()))
  if study.compute is not None and writer:
    ctx.computed = study.compute(ctx)
  if sweep_config is not None:
    ctx.sweep = run_sweep(sweep_config, str(ctx.workdir / study.sweep_subdir), overwrite=overwrite,
                          progress=progress, store=None if study.sweep_subdir else store)
  if not writer:
    return Outcome(study.name, ctx.workdir, tuple(ctx.failed_units), False, None, ctx.elapsed_s())
  report_path = None
  if ctx.sweep is None or ctx.sweep.num_models:
    report_path = _finish(study, ctx, draw=draw, report=report, on_tables=on_tables)
  if ctx.sweep is not None:
    print(ctx.sweep.line())
  for failure in ctx.failed_units:
    print(f"FAILED unit: {failure}")
  print(f"{study.name}: done in {ctx.elapsed_s():.1f} s (training, metrics, tables, figures and report)"
        + (f"; report: {report_path}" if report_path else ""))
  return Outcome(study.name, ctx.workdir, tuple(ctx.failed_units), True, report_path, ctx.elapsed_s())


def _finish(study: Study, ctx: RunContext, *, draw: bool, report: bool, on_tables) -> Path | None:
  """Process 0: tables, verdicts, figures and the report of a run."""
  if ctx.sweep is not None:
    ctx.tables["results"] = pd.read_csv(ctx.sweep_dir / "results.csv")
    if ctx.sweep.num_diverged == ctx.sweep.num_models:  # nothing to measure, draw or test
      return _all_diverged_report(study, ctx) if report else None
  for name, frame in study.tables(ctx).items():
    atomic_write_csv(ctx.workdir / f"{name}.csv", frame)
    ctx.tables[name] = frame
  if on_tables is not None:
    on_tables(ctx)
  if study.console is not None:
    print(study.console(ctx))
  if study.hypothesis_rows is not None:
    ctx.hypothesis_rows = study.hypothesis_rows(ctx)
    ctx.verdicts, ctx.hypothesis_notes = evaluate_hypotheses(study.name, ctx.hypothesis_rows)
  for v in ctx.verdicts:
    print(f"hypothesis {v.hypothesis.name}: {v.summary()}")
  if draw and study.figures is not None:
    _draw(study, ctx)
  if not report:
    return None
  content = study.report(ctx)
  md, page = write_report(ctx.workdir, title=f"Study: {study.name}", question=study.question,
                          setting=content.setting, extra_markdown=content.extra_markdown,
                          findings=list(content.findings), figures=ctx.figures,
                          headline=_headline(study, ctx.figures), **_report_numbers(study, ctx, content))
  print(f"report: {md} and {page}")
  return page


def _hooks(study: Study) -> list[Callable]:
  """The hooks whose code decides the figures (with research/figures/ and research/views/)."""
  return [study.figures]


def _draw(study: Study, ctx: RunContext) -> None:
  """The study's figures, reused from an earlier run when their inputs are unchanged."""
  ctx.figures, ctx.figures_reused = draw_cached(ctx.workdir, ctx.config.to_dict(),
                                                lambda: study.figures(ctx), _hooks(study))
  if ctx.figures_reused:
    print(f"figures: {len(ctx.figures)} reused (their inputs, config and drawing code are unchanged)")
    return
  for f in ctx.figures:
    print(f"figure: {f.path}" + (" (no caption: the hook returned a bare path)"
                                 if f.caption_from_name else ""))


def _headline(study: Study, figures: list[Figure]) -> Figure | None:
  if study.headline_figure:
    return next((f for f in figures if Path(f.path).stem == study.headline_figure), None)
  return None


def _report_numbers(study: Study, ctx: RunContext, content: ReportContent) -> dict:
  """The computed parts of a report: results table, verdict lines and records, caveats, checks."""
  results = ctx.tables.get("results") if ctx.sweep is not None else None
  table = ""
  metrics = tuple(m for m in study.main_metrics if results is not None and m in results)
  if results is not None and metrics:
    subset = {m: f"{seeds_text(ctx.config.eval.expensive_seeds)} only"
              for m in subset_seed_columns(results, ctx.config) if m in metrics}
    table = results_table(results, list(metrics), subset)
  checks = check_run(results, ctx.config, verdicts=ctx.verdicts, failed_units=ctx.failed_units,
                     main_metrics=metrics)
  lines = [verdict_line(v, ctx.hypothesis_rows) for v in ctx.verdicts]
  return dict(results_table=table, verdicts=ctx.verdicts, verdict_lines=lines,
              verdict_records=[verdict_record(v, ctx.hypothesis_rows, line)
                               for v, line in zip(ctx.verdicts, lines)],
              caveats=[*content.caveats, *ctx.hypothesis_notes, *checks.caveats],
              checked=list(checks.checked))


def _all_diverged_report(study: Study, ctx: RunContext) -> Path:
  """The report of a run in which every model diverged: what diverged where, and nothing else."""
  results = ctx.results
  steps = results["diverged_step"]
  text = (f"Every one of the {len(results)} models diverged (a non-finite loss or weights, or a "
          f"loss above optim.max_loss = {ctx.config.optim.get('max_loss', 'n/a')} nats), at steps "
          f"{int(steps.min())} to {int(steps.max())}: there is nothing to measure, draw or test. "
          "Lower the learning rates (optim.learning_rates) and rerun.")
  print(f"{study.name}: {text}")
  checks = check_run(results, ctx.config, failed_units=ctx.failed_units)
  table = results_table(results, [m for m in study.main_metrics if m in results])
  _, page = write_report(ctx.workdir, title=f"Study: {study.name}", question=study.question,
                         setting=f"- {text}\n- results.csv lists each model with its diverged_step",
                         caveats=[text, *checks.caveats], checked=list(checks.checked),
                         results_table=table, findings=[f"all {len(results)} models diverged"])
  print(f"report: {page}")
  return page


def timing_line(ctx: RunContext, what: str) -> str:
  """'this run took N s of wall time (what); k units were resumed from disk'."""
  resumed = ctx.sweep.skipped_units if ctx.sweep else 0
  return (f"this run took {ctx.elapsed_s():.0f} s of wall time ({what}); {resumed} units were "
          "resumed from disk")
