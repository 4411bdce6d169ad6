"""The dying-ReLU study: born-dead probability at initialisation, and dead units after training.

Part (a) estimates Lu et al.'s born-dead probability (some hidden layer inactive on every point of
the input domain, so the output is constant) by simulation. One depth-L_max network per random
init gives every depth at once: the first L hidden layers of a depth-L_max network are distributed
(and, with the same key, built) exactly as a depth-L network, so "born dead at depth L" is "some of
the first L layers dead". Part (b) is a sweep (research/sweep.py) of ReLU and LeakyReLU over width
x learning rate in <workdir>/trained. Figures and the report are drawn from the CSV files only.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")  # files only
import matplotlib.pyplot as plt
import ml_collections
import numpy as np
import pandas as pd
import seaborn as sns
from flax import nnx

from research import provenance
from research.activations import parse_activation
from research.cli import usage_error
from research.hypotheses import markdown_table
from research.metrics.sparsity import born_dead_closed_form
from research.models import INITIALISERS, MLP
from research.report import write_report
from research.store import atomic_write_csv, atomic_write_json, stable_hash
from research.study_report import describe_setting, evaluate_study_hypotheses
from research.sweep import run_sweep
from research.validation import ConfigError, _fail, _float, _int, _sequence, validate_study_config

CI = ("ci", 95)
LU_DEPTH = 10
# Lu et al. (2020), 10-layer ReLU networks with symmetric init: approximate reported values.
LU_REPORTED = {3: (0.6, "about 60%"), 5: (0.1, "over 10%"), 10: (0.01, "under 1%")}
DOMAIN, SINGLE = "domain", "single_input"


# ----------------------------------------------------------------------------- config

def validate(config: ml_collections.ConfigDict) -> None:
  """Raises ConfigError (one line) on the first invalid value of the whole study config."""
  b = config.born_dead
  for w in _sequence("born_dead.widths", b.widths):
    _int("born_dead.widths", w, 1, 4096)
  depths = [_int("born_dead.depths", d, 1, 1000) for d in _sequence("born_dead.depths", b.depths)]
  for init in _sequence("born_dead.inits", b.inits):
    if init not in INITIALISERS:
      _fail("born_dead.inits", init, f"valid initialisers: {', '.join(sorted(INITIALISERS))}")
  _int("born_dead.num_inits", b.num_inits, 10, 10_000_000)
  _float("born_dead.domain_half_width", b.domain_half_width, 0.0, strict=True)
  _int("born_dead.points_per_side", b.points_per_side, 2, 1000)
  if len(_sequence("born_dead.single_input", b.single_input)) != 2:
    _fail("born_dead.single_input", b.single_input, "must be one 2-D point (x1, x2)")
  for v in b.single_input:
    _float("born_dead.single_input", v, -math.inf)
  if b.lu_depth not in depths:
    _fail("born_dead.lu_depth", b.lu_depth, f"must be one of born_dead.depths {depths}")
  _int("born_dead.inits_per_call", b.inits_per_call, 1)
  validate_study_config(training_config(config))


def training_config(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """The sweep part of the study config (everything but `born_dead`), unlocked."""
  d = config.to_dict()
  d.pop("born_dead")
  return ml_collections.ConfigDict(d)


# ----------------------------------------------------------------------------- born dead

def domain_grid(half_width: float, per_side: int) -> np.ndarray:
  """(per_side^2, 2) grid of the square [-half_width, half_width]^2, corners included."""
  axis = np.linspace(-half_width, half_width, per_side, dtype=np.float32)
  return np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)


@functools.partial(jax.jit, static_argnames=("width", "max_depth", "init", "batch"))
def born_dead_flags(keys: jax.Array, points: jax.Array, single: jax.Array, *, width: int,
                    max_depth: int, init: str, batch: int) -> jax.Array:
  """(num_inits, 2, max_depth) bool: born dead at depth 1..max_depth, [0] on `points`, [1] at `single`."""
  relu = parse_activation("relu")
  x = jnp.concatenate([points, single[None, :]])

  def one(key):
    model = MLP(x.shape[1], (width,) * max_depth, 2, relu, init, rngs=nnx.Rngs(params=key))
    _, inter = model(x)
    inactive = [z <= 0 for z in inter["pre"]]
    dead = jnp.stack([jnp.stack([jnp.all(a[:-1]), jnp.all(a[-1])]) for a in inactive], -1)
    return jnp.cumsum(dead, axis=-1) > 0  # some layer among the first L is dead

  return jax.lax.map(one, keys, batch_size=batch)


def wilson_interval(k: float, n: int, z: float = 1.959964) -> tuple[float, float]:
  """95% Wilson score interval of a binomial proportion k/n (sane at 0 and 1, unlike k/n +- z se)."""
  p = k / n
  centre = (p + z * z / (2 * n)) / (1 + z * z / n)
  half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
  return max(0.0, centre - half), min(1.0, centre + half)


def born_dead_table(b: ml_collections.ConfigDict, seed: int, progress: bool = False) -> pd.DataFrame:
  """One row per init x width x depth x place (domain grid / single input): estimate and 95% CI."""
  points = jnp.asarray(domain_grid(b.domain_half_width, b.points_per_side))
  single = jnp.asarray(b.single_input, jnp.float32)
  max_depth = max(b.depths)
  rows = []
  for i, init in enumerate(b.inits):
    for width in b.widths:
      key = jax.random.fold_in(jax.random.fold_in(jax.random.key(seed), i), width)
      flags = born_dead_flags(jax.random.split(key, b.num_inits), points, single, width=width,
                              max_depth=max_depth, init=init, batch=min(b.inits_per_call, b.num_inits))
      counts = np.asarray(flags.sum(0))
      if progress:
        print(f"born dead: {init} width {width}: P at depth {max_depth} = "
              f"{counts[0, -1] / b.num_inits:.3f} (domain)", flush=True)
      for where, c in ((DOMAIN, counts[0]), (SINGLE, counts[1])):
        for depth in b.depths:
          k = int(c[depth - 1])
          low, high = wilson_interval(k, b.num_inits)
          rows.append(dict(init=init, place=where, width=width, depth=depth, num_inits=b.num_inits,
                           num_dead=k, p_born_dead=k / b.num_inits, ci_low=low, ci_high=high,
                           closed_form=born_dead_closed_form(width, depth)))
  return pd.DataFrame(rows)


def lu_comparison(table: pd.DataFrame) -> pd.DataFrame:
  """Ours next to Lu et al.'s reported 10-layer values, for the widths both have."""
  at = table[table["depth"] == LU_DEPTH]
  rows = []
  for width, (_, text) in LU_REPORTED.items():
    cell = at[at["width"] == width]
    if cell.empty:
      continue
    row = dict(width=width, depth=LU_DEPTH, lu_et_al=text,
               closed_form_single_input=born_dead_closed_form(width, LU_DEPTH))
    for (init, place), r in cell.set_index(["init", "place"]).iterrows():
      row[f"{init}_{place}"] = r["p_born_dead"]
    rows.append(row)
  return pd.DataFrame(rows)


