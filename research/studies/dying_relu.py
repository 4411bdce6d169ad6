"""The dying-ReLU study: born-dead probability at initialisation, and dead units after training.

Part (a) estimates Lu et al.'s born-dead probability (some hidden layer inactive on every point of
the input domain, so the output is constant) by simulation. One depth-L_max network per random
draw gives every depth at once: its layers are drawn independently, so its first L hidden layers
are distributed exactly as a depth-L network, and "born dead at depth L" is "some of the first L
layers dead". Part (b) is a sweep (research/sweep.py) of ReLU and LeakyReLU over width x learning
rate in <workdir>/trained. Figures and the report are drawn from the CSV files on disk only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pandas as pd

from research import provenance
from research.hypotheses import markdown_table
from research.metrics.sparsity import born_dead_closed_form
from research.models import RAI_SIGMA
from research.store import atomic_write_csv, atomic_write_json, stable_hash
from research.study import ReportContent, RunContext, Study
from research.study_report import describe_setting
from research.sweep import not_diverged
from research.validation import fail, check_float, check_int, check_sequence, validate_study_config

LU_DEPTH = 10
# Lu et al. (2020), 10-layer ReLU networks with symmetric (He) init: approximate reported values.
LU_REPORTED = {3: (0.6, "about 60%"), 5: (0.1, "over 10%"), 10: (0.01, "under 1%")}
DOMAIN, SINGLE = "domain", "single_input"


# ----------------------------------------------------------------------------- config

def validate(config: ml_collections.ConfigDict) -> None:
  """Raises ConfigError (one line) on the first invalid value of the whole study config."""
  b = config.born_dead
  for w in check_sequence("born_dead.widths", b.widths):
    check_int("born_dead.widths", w, 1, 4096)
  depths = [check_int("born_dead.depths", d, 1, 1000) for d in check_sequence("born_dead.depths", b.depths)]
  for init in check_sequence("born_dead.inits", b.inits):
    if init not in HOST_INITIALISERS:
      fail("born_dead.inits", init, f"valid born-dead initialisers: {', '.join(sorted(HOST_INITIALISERS))}")
  check_int("born_dead.num_inits", b.num_inits, 10, 10_000_000)
  check_float("born_dead.domain_half_width", b.domain_half_width, 0.0, strict=True)
  check_int("born_dead.points_per_side", b.points_per_side, 2, 1000)
  if len(check_sequence("born_dead.single_input", b.single_input)) != 2:
    fail("born_dead.single_input", b.single_input, "must be one 2-D point (x1, x2)")
  for v in b.single_input:
    check_float("born_dead.single_input", v, -math.inf)
  if b.lu_depth not in depths:
    fail("born_dead.lu_depth", b.lu_depth, f"must be one of born_dead.depths {depths}")
  check_int("born_dead.inits_per_call", b.inits_per_call, 1)
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


def _he_normal_layer(rng: np.random.Generator, n: tuple, fan_in: int, fan_out: int):
  """models' "he_normal": N(0, 2 / fan_in) weights, zero bias; (n..., fan_in, fan_out), (n..., fan_out)."""
  kernel = rng.standard_normal((*n, fan_in, fan_out), dtype=np.float32) * np.float32(np.sqrt(2 / fan_in))
  return kernel, np.zeros((*n, fan_out), np.float32)


def _rai_layer(rng: np.random.Generator, n: tuple, fan_in: int, fan_out: int):
  """models' "rai": rows of [W | b] ~ N(0, 0.6007^2 / fan_in), one random entry per row ~ Beta(2, 1)."""
  rows = rng.standard_normal((*n, fan_out, fan_in + 1), dtype=np.float32) * np.float32(RAI_SIGMA / np.sqrt(fan_in))
  which = rng.integers(0, fan_in + 1, size=(*n, fan_out, 1))
  np.put_along_axis(rows, which, rng.beta(2.0, 1.0, size=(*n, fan_out, 1)).astype(np.float32), axis=-1)
  return np.swapaxes(rows[..., :fan_in], -1, -2), rows[..., fan_in]


