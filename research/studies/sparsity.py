"""The sparsity study: is ReLU sparser than LeakyReLU, and does sparser mean more separable?

The sweep (research/sweep.py; metric families `core` for sparsity per layer and `probes` for
linear-probe separability per layer) trains and measures every run; this module then writes the
tidy tables (layers.csv: one row per model and layer; models.csv: one row per model;
spearman.csv: rank correlations of sparsity with probe accuracy), draws the figures from them and
writes the report. Layer 0 is the input; hidden layer h is the core family's `_l{h-1}` columns and
the probes family's `_l{h}` columns.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.stats

from research.hypotheses import markdown_table
from research.metrics.layer_probes import QUANTITIES
from research.studies import fit as fitting
from research.study import ReportContent, RunContext, Study, timing_line
from research.study_report import describe_setting
from research.sweep import not_diverged
from research.validation import fail, validate_study_config

IDS = ("dataset", "activation", "width", "depth", "seed")
SPARSITY = ("inactive_fraction", "dead_fraction")  # per hidden layer, from the core family


def validate(config) -> None:
  """Raises ConfigError (one line) on the first invalid value, before anything is computed."""
  validate_study_config(config)
  if "probes" not in config.eval.metrics:
    fail("eval.metrics", tuple(config.eval.metrics), "must include 'probes' in this study")
  if config.eval.expensive_seeds < config.num_seeds:
    fail("eval.expensive_seeds", config.eval.expensive_seeds,
          f"must be >= num_seeds = {config.num_seeds}: every seed needs its probes")
  # collapse_tol and rank_rtol are the probes family's knobs (checked by validate_study_config).


def layer_table(results: pd.DataFrame) -> pd.DataFrame:
  """One row per model and layer (0 = input): sparsity (hidden layers only) and probe columns."""
  ok = not_diverged(results)
  frames = []
  for depth, rows in ok.groupby("depth", sort=False):
    for layer in range(int(depth) + 1):
      cols = {f"{q}_l{layer}": q for q in QUANTITIES}
      if layer:
        cols.update({f"{q}_l{layer - 1}": q for q in SPARSITY})
      present = {k: v for k, v in cols.items() if k in rows}
      frame = rows[list(IDS) + list(present)].rename(columns=present).assign(layer=layer)
      frames.append(frame)
  table = pd.concat(frames, ignore_index=True)
  for q in (*SPARSITY, *QUANTITIES):
    if q not in table:
      table[q] = np.nan
  return table[[*IDS, "layer", *SPARSITY, *QUANTITIES]]


def model_table(results: pd.DataFrame, layers: pd.DataFrame) -> pd.DataFrame:
  """One row per model: whole-network sparsity and the mean probe accuracy of its hidden layers."""
  hidden = layers[layers["layer"] > 0]
  mean_probe = hidden.groupby(list(IDS), sort=False)["probe_acc"].mean().rename("probe_acc_hidden_mean")
  ok = not_diverged(results)
  cols = [*IDS, "train_acc", "test_acc", "inactive_fraction", "dead_fraction", "hoyer_sparsity",
          "probe_acc_last", "collapse_last"]
  return ok[[c for c in cols if c in ok]].merge(mean_probe.reset_index(), on=list(IDS), how="left")


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
  """(rho, p) of scipy.stats.spearmanr; NaN when either side is constant or has < 3 values."""
  ok = np.isfinite(x) & np.isfinite(y)
  x, y = x[ok], y[ok]
  if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
    return float("nan"), float("nan")
  with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    r = scipy.stats.spearmanr(x, y)
  return float(r.statistic), float(r.pvalue)


# (name, table, sparsity column, separability column): what each correlation pairs up.
CORRELATIONS = (
    ("models", "models", "inactive_fraction", "probe_acc_hidden_mean"),
    ("models", "models", "hoyer_sparsity", "probe_acc_hidden_mean"),
    ("models", "models", "inactive_fraction", "probe_acc_last"),
    ("(model, hidden layer) pairs", "layers", "inactive_fraction", "probe_acc"),
)


def spearman_table(models: pd.DataFrame, layers: pd.DataFrame) -> pd.DataFrame:
  """Spearman rho of sparsity vs probe accuracy per data set and activation (and all pooled)."""
  tables = dict(models=models, layers=layers[layers["layer"] > 0])
  rows = []
  for unit, table_name, x, y in CORRELATIONS:
    table = tables[table_name]
    for dataset, d in table.groupby("dataset", sort=False):
      groups = [(a, d[d["activation"] == a]) for a in dict.fromkeys(d["activation"])]
      for act, g in groups + [("all pooled", d)]:
        rho, p = spearman(g[x].to_numpy(float), g[y].to_numpy(float))
        rows.append(dict(dataset=dataset, activation=act, over=unit, sparsity=x, separability=y,
                         n=int((g[x].notna() & g[y].notna()).sum()), rho=rho, p=p))
  return pd.DataFrame(rows)


def layer_means(layers: pd.DataFrame) -> pd.DataFrame:
  """Mean per data set, activation and layer of sparsity and probe accuracy (for the report)."""
  cols = ["inactive_fraction", "dead_fraction", "probe_acc", "collapse"]
  out = layers.groupby(["dataset", "activation", "layer"], sort=False)[cols].mean().reset_index()
  # Data sets and activations in config order (the groupby kept it), then layers.
  rank = {c: {v: i for i, v in enumerate(dict.fromkeys(out[c]))} for c in ("dataset", "activation")}
  return out.sort_values(["dataset", "activation", "layer"], kind="stable",
                         key=lambda s: s.map(rank[s.name]) if s.name in rank else s)


def tables(ctx: RunContext) -> dict[str, pd.DataFrame]:
  """layers, models, spearman and fit_summary (written as CSV by the runner)."""
  layers = layer_table(ctx.results)
  models = model_table(ctx.results, layers)
  # No run is dropped here: sparsity and separability are properties of every trained network;
  # the table shows how well each cell fits its data, to read the probe accuracies against.
  return dict(layers=layers, models=models, spearman=spearman_table(models, layers),
              fit_summary=fitting.fit_table(ctx.results, 1.0))


def spearman_wide(table: pd.DataFrame) -> pd.DataFrame:
  """One row per data set and activation, one column per correlation: 'rho (p, n)'."""
  cell = table.apply(lambda r: f"{r.rho:+.2f} (p {r.p:.2g}, n {r.n})" if np.isfinite(r.rho)
                     else f"constant (n {r.n})", axis=1)
  pair = table["sparsity"] + " vs " + table["separability"] + ", over " + table["over"]
  wide = table.assign(cell=cell, pair=pair).pivot(index=["dataset", "activation"], columns="pair",
                                                  values="cell")
  rows = table[["dataset", "activation"]].drop_duplicates()
  columns = list(dict.fromkeys(pair))
  return wide.loc[list(rows.itertuples(index=False, name=None)), columns].reset_index()


def report(ctx: RunContext) -> ReportContent:
  """Correlations, per-layer means, the fit table and the caveats."""
  config, tables, results = ctx.config, ctx.tables, ctx.results
  fit = tables["fit_summary"]
  extra = ["## Does sparser mean more separable?", "",
           "Spearman rank correlation (scipy.stats.spearmanr) of sparsity with linear-probe accuracy, "
           "per data set and activation. `inactive_fraction`: share of (unit, training point) pairs "
           "with pre-activation <= 0, mean over hidden layers; `hoyer_sparsity`: Hoyer's measure of "
           "the activations (1 = one-hot, 0 = flat); `probe_acc_hidden_mean`: held-out accuracy of a "
           "logistic-regression probe on each hidden layer, averaged over the hidden layers. "
           "rho > 0: sparser goes with more separable. 'constant': one side does not vary (e.g. "
           "every probe at 1.0), so there is no rank correlation. p: scipy's t approximation, "
           "rough below n = 10.", "",
           markdown_table(spearman_wide(tables["spearman"])), "",
           "## Per layer (means over seeds; layer 0 = input)", "",
           markdown_table(layer_means(tables["layers"])), "",
           "## Training fit", "", "Every run counts here; `not_fit`: runs below 100% training "
           "accuracy.", "", markdown_table(fit.drop(columns=["dropped", "kept"])), ""]
  caveats = []
  n_div = int(results["diverged"].fillna(False).astype(bool).sum())
  if n_div:
    caveats.append(f"{n_div} of {len(results)} models diverged; they are excluded everywhere")
  not_fit = int(fit["not_fit"].sum())
  if not_fit:
    caveats.append(f"{not_fit} of {int(fit['runs'].sum())} runs do not fit their training data "
                   "(training accuracy < 1); they are kept: sparsity and separability are measured "
                   "on every trained network.")
  caveats.append("For tanh, 'inactive' means a negative pre-activation, where tanh is negative, not "
                 "zero: tanh is a reference for the layer trends, not a sparse code.")
  caveats.append("Probes are fitted and scored on a 70/30 split of the training points, so they "
                 "measure the separability of the representation of the data the network saw.")
  caveats.append("Correlations across layers mix depth with sparsity: both change with the layer "
                 "index; the per-model rows compare whole networks at one depth.")
  setting = describe_setting(config) + "\n- " + timing_line(ctx, "training, probes, tables, figures")
  return ReportContent(setting=setting, extra_markdown="\n".join(extra), caveats=tuple(caveats))


def console(ctx: RunContext) -> str:
  rows = ctx.tables["spearman"][ctx.tables["spearman"]["over"] == "models"]
  return rows.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def figures(ctx: RunContext) -> list[Path]:
  from research.figures.sparsity import draw_figures
  return draw_figures(ctx.workdir)


STUDY = Study(
    name="sparsity",
    question=("Do ReLU networks have sparser hidden layers than LeakyReLU networks, and are sparser "
              "layers (or sparser networks) more linearly separable?"),
    answers=("Sparsity helps representation: zeroed units give sparse codes that separate classes.",),
    order=40, validate=validate, tables=tables, figures=figures, report=report, console=console)
