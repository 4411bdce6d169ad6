"""The topology study: do ReLU layers simplify each class's topology faster (Naitzat et al.)?

The sweep (research/sweep.py, metric family `layer_topology`) trains every run and computes the
Betti numbers of each predicted class per layer; this module then keeps the runs that fit the
training data, writes the tidy tables (fit_summary.csv, kept_runs.csv, betti_per_layer.csv,
topology_summary.csv), draws the figures from them and writes the report.

D-II has 3-D input: research.metrics.evaluation must build its (core family) grid for inputs of
any dimension; with a 2-D-only grid its units fail and are reported as failed units.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from research.hypotheses import markdown_table
from research.studies import fit as fitting
from research.study import ReportContent, RunContext, Study, timing_line
from research.study_report import describe_setting
from research.validation import check_float, fail, validate_study_config

# Naitzat, Zhitnikov, Lim (JMLR 2020) as their code (topnn/topnn_framework) runs it: "10_by_25"
# is nine hidden layers of 25; tf.layers.dense (Glorot-uniform, zero bias); Adam at 0.02 decayed by
# 0.5 every 2500 steps, up to 12000 steps, stopping at the first check (every 1000) at 100%
# training accuracy; sklearn's kNN graph with n_neighbors = 14 including the point itself (13
# others) and Eirene's Rips complex at 2 hops.
NAITZAT = dict(widths=(15, 25, 50), depth=9, activations=("relu", "leaky_relu:0.2", "tanh"),
               optimizer="adam", lr=0.02, halve_every_steps=2500, num_steps=12000, k=13, scale=2.0,
               init="glorot", min_train_acc=1.0)
BETTI_COLUMN = re.compile(r"^betti(\d+)_c(\d+)_l(\d+)$")
# True Betti numbers of each class of the data sets at their default parameters (the generators'
# docstrings): the input layer's reading is checked against them.
TRUE_BETTI = {"d1": {0: (9, 0), 1: (1, 9)}, "d2": {0: (9, 9, 0), 1: (9, 9, 0)},
              "rings": {0: (1, 0), 1: (1, 1)}}


def validate(config) -> None:
  """Raises ConfigError (one line) on the first invalid value, before anything is computed."""
  validate_study_config(config)
  if "layer_topology" not in config.eval.metrics:
    fail("eval.metrics", tuple(config.eval.metrics), "must include 'layer_topology' in this study")
  e = config.eval
  # The Betti knobs are the layer_topology family's (checked by validate_study_config); the
  # study's own: which runs count.
  if "min_train_acc" not in e:
    fail("eval.min_train_acc", None, "must be set in this study (see configs/topology.py)")
  check_float("eval.min_train_acc", e.min_train_acc, 0.0, strict=True, high=1.0)
  check_float("eval.betti_min_train_acc", e.betti_min_train_acc, 0.0, high=e.min_train_acc)
  if e.expensive_seeds < config.num_seeds:
    fail("eval.expensive_seeds", e.expensive_seeds,
          f"must be >= num_seeds = {config.num_seeds}: every seed needs its Betti numbers")


def betti_long(results: pd.DataFrame) -> pd.DataFrame:
  """One row per run, class, Betti dimension and layer: the betti{d}_c{c}_l{l} columns, melted."""
  cols = [c for c in results.columns if BETTI_COLUMN.match(c)]
  ids = ["dataset", "activation", "width", "depth", "seed"]
  long = results.melt(id_vars=ids, value_vars=cols, var_name="column", value_name="betti")
  long = long.dropna(subset=["betti"])
  parts = long["column"].str.extract(BETTI_COLUMN.pattern).astype(int)
  long = long.assign(dim=parts[0], cls=parts[1], layer=parts[2]).drop(columns="column")
  return long[[*ids, "cls", "dim", "layer", "betti"]].reset_index(drop=True)


def topology_summary(kept: pd.DataFrame) -> pd.DataFrame:
  """Per cell: total Betti number at the input and last layer, and layers to trivial topology."""
  rows = []
  cells = ["dataset", "activation", "width", "depth"]
  for (dataset, act, width, depth), d in kept.groupby(cells, sort=False):
    reached = d["layers_to_trivial"].dropna()
    rows.append(dict(dataset=dataset, activation=act, width=width, depth=depth, kept=len(d),
                     betti_total_input=d["betti_total_l0"].mean(),
                     betti_total_last=d[f"betti_total_l{depth}"].mean(),
                     betti_total_mean=d["betti_total_mean"].mean(),
                     reached_trivial=f"{len(reached)}/{len(d)}",
                     layers_to_trivial_median=reached.median() if len(reached) else float("nan"),
                     layers_to_trivial_capped_mean=d["layers_to_trivial_capped"].mean()))
  out = pd.DataFrame(rows)
  if len(out):
    # Data sets and activations in config order (the groupby kept it), then width and depth.
    rank = {c: {v: i for i, v in enumerate(dict.fromkeys(out[c]))} for c in ("dataset", "activation")}
    out = out.sort_values(cells, kind="stable", key=lambda s: s.map(rank[s.name]) if s.name in rank
                          else s).reset_index(drop=True)
  return out


def input_check(betti: pd.DataFrame, config) -> pd.DataFrame:
  """Per data set and class: how many kept runs read the true Betti numbers at the input."""
  rows = []
  for dataset, truth_by_class in TRUE_BETTI.items():
    if dataset not in config.data.names or dict(config.data.params.get(dataset, {})):
      continue  # not trained, or not at the default parameters the truth is for
    d = betti[(betti["dataset"] == dataset) & (betti["layer"] == 0)]
    for c, truth in truth_by_class.items():
      runs = d[d["cls"] == c].pivot_table(index=["activation", "width", "depth", "seed"],
                                          columns="dim", values="betti")
      if runs.empty:
        continue
      exact = (runs[list(range(len(truth)))].to_numpy() == np.asarray(truth)).all(axis=1)
      mean = ", ".join(f"{v:.2f}" for v in runs.mean().to_numpy())
      rows.append(dict(dataset=dataset, cls=c, truth=str(truth), mean_at_input=f"({mean})",
                       exact=f"{int(exact.sum())}/{len(exact)}"))
  return pd.DataFrame(rows)


def tables(ctx: RunContext) -> dict[str, pd.DataFrame]:
  """fit_summary, kept_runs, betti_per_layer and topology_summary (written as CSV by the runner)."""
  threshold = ctx.config.eval.min_train_acc
  out = dict(fit_summary=fitting.fit_table(ctx.results, threshold),
             kept_runs=fitting.kept_runs(ctx.results, threshold))
  out["betti_per_layer"] = betti_long(out["kept_runs"])
  out["topology_summary"] = topology_summary(out["kept_runs"])
  return out


def deviations(config) -> list[str]:
  """How this config departs from Naitzat et al.'s protocol, one line each."""
  c, o, n = config, config.optim, NAITZAT
  out = []
  if tuple(c.model.widths) != n["widths"]:
    out.append(f"widths {list(c.model.widths)} (Naitzat: {list(n['widths'])})")
  if set(c.model.depths) != {n["depth"]}:
    out.append(f"depths {list(c.model.depths)} hidden layers (Naitzat: {n['depth']})")
  full_batch_adam = (n["optimizer"], (n["lr"],), "halve_every", 0)
  if (o.optimizer, tuple(o.learning_rates), o.schedule, o.batch_size) != full_batch_adam:
    out.append(f"{o.optimizer}, learning rates {list(o.learning_rates)}, schedule {o.schedule}, batch "
               f"{o.batch_size or 'full'} (Naitzat: full-batch Adam at {n['lr']}, halved)")
  if (o.num_steps, o.halve_every_steps) != (n["num_steps"], n["halve_every_steps"]):
    out.append(f"{o.num_steps} steps, learning rate halved every {o.halve_every_steps} (Naitzat: up to "
               f"{n['num_steps']}, halved every {n['halve_every_steps']}): networks are trained less far")
  if (c.eval.betti_k, c.eval.betti_scale) != (n["k"], n["scale"]):
    out.append(f"k = {c.eval.betti_k} neighbours, scale {c.eval.betti_scale:g} hops (Naitzat: "
               f"{n['k']} besides the point itself, {n['scale']:g} hops)")
  if c.eval.min_train_acc != n["min_train_acc"]:
    out.append(f"runs kept at training accuracy >= {c.eval.min_train_acc:g} (Naitzat: 100%)")
  if tuple(c.model.activations) != n["activations"]:
    out.append(f"activations {list(c.model.activations)} (Naitzat: {list(n['activations'])})")
  if c.model.init != n["init"]:
    out.append(f"initialisation {c.model.init} (Naitzat: TensorFlow's Glorot-uniform)")
  points = f"{c.num_seeds} seeds per cell, the fitting ones kept; {c.data.num_train_per_class} training points per class"
  if "d1" in c.data.names:
    points += (" (Naitzat's D-I: about 1050 disk and 6800 square points; their D-I Betti numbers "
               "are of the predictions on a finer grid of the square, ours of the training points)")
  out.append(points)
  out.append("a fixed number of steps, runs judged by their training accuracy at the end (Naitzat: "
             "stop at the first check with 100% training accuracy); staircase halving (theirs "
             "smooth, 0.5^(step/2500)); one sigmoid logit (theirs two softmax logits)")
  return out


