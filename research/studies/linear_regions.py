"""The linear_regions study: exact region counts and densities vs neurons, depth and activation.

A sweep (research/sweep.py) over total hidden neurons x depth (`model.neurons`: each total split
equally over the layers) x activation: every activation of a family and every seed is one model of
a unit, vmapped together (same seed = same initial weights and data for ReLU and LeakyReLU, so
they are paired). One engine run per unit returns the parameters at every `eval.checkpoint_steps`;
with a schedule that does not depend on the run length, the parameters at step s equal those of a
run of s steps (tests/test_study_linear_regions.py checks this bit for bit).

Per model and step (the checkpoints, then the final step): the exact number of region boundaries
crossed per unit length along random chords of the domain (metric family `line_density`, every
seed), the exact number of activation regions in the domain (family `region_count`, seeds
0..eval.expensive_seeds-1), and accuracy. The study's long table (regions.csv: one row per model
and step), the slope fits (slopes.csv) and the chords (lines.csv) are written from the sweep's
tables; the figures are drawn from regions.csv alone.
"""

from __future__ import annotations

import math
from pathlib import Path

import jax
import numpy as np
import pandas as pd
import scipy.stats

from research import datasets
from research.activations import parse_activation
from research.hypotheses import markdown_table
from research.metrics.line_density import random_chords
from research.study import ReportContent, RunContext, Study, timing_line
from research.sweep import data_keys, not_diverged
from research.validation import fail, validate_study_config

# Schedules whose multiplier at step t does not depend on num_steps (cosine does): only then is a
# checkpoint of a long run the same as a short run stopped there.
PREFIX_SCHEDULES = ("constant", "halve_every")
METRICS = ("line_density", "region_count")


def validate(c) -> None:
  """Raises ConfigError (one line) on the first invalid value, before anything is computed."""
  validate_study_config(c)
  for family in METRICS:
    if family not in c.eval.metrics:
      fail("eval.metrics", tuple(c.eval.metrics), f"must include {family!r} in this study")
  if "neurons" not in c.model:
    fail("model.neurons", None, "must be set in this study: total hidden neurons, split equally "
         "over each depth (see configs/linear_regions.py)")
  for spec in c.data.names:
    name, params = datasets.dataset_params(c.data, spec)
    tiny = datasets.make_dataset(name, jax.random.key(0), **dict(
        params, num_train_per_class=1, num_test_per_class=1))
    if tiny.x_train.shape[1] != 2:
      fail("data.names", spec, f"has {tiny.x_train.shape[1]}-D inputs; regions are enumerated on "
           "2-D inputs only")
  for spec in c.model.activations:
    act = parse_activation(spec)
    if act.pwl() is None or act.kind.learned_slope:
      fail("model.activations", spec, "must be piecewise linear with a fixed slope (regions are "
           "undefined for smooth activations; prelu's slope is learned per layer)")
  if c.optim.schedule not in PREFIX_SCHEDULES:
    fail("optim.schedule", c.optim.schedule, f"valid schedules: {', '.join(PREFIX_SCHEDULES)} (a "
         "checkpoint must equal a shorter run stopped there)")


def steps_table(ctx: RunContext) -> pd.DataFrame:
  """One row per model and step: the checkpoints, then the final step (results.csv)."""
  final = ctx.results.assign(step=ctx.config.optim.num_steps)
  path = ctx.sweep_dir / "checkpoints.csv"
  parts = [pd.read_csv(path)] if path.exists() else []
  table = pd.concat([*parts, final], ignore_index=True)
  cols = ["dataset", "activation", "activation_name", "family", "slope", "neurons", "depth", "width",
          "init", "lr", "seed", "step", "diverged", "train_acc", "test_acc", "density",
          "regions_per_line", "num_regions", "unit", "model_index"]
  table = table[cols].sort_values(["unit", "step", "model_index"], kind="stable").reset_index(drop=True)
  table["log2_density"] = np.log2(table["density"].where(table["density"] > 0))
  table["log2_regions"] = np.log2(table["num_regions"])
  return table


