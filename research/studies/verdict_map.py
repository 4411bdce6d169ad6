"""The verdict map: each flagship claim tested in every setting of a one-factor-at-a-time grid.

A claim tested in one setting says little about the next one. `map.settings` lists departures
from the base config ("optim.learning_rates=0.001", "optim.optimizer=sgd; optim.learning_rates=0.1",
...); each is a sweep of its own (<workdir>/settings/<label>, resumable like any sweep), trained
on the same seeds. Each claim of `map.claims` (a hypothesis file: metric, arms, direction,
min_effect) is then evaluated with the cells setting x data set x width, so Holm's adjustment runs
over the whole map of that claim (stats.VERDICT_RULE), and every cell is compared with the base
setting's verdict in the same data set and width: a cell where it differs is a flip.

The settings run one after another in the compute hook, on one process: a multi-process run is
refused (the sweeps' model axis is sharded across processes only inside run_study's own sweep).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import jax
import ml_collections
import pandas as pd

from research import hypotheses, stats
from research.hypotheses import markdown_table
from research.metrics.family import known_column
from research.study import ReportContent, RunContext, Study
from research.study_report import describe_setting
from research.sweep import BASE_COLUMNS, run_sweep
from research.validation import ConfigError, check_sequence, fail, validate_study_config

BASE = "base"
# Config sections a setting may change; the map section itself and the study name may not.
SETTABLE = ("data", "model", "optim", "eval")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


# ----------------------------------------------------------------------------- settings

@dataclasses.dataclass(frozen=True)
class Setting:
  """One cell row of the map: a label and the config assignments that make it."""

  text: str  # as written in map.settings
  assignments: tuple[tuple[str, object], ...]

  @property
  def label(self) -> str:
    """Short and file-safe: 'base', 'learning_rates=0.001', 'optimizer=sgd+learning_rates=0.1'."""
    if not self.assignments:
      return BASE
    parts = [f"{field.split('.', 1)[1]}={_plain(value)}" for field, value in self.assignments]
    return re.sub(r"[^A-Za-z0-9.=_+-]", "_", "+".join(parts))


def _plain(value) -> str:
  if isinstance(value, (tuple, list)):
    return ",".join(map(str, value))
  return str(value)


def _typed(field: str, text: str, current):
  """`text` as a value of the type of `current` (a tuple field takes comma-separated items)."""
  if isinstance(current, (tuple, list)):
    kind = type(current[0]) if current else float
    return tuple(_typed(field, item.strip(), kind()) for item in text.split(",") if item.strip())
  if isinstance(current, bool):
    if text.lower() not in TRUE + FALSE:
      raise ValueError(f"{text!r} is not a boolean for {field}; valid: {', '.join(TRUE + FALSE)}")
    return text.lower() in TRUE
  try:
    return type(current)(text)
  except (TypeError, ValueError):
    raise ValueError(f"{text!r} is not a {type(current).__name__} for {field} "
                     f"(its base value is {current!r})") from None


def parse_setting(text, base: ml_collections.ConfigDict) -> Setting:
  """'field=value; field=value' (or 'base') against the base sweep config; raises ConfigError."""
  if not isinstance(text, str) or not text.strip():
    fail("map.settings", text, "each setting is 'base' or 'section.field=value' assignments "
         "separated by ';', e.g. 'optim.learning_rates=0.001'")
  if text.strip() == BASE:
    return Setting(text, ())
  assignments = []
  for item in filter(None, (s.strip() for s in text.split(";"))):
    field, eq, value = (s.strip() for s in item.partition("="))
    section = field.split(".", 1)[0]
    if not eq or not value or "." not in field or section not in SETTABLE:
      fail("map.settings", text, f"each assignment is section.field=value with section one of "
           f"{', '.join(SETTABLE)}, e.g. 'optim.learning_rates=0.001'")
    try:
      current = base[section][field.split(".", 1)[1]]
    except (KeyError, AttributeError):
      fail("map.settings", text, f"{field} is not a field of the config; fields of {section}: "
           f"{', '.join(sorted(base[section].keys()))}")
    try:
      assignments.append((field, _typed(field, value, current)))
    except ValueError as e:
      fail("map.settings", text, str(e))
  return Setting(text, tuple(assignments))


def base_config(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """The sweep part of the study config (everything but `map`), unlocked."""
  d = config.to_dict()
  d.pop("map")
  return ml_collections.ConfigDict(d)


def setting_config(config: ml_collections.ConfigDict, setting: Setting) -> ml_collections.ConfigDict:
  """The sweep config of one setting: the base with the setting's assignments."""
  c = base_config(config)
  for field, value in setting.assignments:
    section, name = field.split(".", 1)
    c[section][name] = value
  return c