def compute_born_dead(config, workdir: Path, progress: bool) -> pd.DataFrame:
  """born_dead.csv in the workdir, recomputed only when its settings changed."""
  settings = dict(born_dead=config.born_dead.to_dict(), seed=config.seed)
  marker, path = workdir / "born_dead_settings.json", workdir / "born_dead.csv"
  if path.exists() and marker.exists() and json.loads(marker.read_text()).get("hash") == stable_hash(settings):
    return pd.read_csv(path)
  table = born_dead_table(config.born_dead, config.seed, progress)
  atomic_write_csv(path, table)
  atomic_write_json(marker, dict(settings, hash=stable_hash(settings), provenance=provenance.collect()))
  return table


# ----------------------------------------------------------------------------- figures

def _save(fig, path: Path) -> Path:
  path.parent.mkdir(parents=True, exist_ok=True)
  fig.savefig(path, dpi=120, bbox_inches="tight")
  plt.close(fig)
  return path


def born_dead_heatmaps(table: pd.DataFrame, path: Path) -> Path:
  """P(born dead) on the domain, depth x width, one annotated panel per initialisation."""
  data = table[table["place"] == DOMAIN]
  inits = list(dict.fromkeys(data["init"]))
  fig, axes = plt.subplots(1, len(inits), figsize=(0.75 * data["width"].nunique() * len(inits) + 2, 5),
                           squeeze=False)
  for ax, init in zip(axes[0], inits):
    grid = data[data["init"] == init].pivot(index="depth", columns="width", values="p_born_dead")
    sns.heatmap(grid, ax=ax, annot=True, fmt=".2f", vmin=0, vmax=1, cmap="rocket_r",
                annot_kws=dict(fontsize=8), cbar_kws=dict(label="P(born dead)"))
    ax.invert_yaxis()  # depth grows upwards
    ax.set_xlabel("hidden width (units per layer)")
    ax.set_ylabel("depth (hidden layers)")
    ax.set_title(f"init {init}")
  n = int(data["num_inits"].iloc[0])
  fig.suptitle(f"Born-dead probability over the input domain, {n} random networks per cell", y=1.02)
  fig.tight_layout()
  return _save(fig, path)