# The initialisers of research/models.py, drawn on the host with numpy: jax.random's Beta sampler
# alone takes seconds to compile per layer shape, which for ten widths on two loaded cores cost
# minutes. Same distributions (tests compare with sparsity.born_dead_probability, which uses
# the models' own initialisers); not the same random numbers.
HOST_INITIALISERS = {"he_normal": _he_normal_layer, "rai": _rai_layer}


def draw_networks(rng: np.random.Generator, num: int, in_dim: int, width: int, depth: int, init: str):
  """`num` random hidden stacks: first layer (num, in_dim, width), then (num, depth - 1, width, width)."""
  layer = HOST_INITIALISERS[init]
  first = layer(rng, (num,), in_dim, width)
  rest = layer(rng, (num, depth - 1), width, width)
  return (*first, *rest)


@jax.jit
def born_dead_flags(w1: jax.Array, b1: jax.Array, w: jax.Array, b: jax.Array, points: jax.Array,
                    single: jax.Array) -> jax.Array:
  """(num, 2, depth) bool: network born dead at depth 1..depth, [0] on `points`, [1] at `single`.

  The hidden layers run in a lax.scan, so compilation does not grow with depth.
  """
  x = jnp.concatenate([points, single[None, :]])

  def dead(z):  # (2,): inactive on every domain point; inactive at the single input
    inactive = z <= 0
    return jnp.stack([jnp.all(inactive[:-1]), jnp.all(inactive[-1])])

  def one(w1, b1, w, b):
    z1 = x @ w1 + b1[None, :]

    def layer(z, wb):
      z_next = jax.nn.relu(z) @ wb[0] + wb[1][None, :]
      return z_next, dead(z_next)

    _, rest = jax.lax.scan(layer, z1, (w, b))
    per_layer = jnp.concatenate([dead(z1)[None, :], rest]).T  # (2, depth)
    return jnp.cumsum(per_layer, axis=-1) > 0  # some layer among the first L is dead

  return jax.vmap(one)(w1, b1, w, b)


def born_dead_counts(rng: np.random.Generator, num_inits: int, points: np.ndarray, single: np.ndarray,
                     *, width: int, max_depth: int, init: str, inits_per_call: int) -> np.ndarray:
  """(2, max_depth) numbers of born-dead networks among `num_inits`, in equal chunks (one compile)."""
  per_call = min(inits_per_call, num_inits)
  counts = np.zeros((2, max_depth), np.int64)
  for start in range(0, num_inits, per_call):
    # The last chunk is drawn full size (same shapes: no second compile) and cut after.
    valid = min(per_call, num_inits - start)
    layers = draw_networks(rng, per_call, points.shape[1], width, max_depth, init)
    counts += np.asarray(born_dead_flags(*layers, points, single))[:valid].sum(0)
  return counts


def wilson_interval(k: float, n: int, z: float = 1.959964) -> tuple[float, float]:
  """95% Wilson score interval of a binomial proportion k/n (sane at 0 and 1, unlike k/n +- z se)."""
  p = k / n
  centre = (p + z * z / (2 * n)) / (1 + z * z / n)
  half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
  # min/max: at p = 0 or 1 rounding could otherwise leave p a hair outside its own interval.
  return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def born_dead_table(b: ml_collections.ConfigDict, seed: int, progress: bool = False) -> pd.DataFrame:
  """One row per init x width x depth x place (domain grid / single input): estimate and 95% CI."""
  points = domain_grid(b.domain_half_width, b.points_per_side)
  single = np.asarray(b.single_input, np.float32)
  max_depth = max(b.depths)
  rows = []
  for i, init in enumerate(b.inits):
    for width in b.widths:
      rng = np.random.default_rng([seed, i, width])
      counts = born_dead_counts(rng, b.num_inits, points, single, width=width, max_depth=max_depth,
                                init=init, inits_per_call=b.inits_per_call)
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


# ----------------------------------------------------------------------------- report