def settings_of(config: ml_collections.ConfigDict) -> list[Setting]:
  base = base_config(config)
  return [parse_setting(text, base) for text in check_sequence("map.settings", config.map.settings)]


# ----------------------------------------------------------------------------- claims

def map_hypothesis(h: hypotheses.Hypothesis, config, labels: list[str]) -> hypotheses.Hypothesis:
  """The claim's test on the map: cells setting x data set x width (within the claim's own)."""
  widths = [w for w in config.model.widths if w in h.conditions.get("width", config.model.widths)]
  names = [d for d in config.data.names if d in h.conditions.get("dataset", config.data.names)]
  return dataclasses.replace(h, study="verdict_map", num_seeds=config.num_seeds,
                             conditions={"setting": labels, "dataset": names, "width": widths})


def claims_of(config) -> list[hypotheses.Hypothesis]:
  out = []
  for name in check_sequence("map.claims", config.map.claims):
    try:
      out.append(hypotheses.get_hypothesis(name))
    except ValueError as e:
      raise ConfigError(f"config.map.claims: {e}") from None
  return out


# ----------------------------------------------------------------------------- hooks

def validate(config: ml_collections.ConfigDict) -> None:
  """One-line ConfigError on the first invalid value, before anything is trained."""
  if jax.process_count() > 1:
    raise ConfigError("verdict_map runs its settings one after another on one process; "
                      f"this run has {jax.process_count()} processes: run it without --num_processes")
  validate_study_config(base_config(config))
  settings = settings_of(config)
  labels = [s.label for s in settings]
  if BASE not in labels:
    fail("map.settings", tuple(config.map.settings), "must include 'base' (the verdicts are compared with it)")
  if len(set(labels)) != len(labels):
    fail("map.settings", tuple(config.map.settings), "two settings make the same assignments")
  for s in settings:
    try:
      validate_study_config(setting_config(config, s))
    except ConfigError as e:
      raise ConfigError(f"config.map.settings ({s.text!r}): {e}") from None
  for h in claims_of(config):
    if h.factor != "activation" or {h.treatment, h.control} - set(config.model.activations):
      fail("map.claims", h.name, f"compares {h.factor} {h.treatment!r} with {h.control!r}; "
           f"the map trains activations {tuple(config.model.activations)}")
    if h.metric not in BASE_COLUMNS and known_column(h.metric, config.eval.metrics) is False:
      fail("map.claims", h.name, f"its metric {h.metric!r} is not written by eval.metrics "
           f"{tuple(config.eval.metrics)}")
    m = map_hypothesis(h, config, labels)
    if not m.conditions["dataset"] or not m.conditions["width"]:
      fail("map.claims", h.name, f"its conditions {h.conditions} leave no data set of "
           f"{tuple(config.data.names)} or width of {tuple(config.model.widths)} to test")


def compute(ctx: RunContext) -> list[dict]:
  """Every setting's sweep, in <workdir>/settings/<label>; resumes finished units."""
  out = []
  settings = settings_of(ctx.config)
  for i, s in enumerate(settings):
    print(f"verdict_map: setting {i + 1} of {len(settings)}: {s.label}", flush=True)
    summary = run_sweep(setting_config(ctx.config, s), str(ctx.workdir / "settings" / s.label),
                        progress=ctx.progress)
    out.append(dict(label=s.label, text=s.text, workdir=summary.workdir, failed=list(summary.failed_units),
                    num_models=summary.num_models, num_diverged=summary.num_diverged))
  return out


def _map_results(ctx: RunContext) -> pd.DataFrame:
  frames = [pd.read_csv(Path(s["workdir"]) / "results.csv").assign(setting=s["label"])
            for s in ctx.computed if s["num_models"]]
  return pd.concat(frames, ignore_index=True)