def born_dead_vs_width(table: pd.DataFrame, depth: int, path: Path) -> Path:
  """P(born dead) vs width at one depth: estimates (95% Wilson CI), closed form, Lu et al."""
  data = table[table["depth"] == depth].sort_values("width")
  fig, ax = plt.subplots(figsize=(7.5, 4.8))
  styles = {DOMAIN: "-", SINGLE: ":"}
  for (init, place), g in data.groupby(["init", "place"], sort=False):
    ax.errorbar(g["width"], g["p_born_dead"], yerr=[g["p_born_dead"] - g["ci_low"], g["ci_high"] - g["p_born_dead"]],
                linestyle=styles[place], marker="o", markersize=4, capsize=3,
                label=f"{init}, {'whole domain' if place == DOMAIN else 'single input'}")
  widths = np.arange(data["width"].min(), data["width"].max() + 1)
  ax.plot(widths, [born_dead_closed_form(int(w), depth) for w in widths], color="k", linewidth=1,
          label=r"closed form $1-(1-2^{-N})^L$ (single input)")
  if depth == LU_DEPTH:
    lw = [w for w in LU_REPORTED if data["width"].min() <= w <= data["width"].max()]
    ax.scatter(lw, [LU_REPORTED[w][0] for w in lw], marker="X", s=120, color="crimson", zorder=5,
               label="Lu et al., reported (approximate)")
  ax.set_xscale("log", base=2)
  ax.set_xticks(sorted(data["width"].unique()))
  ax.set_xticklabels(sorted(data["width"].unique()))
  ax.set_xlabel("hidden width (units per layer, log scale)")
  ax.set_ylabel("P(born dead) (fraction of random inits)")
  ax.set_ylim(-0.02, 1.02)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  ax.set_title(f"Born-dead probability at depth {depth}, 95% Wilson intervals")
  return _save(fig, path)


def _ok(results: pd.DataFrame) -> pd.DataFrame:
  return results[~results["diverged"].astype(bool)]


def dead_fraction_heatmap(results: pd.DataFrame, path: Path) -> Path:
  """Mean dead-unit fraction after training, learning rate x width, per activation and data set."""
  ok = _ok(results)
  acts, sets = list(dict.fromkeys(results["activation"])), list(dict.fromkeys(results["dataset"]))
  fig, axes = plt.subplots(len(sets), len(acts), figsize=(4.8 * len(acts), 3.2 * len(sets)), squeeze=False)
  for i, dataset in enumerate(sets):
    for j, act in enumerate(acts):
      cell = ok[(ok["dataset"] == dataset) & (ok["activation"] == act)]
      grid = cell.pivot_table(index="lr", columns="width", values="dead_fraction", aggfunc="mean")
      sns.heatmap(grid, ax=axes[i, j], annot=True, fmt=".2f", vmin=0, vmax=1, cmap="rocket_r",
                  cbar_kws=dict(label="dead-unit fraction"))
      axes[i, j].set_xlabel("hidden width (units per layer)")
      axes[i, j].set_ylabel("Adam learning rate")
      axes[i, j].set_title(f"{act} on {dataset}")
  n = int(results["diverged"].sum())
  fig.suptitle("Units inactive on every training point after training, mean over seeds"
               + (f" ({n} diverged models excluded)" if n else ""), y=1.02)
  fig.tight_layout()
  return _save(fig, path)