def _setting(config, timing: str) -> str:
  e = config.eval
  lines = [describe_setting(config),
           f"- Betti numbers of each PREDICTED class on the training points, at the input (layer 0) "
           f"and every hidden layer: k = {e.betti_k} nearest-neighbour graph, hop distance, "
           f"Vietoris-Rips complex at scale {e.betti_scale:g} hops, at most {e.betti_max_points} "
           "points per class (research/metrics/layer_topology.py)",
           f"- a run counts only if it fits the training data: training accuracy >= "
           f"{e.min_train_acc:g}, not diverged",
           "- deviations from Naitzat et al.'s protocol: " + "; ".join(deviations(config))]
  if timing:
    lines.append(f"- {timing}")
  return "\n".join(lines)


def report(ctx: RunContext) -> ReportContent:
  """Verdicts on the kept runs, the fit and per-layer tables, and the caveats."""
  config, tables, verdicts = ctx.config, ctx.tables, ctx.verdicts
  kept, fit = tables["kept_runs"], tables["fit_summary"]
  extra = ["## Runs kept", "", f"Runs with training accuracy below {config.eval.min_train_acc:g} "
           "or diverged are dropped (Naitzat et al. keep only networks that fit their data).", "",
           markdown_table(fit), "", "## Topology per layer", "",
           "Total Betti number = sum over both predicted classes and every Betti dimension (2 when "
           "both classes are trivial); `reached_trivial`: kept runs in which some layer has every "
           "class at (1, 0, ...); capped mean counts never as L + 1.", "",
           markdown_table(tables["topology_summary"]) if len(tables["topology_summary"]) else
           "No run was kept.", ""]
  check = input_check(tables["betti_per_layer"], config)
  if len(check):
    extra += ["The measurement at the input (layer 0) against the true Betti numbers of each class "
              "(kept runs that read them exactly; a miss is a sampling artefact of k, the scale and "
              "the point count, and it carries into the hidden layers):", "", markdown_table(check), ""]
  caveats = fitting.dropped_caveats(fit, config.eval.min_train_acc)
  if len(kept) and kept["layers_to_trivial"].isna().all():
    caveats.append(f"No kept run reached trivial topology (every class (1, 0, ...)) at any layer, so "
                   f"layers_to_trivial_capped is depth + 1 for all {len(kept)} of them and cannot "
                   "tell the activations apart; the per-layer curves and betti_total_mean do.")
  for v in verdicts:
    small = v.cells[v.cells["n"] < 5]
    if len(small):
      caveats.append(f"`{v.hypothesis.name}`: {len(small)} of {len(v.cells)} cells have fewer than 5 "
                     f"pairs of kept runs (n = {', '.join(map(str, small['n']))}) and are "
                     "INCONCLUSIVE by the verdict rule; more seeds (--config.num_seeds) give "
                     "more pairs.")
  caveats.append("Pairs: a seed gives a pair only when both arms fit; a seed where one arm does not "
                 "fit is dropped from that comparison (so the pairs are not a random sample of "
                 "seeds: they condition on both fitting).")
  betti = tables["betti_per_layer"]
  hidden_b2 = betti[(betti["dim"] == 2) & (betti["layer"] > 0)]
  if len(hidden_b2) and hidden_b2["betti"].mean() > 0:
    caveats.append(f"Hidden layers read b2 > 0 (mean {hidden_b2['betti'].mean():.1f}) where the 3-D "
                   "input has none: a layer may create voids, or the Rips complex at this scale may "
                   "count spurious 2-cycles in high-dimensional clouds; this study does not tell which.")
  caveats.append("Betti numbers depend on k, the scale and the number of points per class; they are "
                 "comparable across activations here (equal settings), not with Naitzat's numbers.")
  if config.eval.min_train_acc == 1.0:
    caveats.append("Classes are the networks' predictions on the training points; kept runs predict "
                   "every training point right, so these are the true classes.")
  else:
    caveats.append("Classes are the networks' predictions on the training points; below 100% "
                   "training accuracy they differ from the true classes on a few points.")
  timing = timing_line(ctx, "training, Betti numbers, tables, figures")
  return ReportContent(setting=_setting(config, timing), extra_markdown="\n".join(extra),
                       caveats=tuple(caveats))


def console(ctx: RunContext) -> str:
  lines = [markdown_table(ctx.tables["fit_summary"])]
  if len(ctx.tables["topology_summary"]):
    lines.append(ctx.tables["topology_summary"].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
  return "\n".join(lines)


def figures(ctx: RunContext) -> list[Path]:
  from research.figures.topology import draw_figures
  return draw_figures(ctx.workdir)


STUDY = Study(
    name="topology",
    question=("Do the Betti numbers of each class fall in fewer layers through ReLU networks than "
              "through LeakyReLU(0.2) and tanh networks (Naitzat et al., JMLR 2020)?"),
    answers=("Non-injective maps disentangle: ReLU layers change the topology of the data faster "
             "than homeomorphic (LeakyReLU, tanh) layers (Naitzat et al.).",),
    order=30, validate=validate, tables=tables, hypothesis_rows=lambda ctx: ctx.tables["kept_runs"],
    figures=figures, report=report, console=console)