def accuracy_gap_table(results: pd.DataFrame) -> pd.DataFrame:
  """Mean paired LeakyReLU - ReLU test accuracy and mean dead fractions per width x lr."""
  ok = not_diverged(results)
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


def _caveats(config, results: pd.DataFrame) -> list[str]:
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
  return caveats


def findings(table: pd.DataFrame, results: pd.DataFrame, depth: int) -> list[str]:
  """The study's results in words, with the measured numbers."""
  lines = []
  dom = table[(table["place"] == DOMAIN) & (table["depth"] == depth)].set_index(["init", "width"])
  widths = [w for w in LU_REPORTED if w in set(table["width"])] or sorted(set(table["width"]))[:3]
  for init in dict.fromkeys(table["init"]):
    values = ", ".join(f"width {w}: {dom.loc[(init, w), 'p_born_dead']:.3g}" for w in widths)
    lines.append(f"Born dead at depth {depth}, {init} init, whole domain: {values}"
                 + (" (Lu et al.: " + ", ".join(LU_REPORTED[w][1] for w in widths) + ")"
                    if init == "he_normal" and depth == LU_DEPTH and all(w in LU_REPORTED for w in widths)
                    else ""))
  single = table[table["place"] == SINGLE]
  single = single[single["init"].isin(["he_normal"])]
  if len(single):
    inside = ((single["ci_low"] <= single["closed_form"]) & (single["closed_form"] <= single["ci_high"])).sum()
    gap = (single["p_born_dead"] - single["closed_form"]).abs().max()
    lines.append(f"He, single input vs the closed form 1 - (1 - 2^-N)^L: the closed form lies in the 95% "
                 f"interval in {inside} of {len(single)} cells; largest difference {gap:.3f}")
  ok = not_diverged(results)
  dead = ok.groupby(["activation", "lr"], sort=False)["dead_fraction"].mean()
  for act in dict.fromkeys(ok["activation"]):
    lines.append(f"After training, mean dead-unit fraction of {act} by learning rate: "
                 + ", ".join(f"{lr:g}: {v:.2f}" for lr, v in dead[act].items()))
  gaps = accuracy_gap_table(results)
  if len(gaps):
    lo, hi = gaps["width"].min(), gaps["width"].max()
    per_lr = [f"lr {lr:g}: {g.loc[g['width'] == lo, 'leaky_minus_relu'].iloc[0]:+.3f} at width {lo}, "
              f"{g.loc[g['width'] == hi, 'leaky_minus_relu'].iloc[0]:+.3f} at width {hi}"
              for lr, g in gaps.groupby("lr")]
    lines.append("LeakyReLU minus ReLU test accuracy (mean over data sets and seeds): " + "; ".join(per_lr))
  return lines


def report(ctx: RunContext) -> ReportContent:
  config, table, results = ctx.config, ctx.computed, ctx.results
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
  return ReportContent(setting=_setting(config), extra_markdown=extra,
                       caveats=tuple(_caveats(config, results)), findings=tuple(findings(table, results, depth)))


# ----------------------------------------------------------------------------- the study

def compute(ctx: RunContext) -> pd.DataFrame:
  table = compute_born_dead(ctx.config, ctx.workdir, ctx.progress)
  lu = lu_comparison(table)
  if len(lu):
    print("Born dead at depth 10, ours next to Lu et al.:")
    print(lu.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
  return table


def figures(ctx: RunContext) -> list[Path]:
  from research.figures.dying_relu import draw_figures
  return draw_figures(ctx.workdir, ctx.config.born_dead.lu_depth)


STUDY = Study(
    name="dying_relu",
    question=("How likely is a ReLU network to be born dead, as a function of width, depth and "
              "initialisation; how many units die during training; and does ReLU lose accuracy to "
              "LeakyReLU because of it, at narrow and at wide widths?"),
    answers=("Width makes death harmless: the chance that a ReLU net is dead at initialisation falls "
             "with width and rises with depth (Lu et al.).",
             "Over-parameterisation: losing some units costs little."),
    order=10, validate=validate, sweep=training_config, sweep_subdir="trained", compute=compute,
    figures=figures, report=report)