def accuracy_vs_width(results: pd.DataFrame, path: Path) -> Path:
  """Test accuracy vs width by activation, one panel per data set x learning rate (95% CI)."""
  ok = _ok(results)
  g = sns.relplot(data=ok, x="width", y="test_acc", hue="activation", col="lr", row="dataset",
                  kind="line", errorbar=CI, marker="o", height=3.2, aspect=1.2,
                  hue_order=list(dict.fromkeys(results["activation"])))
  g.set_axis_labels("hidden width (units per layer, log scale)", "test accuracy (fraction)")
  g.set_titles("{row_name}, learning rate {col_name}")
  widths = sorted(ok["width"].unique())
  for ax in g.axes.flat:
    ax.set_xscale("log", base=2)
    ax.set_xticks(widths)
    ax.set_xticklabels(widths)
    ax.grid(alpha=0.3)
  n = int(results["diverged"].sum())
  g.figure.suptitle("Test accuracy vs width, mean and 95% CI over seeds"
                    + (f" ({n} diverged models excluded)" if n else ""), y=1.03)
  return _save(g.figure, path)


def draw_figures(workdir: Path, curve_depth: int) -> list[Path]:
  """Every figure of the study, from born_dead.csv and trained/results.csv."""
  table = pd.read_csv(workdir / "born_dead.csv")
  results = pd.read_csv(workdir / "trained" / "results.csv")
  figs = workdir / "figures"
  return [born_dead_heatmaps(table, figs / "born_dead_heatmaps.png"),
          born_dead_vs_width(table, curve_depth, figs / "born_dead_vs_width.png"),
          dead_fraction_heatmap(results, figs / "dead_fraction_heatmap.png"),
          accuracy_vs_width(results, figs / "accuracy_vs_width.png")]


# ----------------------------------------------------------------------------- report

def accuracy_gap_table(results: pd.DataFrame) -> pd.DataFrame:
  """Mean paired LeakyReLU - ReLU test accuracy and mean dead fractions per width x lr."""
  ok = _ok(results)
  keys = ["dataset", "width", "depth", "lr", "seed"]
  relu = ok[ok["activation"] == "relu"].set_index(keys)
  leaky = ok[ok["activation"] != "relu"].set_index(keys)
  both = relu[["test_acc", "dead_fraction"]].join(leaky[["test_acc", "dead_fraction"]], lsuffix="_relu",
                                                  rsuffix="_leaky", how="inner").reset_index()
  both["gap"] = both["test_acc_leaky"] - both["test_acc_relu"]
  return (both.groupby(["width", "lr"])
          .agg(pairs=("gap", "size"), dead_relu=("dead_fraction_relu", "mean"),
               dead_leaky=("dead_fraction_leaky", "mean"), acc_relu=("test_acc_relu", "mean"),
               acc_leaky=("test_acc_leaky", "mean"), leaky_minus_relu=("gap", "mean"))
          .reset_index())


def _setting(config) -> str:
  b = config.born_dead
  n = b.points_per_side
  return "\n".join([
      f"- born dead (a): ReLU MLPs, input dimension 2, widths {list(b.widths)} x depths "
      f"{list(b.depths)}, inits {list(b.inits)}, zero bias except RAI; {b.num_inits} random networks "
      f"per cell; 'whole domain' = some hidden layer inactive on all {n}x{n} grid points of "
      f"[-{b.domain_half_width:g}, {b.domain_half_width:g}]^2; 'single input' = the same at x = "
      f"{tuple(b.single_input)}; 95% Wilson intervals",
      describe_setting(training_config(config)).replace("- data sets", "- training (b): data sets", 1),
      "- dead fraction: units inactive (pre-activation <= 0) on every training point after training",
  ])