def tables(ctx: RunContext) -> dict[str, pd.DataFrame]:
  """results (every setting's models, with a `setting` column) and the map (one row per cell)."""
  results = _map_results(ctx)
  labels = [s["label"] for s in ctx.computed]
  rows = []
  for h in claims_of(ctx.config):
    cells = hypotheses.evaluate(map_hypothesis(h, ctx.config, labels), results).cells
    base = cells[cells["setting"] == BASE].set_index(["dataset", "width"])["verdict"]
    for r in cells.itertuples(index=False):
      base_verdict = base.get((r.dataset, r.width), "")
      rows.append(dict(claim=h.name, metric=h.metric, direction=h.direction, min_effect=h.min_effect,
                       setting=r.setting, dataset=r.dataset, width=r.width, n=r.n, mean_diff=r.mean_diff,
                       ci_low=r.ci_low, ci_high=r.ci_high, ci_method=r.ci_method, p_holm=r.p_holm,
                       verdict=r.verdict, base_verdict=base_verdict,
                       flips=bool(r.setting != BASE and r.verdict != base_verdict)))
  return {"results": results, "verdict_map": pd.DataFrame(rows)}


def figures(ctx: RunContext) -> list:
  from research.figures.verdict_map import plot_verdict_map
  return plot_verdict_map(ctx.tables["verdict_map"], ctx.workdir / "figures")


def findings(vmap: pd.DataFrame) -> list[str]:
  """One line per claim: where it holds, and the settings where a verdict flips."""
  lines = []
  for claim, cells in vmap.groupby("claim", sort=False):
    supported = cells[cells["verdict"] == stats.SUPPORTED]
    flipped = sorted(set(cells.loc[cells["flips"], "setting"]))
    where = (", ".join(f"{r.setting} {r.dataset} w{r.width}" for r in supported.itertuples()) or "no cell")
    lines.append(f"`{claim}`: SUPPORTED in {len(supported)} of {len(cells)} cells ({where}); "
                 f"verdict differs from the base setting in: {', '.join(flipped) or 'no setting'}")
  return lines


def report(ctx: RunContext) -> ReportContent:
  vmap = ctx.tables["verdict_map"]
  c = ctx.config
  settings = "\n".join(f"- `{s['label']}`: {s['text']} ({s['num_models']} models, "
                       f"{s['num_diverged']} diverged)" for s in ctx.computed)
  parts = ["## The map, cell by cell", "",
           "Mean paired difference (treatment - control) with its interval (method and n beside it); "
           "Holm over every cell of a claim's map. `flips`: the verdict differs from the base setting's "
           "in the same data set and width.", ""]
  for claim, cells in vmap.groupby("claim", sort=False):
    show = cells.assign(
        diff=cells["mean_diff"].map(lambda v: f"{v:+.3g}"),
        CI=[f"[{lo:.3g}, {hi:.3g}] ({m})" for lo, hi, m in zip(cells["ci_low"], cells["ci_high"], cells["ci_method"])],
        p_holm=cells["p_holm"].map(hypotheses.format_p))
    parts += [f"### {claim}", "",
              f"{cells['metric'].iloc[0]}, direction {cells['direction'].iloc[0]}, min_effect "
              f"{cells['min_effect'].iloc[0]:g}.", "",
              markdown_table(show[["setting", "dataset", "width", "n", "diff", "CI", "p_holm", "verdict", "flips"]]), ""]
  failed = [f for s in ctx.computed for f in s["failed"]]
  caveats = [f"unit failed: {f}" for f in failed]
  diverged = sum(s["num_diverged"] for s in ctx.computed)
  caveats.append(f"{diverged} of {sum(s['num_models'] for s in ctx.computed)} models diverged over all "
                 "settings; they are excluded from every cell (counts per setting above)")
  caveats.append("one factor at a time: interactions (say SGD at a high noise) are not in the map")
  return ReportContent(setting=describe_setting(base_config(c)) + "\n\nSettings (each a sweep of its own):\n\n"
                       + settings, extra_markdown="\n".join(parts), caveats=tuple(caveats),
                       findings=tuple(findings(vmap)))


STUDY = Study(
    name="verdict_map",
    question="Under which training conditions (learning rate, optimiser, data noise, depth, width, "
             "training length) do the flagship claims hold: is ReLU better, do dead units hurt narrow "
             "nets, is ReLU sparser?",
    answers=("ReLU separates entangled data better than LeakyReLU.",
             "Over-parameterisation: losing some units costs little.",
             "Sparsity helps representation: zeroed units give sparse codes that separate classes."),
    order=90, validate=validate, sweep=lambda c: None, compute=compute, tables=tables,
    hypothesis_rows=None, figures=figures, report=report, conditions={})