def chords_table(ctx: RunContext) -> pd.DataFrame:
  """The chords every model was measured on (line_density's, from the data sets' domain)."""
  frames = []
  for spec in ctx.config.data.names:
    name, params = datasets.dataset_params(ctx.config.data, spec)
    boxes = [np.asarray(datasets.make_dataset(name, k, **params).domain) for k in data_keys(ctx.config, spec)]
    domain = np.stack([np.min([b[:, 0] for b in boxes], 0), np.max([b[:, 1] for b in boxes], 0)], 1)
    p0, p1 = random_chords(domain, ctx.config.eval.num_lines, ctx.config.seed)
    frames.append(pd.DataFrame(dict(dataset=spec, x0=p0[:, 0], y0=p0[:, 1], x1=p1[:, 0], y1=p1[:, 1],
                                    length=np.linalg.norm(p1 - p0, axis=1))))
  return pd.concat(frames, ignore_index=True)


def tables(ctx: RunContext) -> dict[str, pd.DataFrame]:
  """regions (one row per model and step), slopes and lines."""
  long = steps_table(ctx)
  slopes = pd.concat([slope_table(long, "density").assign(metric="density"),
                      slope_table(long, "num_regions").assign(metric="num_regions")], ignore_index=True)
  return dict(regions=long, slopes=slopes, lines=chords_table(ctx))


def set_steps(config, steps: list[int]) -> None:
  """Measure exactly at `steps`: train to the last, checkpoints at the others."""
  config.optim.num_steps = max(steps)
  config.eval.checkpoint_steps = tuple(sorted(s for s in steps if s != max(steps)))


def hypothesis_rows(ctx: RunContext) -> pd.DataFrame:
  # `width` is a design column, and it differs between depths at fixed neurons: as a pairing key
  # it would leave no pairs for a depth factor. Neurons and depth determine it, so drop it.
  return ctx.tables["regions"].drop(columns=["width"])


# ----------------------------------------------------------------------------- analysis

def fit_loglog(x: np.ndarray, y: np.ndarray, log_x: bool = True) -> dict:
  """Least-squares slope of log(y) on log(x) (or on x) with a 95% t interval; NaN if < 3 points."""
  x, y = np.asarray(x, float), np.asarray(y, float)
  keep = np.isfinite(x) & np.isfinite(y) & (y > 0) & ((x > 0) | (not log_x))
  x, y = (np.log(x[keep]) if log_x else x[keep]), np.log(y[keep])
  if len(x) < 3 or np.ptp(x) == 0:
    return dict(slope=math.nan, ci_low=math.nan, ci_high=math.nan, r=math.nan, n=int(len(x)))
  fit = scipy.stats.linregress(x, y)
  half = scipy.stats.t.ppf(0.975, len(x) - 2) * fit.stderr
  return dict(slope=fit.slope, ci_low=fit.slope - half, ci_high=fit.slope + half, r=fit.rvalue, n=int(len(x)))


def slope_table(results: pd.DataFrame, metric: str = "density") -> pd.DataFrame:
  """Slopes per activation and step: log-log on neurons (per depth, and all depths), and per layer.

  `neurons` rows: exponent b of metric ~ neurons^b at fixed depth (Hanin & Rolnick: b about 1).
  `depth` rows: log2 change of the metric per added layer at fixed neurons (exponential growth in
  depth would make it a constant > 0; doublings per layer).
  """
  ok = not_diverged(results)
  out = []
  for (act, step), g in ok.groupby(["activation", "step"], sort=False):
    for depth, gd in [*g.groupby("depth"), ("all", g)]:
      out.append(dict(activation=act, step=step, fit="log metric on log neurons", at=f"depth {depth}",
                      **fit_loglog(gd["neurons"], gd[metric])))
    for neurons, gn in g.groupby("neurons"):
      f = fit_loglog(gn["depth"], gn[metric], log_x=False)
      f.update({k: f[k] / math.log(2) for k in ("slope", "ci_low", "ci_high")})  # per layer, in doublings
      out.append(dict(activation=act, step=step, fit="log2 metric per layer", at=f"{neurons} neurons", **f))
  return pd.DataFrame(out)