def _caveats(config, results: pd.DataFrame, notes: list[str], failed: list[str]) -> list[str]:
  b = config.born_dead
  caveats = [
      "The domain is represented by a grid: a layer dead on every grid point may be alive between "
      "them, so the 'whole domain' estimate is an upper bound (slightly) of the continuous one.",
      f"The born-dead domain is [-{b.domain_half_width:g}, {b.domain_half_width:g}]^2, while spirals "
      "and rings span about [-5, 5]^2: with zero bias (He) the scale is irrelevant, with RAI's "
      "biases it is not.",
      "Lu et al.'s values are approximate readings of their 10-layer results; their input dimension "
      "and domain may differ from ours, so agreement is expected in trend and rough size only.",
      "For LeakyReLU a 'dead' unit is in its negative regime on every training point but still "
      "passes a gradient (x0.01); only ReLU's dead units are frozen.",
      "Training uses the truncated-normal He init ('he'); part (a) uses He normal as Lu et al. did.",
  ]
  n_div = int(results["diverged"].sum())
  if n_div:
    caveats.append(f"{n_div} of {len(results)} trained models diverged; excluded from figures, tables "
                   "and statistics")
  return caveats + notes + [f"unit failed: {f}" for f in failed]


def write_study_report(config, workdir: Path, figures: list[Path], failed: list[str]) -> tuple[Path, Path]:
  table = pd.read_csv(workdir / "born_dead.csv")
  results = pd.read_csv(workdir / "trained" / "results.csv")
  verdicts, notes = evaluate_study_hypotheses(config.study, results)
  depth = config.born_dead.lu_depth
  curve = table[table["depth"] == depth].pivot_table(index="width", columns=["init", "place"],
                                                      values="p_born_dead")
  curve.columns = [f"{i} {p}" for i, p in curve.columns]
  curve = curve.reset_index().assign(closed_form=lambda d: [born_dead_closed_form(int(w), depth)
                                                            for w in d["width"]])
  extra = "\n".join([
      "## Born dead: ours next to Lu et al. (10 hidden layers)", "",
      markdown_table(lu_comparison(table)), "",
      f"## Born dead at depth {depth}, every width", "", markdown_table(curve), "",
      "## After training: dead units and the LeakyReLU - ReLU accuracy gap", "",
      "Means over data sets and paired seeds (same seed: same data draw and initial key).", "",
      markdown_table(accuracy_gap_table(results)),
  ])
  return write_report(workdir, title=f"Study: {config.study}", question=config.question,
                      setting=_setting(config), verdicts=verdicts, figures=figures,
                      caveats=_caveats(config, results, notes, failed), extra_markdown=extra)


# ----------------------------------------------------------------------------- entry

def run(config, workdir: str | Path, *, overwrite: bool = False, draw: bool = True,
        progress: bool = True) -> int:
  """The whole study; returns the exit status (2 on bad config or workdir, before any compute)."""
  workdir = Path(workdir)
  try:
    validate(config)
    summary = run_sweep(training_config(config), str(workdir / "trained"), overwrite=overwrite,
                        progress=progress)
  except ValueError as e:  # ConfigError, or a workdir that is unwritable or holds another config
    usage_error(str(e).splitlines()[0])
  table = compute_born_dead(config, workdir, progress)
  lu = lu_comparison(table)
  if len(lu):
    print("Born dead at depth 10, ours next to Lu et al.:")
    print(lu.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
  if draw and summary.num_models:
    figures = draw_figures(workdir, config.born_dead.lu_depth)
    for path in figures:
      print(f"figure: {path}")
    md, page = write_study_report(config, workdir, figures, summary.failed_units)
    print(f"report: {md} and {page}")
  print(summary.line())
  for failure in summary.failed_units:
    print(f"FAILED unit: {failure}", file=sys.stderr)
  return 1 if summary.failed_units else 0