def describe_setting(c, results: pd.DataFrame) -> str:
  o = c.optim
  steps = [*c.eval.checkpoint_steps, o.num_steps]
  widths = sorted({n // d for n in c.model.neurons for d in c.model.depths})
  return "\n".join([
      f"- data: {', '.join(c.data.names)}, {c.data.num_train_per_class} training and "
      f"{c.data.num_test_per_class} test points per class, noise {c.data.noise}; one draw per seed",
      f"- total hidden neurons {list(c.model.neurons)} split equally over {list(c.model.depths)} layers "
      f"(widths {widths}), init {c.model.init}",
      f"- activations: {', '.join(c.model.activations)}; the same seed gives the same initial weights and "
      "data to every activation (paired)",
      f"- {o.optimizer}, lr {list(o.learning_rates)}, schedule {o.schedule}, "
      + ("full batch" if not o.batch_size else f"batch {o.batch_size}"),
      f"- measured at steps {steps} (step 0 = initialisation) of one run per unit; the schedule does "
      "not depend on the run length, so each equals a run of that many steps",
      f"- {c.num_seeds} seeds; exact 2-D region counts for seeds 0..{c.eval.expensive_seeds - 1}; "
      f"densities along {c.eval.num_lines} random chords of the domain (the same chords for every "
      "model, in lines.csv)",
      f"- {len(results)} rows (models x steps) in regions.csv",
  ])


def slopes_markdown(slopes: pd.DataFrame) -> str:
  """The slope tables of the report (ReLU; every activation is in slopes.csv)."""
  fmt = lambda t: t.assign(**{"95% CI": [f"[{a:.2f}, {b:.2f}]" for a, b in zip(t["ci_low"], t["ci_high"])]})
  cols = ["step", "at", "slope", "95% CI", "n", "r"]
  relu = slopes[slopes["activation"] == (slopes["activation"].iloc[0] if "relu" not in set(slopes["activation"])
                                         else "relu")]
  act = relu["activation"].iloc[0] if len(relu) else ""
  on_n = fmt(relu[relu["fit"] == "log metric on log neurons"])
  on_d = fmt(relu[relu["fit"] == "log2 metric per layer"])
  return "\n".join([
      "## Slopes of the density", "",
      f"Exponent b of density ~ neurons^b at fixed depth ({act}; scipy.stats.linregress of log density "
      "on log neurons over every seed, 95% t interval). Hanin & Rolnick: b about 1.", "",
      markdown_table(on_n[cols]), "",
      f"Change of log2 density per added layer at fixed total neurons ({act}; doublings per layer). "
      "Growth exponential in depth would make this a constant clearly above 0.", "",
      markdown_table(on_d[cols]), "",
      "Every activation and the same fits for the 2-D region count are in slopes.csv.", ""])


def headline_findings(results: pd.DataFrame, slopes: pd.DataFrame) -> list[str]:
  """One-line results with their numbers: exponents, per-layer rates, counts, ReLU vs LeakyReLU."""
  ok = not_diverged(results)
  act = "relu" if "relu" in set(ok["activation"]) else ok["activation"].iloc[0]
  dens = slopes[(slopes["metric"] == "density") & (slopes["activation"] == act)]
  steps = sorted(ok["step"].unique())
  ends = [steps[0], steps[-1]] if len(steps) > 1 else steps
  out = []
  pooled = dens[(dens["fit"] == "log metric on log neurons") & (dens["at"] == "depth all")].set_index("step")
  if all(s in pooled.index and np.isfinite(pooled.loc[s, "slope"]) for s in ends):
    out.append(f"{act}: regions crossed per unit length grow as neurons^b with b = " + ", ".join(
        f"{pooled.loc[s, 'slope']:.2f} [{pooled.loc[s, 'ci_low']:.2f}, {pooled.loc[s, 'ci_high']:.2f}] at step {s}"
        for s in ends) + " (all depths pooled, 95% CI; Hanin & Rolnick: 1)")
  per_layer = dens[dens["fit"] == "log2 metric per layer"]
  for s in ends:
    rates = per_layer[per_layer["step"] == s].dropna(subset=["slope"])
    if len(rates):
      out.append(f"{act}, step {s}: at fixed total neurons each added layer changes the density by "
                 f"{rates['slope'].min():+.2f} to {rates['slope'].max():+.2f} doublings (one fit per "
                 f"neuron total; 95% CIs within [{rates['ci_low'].min():+.2f}, {rates['ci_high'].max():+.2f}])")
  counts = ok[ok["activation"] == act].dropna(subset=["num_regions"])
  if len(counts):
    for s in ends:
      at = counts[counts["step"] == s]
      per = (at["num_regions"] / at["neurons"]).median(), (at["num_regions"] / at["neurons"] ** 2).median()
      out.append(f"{act}, step {s}: exact 2-D count / neurons has median {per[0]:.1f} and count / "
                 f"neurons^2 {per[1]:.2f} (all depths)")
  keys = ["neurons", "depth", "seed", "step"]
  base = ok[ok["activation"] == "relu"].set_index(keys)["density"]
  for spec in [a for a in dict.fromkeys(ok["activation"]) if a != "relu"]:
    other = ok[ok["activation"] == spec].set_index(keys)["density"]
    ratio = np.log2((other / base).dropna()).groupby(level="step").mean()
    if len(ratio):
      out.append(f"{spec} / relu from the same initial weights: geometric-mean density ratio " + ", ".join(
          f"{2 ** ratio[s]:.2f} at step {s}" for s in ends if s in ratio.index))
  return out


def report(ctx: RunContext) -> ReportContent:
  c, results, slopes = ctx.config, ctx.tables["regions"], ctx.tables["slopes"]
  ok = not_diverged(results)
  first = ok["activation"].iloc[0]
  means = ok[ok["activation"] == first].pivot_table(index=["step", "depth"], columns="neurons",
                                                    values="num_regions", aggfunc="mean")
  table = means.round(0).astype("Int64").reset_index().rename(
      columns=lambda n: f"{n} neurons" if isinstance(n, (int, np.integer)) else n)
  extra = [slopes_markdown(slopes[slopes["metric"] == "density"]),
           f"## Mean exact region count in the domain ({first}, seeds 0..{c.eval.expensive_seeds - 1})", "",
           markdown_table(table), ""]
  caveats = [
      f"init `{c.model.init}` has zero biases: at step 0 the network is positively homogeneous, every "
      "region is a cone with its apex at the origin, and the 2-D count grows linearly in the neurons "
      "(about 2 per neuron); once training has made the biases non-zero it grows about as neurons^2, "
      "as n lines in general position make about n^2/2 regions" if c.model.init != "rai" else
      "init `rai` draws non-zero biases and one positive weight per unit, unlike the He init of Hanin & Rolnick",
      "counts are of activation regions (distinct patterns), an upper bound on the affine pieces of the "
      "function (adjacent regions can share a map, e.g. through a dead unit); slivers below 1e-12 of "
      "the domain area are merged into a neighbour (research/metrics/regions.py)",
      "densities are boundaries crossed per unit length, (regions on the chord - 1) / length, "
      "averaged over chords through uniform points at uniform angles (longer chords are favoured)",
      "seeds of ReLU and LeakyReLU share initial weights, so activations are not independent samples; "
      "the slope fits are per activation",
  ]
  if c.eval.expensive_seeds < c.num_seeds:
    caveats.append(f"exact 2-D counts only for {c.eval.expensive_seeds} of {c.num_seeds} seeds")
  n_div = int(results["diverged"].sum())
  if n_div:
    caveats.append(f"{n_div} of {len(results)} model-steps diverged and are excluded")
  setting = describe_setting(c, results) + "\n- " + timing_line(ctx, "training, densities, counts, figures")
  return ReportContent(setting=setting, extra_markdown="\n".join(extra), caveats=tuple(caveats),
                       findings=tuple(headline_findings(results, slopes)))


def figures(ctx: RunContext) -> list[Path]:
  from research.figures.linear_regions import plot_study
  return plot_study(ctx.workdir)


STUDY = Study(
    name="linear_regions",
    question="Does the number of linear regions of a ReLU network grow with its total number of "
             "neurons or exponentially with its depth, at initialisation and through training "
             "(Hanin & Rolnick)? Does LeakyReLU, which has the same breakpoints, give the same counts?",
    answers=("The geometry: linear regions grow with neurons, not exponentially with depth "
             "(Hanin & Rolnick); LeakyReLU has the same breakpoints.",),
    order=60, validate=validate, tables=tables, hypothesis_rows=hypothesis_rows, figures=figures,
    columns=("neurons", "step", "log2_density", "log2_regions"),
    report=report, conditions={"neurons": "model.neurons", "depth": "model.depths",
                               "activation": "model.activations", "dataset": "data.names",
                               "lr": "optim.learning_rates", "step": set_steps})
