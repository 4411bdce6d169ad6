"""The linear_regions study: exact region counts and densities vs neurons, depth and activation.

Units of work are (total neurons, depth, activation family): every activation of the family and
every seed is one model of the unit, vmapped together (same seed = same initial weights and data
for ReLU and LeakyReLU, so they are paired). One engine run per unit returns the parameters at
every checkpoint (`train_models(checkpoint_steps=...)`): with a schedule that does not depend on
the run length and `eval_every_steps` dividing every checkpoint, the parameters at step s equal
those of `train_models` run for s steps (tests/test_study_linear_regions.py checks this bit for
bit).

Per model and checkpoint: the exact number of activation regions in the data domain
(`enumerate_regions`), the exact number of region boundaries crossed per unit length along random
chords of the domain (`count_regions_on_segment`), and test accuracy; one tidy row each in
results.csv. Each finished unit is stored atomically (research/store.py), so a killed run resumes.
Figures are drawn from results.csv alone; plotting libraries are imported only there.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import sys
import time
from pathlib import Path

import jax
import ml_collections
import numpy as np
import pandas as pd
import scipy.stats

from research import datasets, hypotheses, provenance
from research.activations import Activation, parse_activation
from research.cli import usage_error
from research.hypotheses import markdown_table
from research.metrics import regions
from research.models import INITIALISERS, dense_weights
from research.report import write_report
from research.store import Store, atomic_write_csv, atomic_write_json, stable_hash
from research.train import ModelBatch, ModelSpec, TrainSpec, train_models
from research.validation import ConfigError, fail, check_float, check_int, check_sequence

STUDY = "linear_regions"
# Schedules whose multiplier at step t does not depend on num_steps (cosine does): only then is a
# short run the prefix of a long one.
PREFIX_SCHEDULES = ("constant", "halve_every")


# ----------------------------------------------------------------------------- config

def validate(c: ml_collections.ConfigDict) -> None:
  """Raises ConfigError (one line) on the first invalid value, before anything is computed."""
  if c.study != STUDY:
    fail("study", c.study, f"must be {STUDY!r}")
  check_int("seed", c.seed, 0)
  check_int("num_seeds", c.num_seeds, 1, 10_000)
  if c.data.name not in datasets.DATASETS:
    fail("data.name", c.data.name, f"valid data sets: {', '.join(sorted(datasets.DATASETS))}")
  check_int("data.num_train_per_class", c.data.num_train_per_class, 2, 1_000_000)
  check_int("data.num_test_per_class", c.data.num_test_per_class, 1, 1_000_000)
  check_float("data.noise", c.data.noise, 0.0)
  try:
    # A two-point draw: the only way to learn the input dimension, and it validates the params.
    tiny = datasets.make_dataset(c.data.name, jax.random.key(0), **_data_params(c, 1))
  except ValueError as e:
    raise ConfigError(f"config.data: {e}") from None
  if tiny.x_train.shape[1] != 2:
    fail("data.name", c.data.name, f"has {tiny.x_train.shape[1]}-D inputs; regions are enumerated "
          "on 2-D inputs only")
  depths = [check_int("model.depths", d, 1, 64) for d in check_sequence("model.depths", c.model.depths)]
  for n in check_sequence("model.neurons", c.model.neurons):
    check_int("model.neurons", n, 1, 4096)
    if any(n % d for d in depths):
      fail("model.neurons", n, f"must be divisible by every depth {depths} (equal widths)")
  for spec in check_sequence("model.activations", c.model.activations):
    try:
      act = parse_activation(spec)
    except ValueError as e:
      raise ConfigError(f"config.model.activations: {e}") from None
    if act.pwl() is None or act.kind.learned_slope:
      fail("model.activations", spec, "must be piecewise linear with a fixed slope (regions are "
            "undefined for smooth activations; prelu's slope is learned per layer)")
  if c.model.init not in INITIALISERS:
    fail("model.init", c.model.init, f"valid initialisers: {', '.join(sorted(INITIALISERS))}")
  o = c.optim
  if o.optimizer not in ("adam", "sgd"):
    fail("optim.optimizer", o.optimizer, "valid optimizers: adam, sgd")
  if o.schedule not in PREFIX_SCHEDULES:
    fail("optim.schedule", o.schedule, f"valid schedules: {', '.join(PREFIX_SCHEDULES)} (a "
          "checkpoint must be the prefix of the longer runs)")
  check_float("optim.momentum", o.momentum, 0.0, high=0.999999)
  check_float("optim.lr", o.lr, 0.0, strict=True)
  check_int("optim.halve_every_steps", o.halve_every_steps, 1)
  every = check_int("optim.eval_every_steps", o.eval_every_steps, 1)
  check_int("optim.batch_size", o.batch_size, 0)
  steps = [check_int("checkpoints", s, 0, 1_000_000) for s in check_sequence("checkpoints", c.checkpoints)]
  if steps != sorted(set(steps)):
    fail("checkpoints", tuple(steps), "must be strictly increasing")
  for s in steps:
    if s % every:
      fail("checkpoints", s, f"must be a multiple of optim.eval_every_steps = {every} (the same "
            "compiled chunk for every checkpoint keeps runs prefixes of each other)")
  check_int("eval.num_lines", c.eval.num_lines, 1, 10_000)
  check_int("eval.region_seeds", c.eval.region_seeds, 0, c.num_seeds)


def _data_params(c, num_per_class: int | None = None) -> dict:
  n_train = num_per_class or c.data.num_train_per_class
  n_test = num_per_class or c.data.num_test_per_class
  return dict(num_train_per_class=n_train, num_test_per_class=n_test, noise=c.data.noise,
              **dict(c.data.params))


def train_spec_of(c, num_steps: int) -> TrainSpec:
  o = c.optim
  return TrainSpec(optimizer=o.optimizer, momentum=o.momentum, schedule=o.schedule,
                   halve_every_steps=o.halve_every_steps, num_steps=num_steps,
                   eval_every_steps=o.eval_every_steps, batch_size=o.batch_size)


# ----------------------------------------------------------------------------- plan and data

@dataclasses.dataclass(frozen=True)
class Unit:
  """One architecture and activation family: its models train in one compiled call per checkpoint."""

  neurons: int
  depth: int
  activations: tuple[Activation, ...]  # all of one family

  @property
  def width(self) -> int:
    return self.neurons // self.depth

  def describe(self) -> str:
    return f"{self.neurons} neurons = {self.depth} x {self.width} {'/'.join(a.spec for a in self.activations)}"


def plan_units(c) -> list[Unit]:
  """The units of the config, in a fixed order (smallest networks first)."""
  families: dict[str, list[Activation]] = {}
  for a in map(parse_activation, c.model.activations):
    families.setdefault(a.family, []).append(a)
  return [Unit(n, d, tuple(f)) for n, d, f in
          itertools.product(c.model.neurons, c.model.depths, families.values())]


def make_data(c) -> list[datasets.Dataset]:
  """One data draw per seed, shared by every architecture and activation (pairing)."""
  base = jax.random.fold_in(jax.random.key(c.seed), int(stable_hash(c.data.name)[:7], 16))
  return [datasets.make_dataset(c.data.name, jax.random.fold_in(base, s), **_data_params(c))
          for s in range(c.num_seeds)]


def common_domain(instances: list[datasets.Dataset]) -> np.ndarray:
  """(2, 2) box holding every instance's domain: one domain, so counts compare across seeds."""
  boxes = np.stack([np.asarray(d.domain, np.float64) for d in instances])
  return np.stack([boxes[:, :, 0].min(0), boxes[:, :, 1].max(0)], 1)


def random_chords(domain: np.ndarray, num_lines: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
  """(p0, p1), each (K, 2): lines through a uniform point at a uniform angle, clipped to the box."""
  rng = np.random.default_rng([seed, 7919])  # its own stream: lines do not move when seeds change
  lo, hi = domain[:, 0], domain[:, 1]
  p = lo + rng.uniform(size=(num_lines, 2)) * (hi - lo)
  theta = rng.uniform(0.0, math.pi, num_lines)
  d = np.stack([np.cos(theta), np.sin(theta)], 1)
  with np.errstate(divide="ignore"):
    s_lo, s_hi = (lo - p) / d, (hi - p) / d  # per axis, the parameters where the line meets the box
  s0 = np.max(np.minimum(s_lo, s_hi), 1)
  s1 = np.min(np.maximum(s_lo, s_hi), 1)
  return p + s0[:, None] * d, p + s1[:, None] * d


def unit_models(c, unit: Unit) -> tuple[ModelBatch, list[dict]]:
  """Per-model arrays and the label columns of each model's rows."""
  rows = [dict(dataset=c.data.name, activation=a.spec, activation_name=a.name, family=a.family,
               slope=a.slope, neurons=unit.neurons, depth=unit.depth, width=unit.width,
               init=c.model.init, lr=float(c.optim.lr), seed=s)
          for a, s in itertools.product(unit.activations, range(c.num_seeds))]
  batch = ModelBatch(
      seed=np.array([c.seed * 100_003 + r["seed"] for r in rows], np.uint32),
      slope=np.array([r["slope"] for r in rows], np.float32),
      lr=np.full(len(rows), c.optim.lr, np.float32),
      data_index=np.array([r["seed"] for r in rows], np.int32))
  return batch, rows


def stack_data(instances: list[datasets.Dataset]) -> dict[str, np.ndarray]:
  return {k: np.stack([getattr(d, k) for d in instances]) for k in ("x_train", "y_train", "x_test", "y_test")}


# ----------------------------------------------------------------------------- one unit

def train_with_checkpoints(spec: ModelSpec, train_spec: TrainSpec, data: dict[str, np.ndarray],
                           batch: ModelBatch, checkpoints: tuple[int, ...]):
  """Yields (step, params, diverged by then) at every checkpoint of one engine run; host arrays.

  One `train_models` run with `checkpoint_steps`: one compilation, the longest checkpoint's steps
  trained once; the parameters at step s equal those of a run of s steps, bit for bit (tested).
  """
  result = train_models(spec, train_spec, data, batch, progress=False,
                        checkpoint_steps=tuple(checkpoints))
  for step in checkpoints:
    params, _ = result.checkpoints[step]
    # diverged_step is the index of the update that failed: steps 0..s-1 come before checkpoint s.
    yield step, params, result.diverged & (result.diverged_step < step)


def accuracy(kernels, biases, pwl, x: np.ndarray, y: np.ndarray) -> float:
  """Fraction of points classified correctly (binary head: logit > 0), float64 forward pass."""
  logits = regions.forward_numpy(kernels, biases, pwl, x)
  pred = (logits[:, 0] > 0).astype(int) if logits.shape[1] == 1 else np.argmax(logits, 1)
  return float(np.mean(pred == y))


def model_weights(params, i: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
  """float64 (kernels, biases) of model i of a stacked Param state."""
  kernels, biases = dense_weights(jax.tree.map(lambda a: np.asarray(a[i]), params))
  return [np.asarray(k, np.float64) for k in kernels], [np.asarray(b, np.float64) for b in biases]


def line_counts(kernels, biases, pwl, p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
  """Exact number of regions each chord p0[k] -> p1[k] crosses, (K,)."""
  return np.array([regions.count_regions_on_segment(kernels, biases, pwl, a, b) for a, b in zip(p0, p1)])


def density(counts: np.ndarray, lengths: np.ndarray) -> float:
  """Region boundaries crossed per unit length, averaged over the chords.

  count - 1: a chord inside one region crosses no boundary, so its density is 0 (the first region
  is entered, not crossed); for long chords this is Hanin & Rolnick's regions per unit length.
  """
  return float(np.mean((counts - 1) / lengths))


def run_unit(c, unit: Unit, instances, domain: np.ndarray, chords, progress: bool):
  """Trains and measures one unit at every checkpoint; returns (record, arrays) for the store."""
  batch, labels = unit_models(c, unit)
  spec = ModelSpec(2, (unit.width,) * unit.depth, instances[0].num_classes, unit.activations[0], c.model.init)
  p0, p1 = chords
  lengths = np.linalg.norm(p1 - p0, axis=1)
  pwls = [parse_activation(r["activation"]).pwl() for r in labels]
  rows, arrays, timing = [], {}, dict(train_s=0.0, lines_s=0.0, regions_s=0.0)
  train_spec = train_spec_of(c, max(c.checkpoints[-1], c.optim.eval_every_steps))
  t0 = time.perf_counter()
  for step, params, diverged in train_with_checkpoints(spec, train_spec, stack_data(instances), batch,
                                                       tuple(c.checkpoints)):
    timing["train_s"] += time.perf_counter() - t0
    counts = np.full((len(labels), len(lengths)), -1, np.int64)
    for i, label in enumerate(labels):
      row = dict(label, step=step, diverged=bool(diverged[i]), train_acc=math.nan, test_acc=math.nan,
                 density=math.nan, regions_per_line=math.nan, num_regions=math.nan)
      if not diverged[i]:  # a diverged model is frozen at a meaningless state: no metrics
        kernels, biases = model_weights(params, i)
        data = instances[label["seed"]]
        row.update(train_acc=accuracy(kernels, biases, pwls[i], data.x_train, data.y_train),
                   test_acc=accuracy(kernels, biases, pwls[i], data.x_test, data.y_test))
        t = time.perf_counter()
        counts[i] = line_counts(kernels, biases, pwls[i], p0, p1)
        timing["lines_s"] += time.perf_counter() - t
        row.update(density=density(counts[i], lengths), regions_per_line=float(counts[i].mean()))
        if label["seed"] < c.eval.region_seeds:
          t = time.perf_counter()
          row["num_regions"] = float(regions.enumerate_regions(kernels, biases, pwls[i], domain,
                                                                boundary=False).num_regions)
          timing["regions_s"] += time.perf_counter() - t
      rows.append(row)
    arrays[f"counts_s{step}"] = counts
    kernels, biases = dense_weights(params)  # kept so that any number here can be recomputed
    for layer, (k, b) in enumerate(zip(kernels, biases)):
      arrays[f"kernel_s{step}_l{layer}"], arrays[f"bias_s{step}_l{layer}"] = np.asarray(k), np.asarray(b)
    t0 = time.perf_counter()
  return dict(status="ok", unit=unit.describe(), rows=rows, timing=timing), arrays


# ----------------------------------------------------------------------------- the run

def unit_hash(c, unit: Unit) -> str:
  """Hash of everything that determines the unit's rows (the grid lists themselves excluded)."""
  cfg = c.to_dict()
  for key in ("neurons", "depths", "activations"):
    cfg["model"].pop(key)
  return stable_hash(dict(cfg=cfg, neurons=unit.neurons, depth=unit.depth,
                          activations=[a.spec for a in unit.activations]))


@dataclasses.dataclass
class Summary:
  """What a run did: its table, failures, resumed units and timings."""

  workdir: Path
  results: pd.DataFrame
  failed_units: list[str]
  resumed_units: int
  wall_time_s: float
  timing: dict

  def line(self) -> str:
    status = f"{len(self.failed_units)} units FAILED" if self.failed_units else "all units ok"
    return (f"{self.workdir}: {len(self.results)} rows (models x checkpoints), {status}, "
            f"{self.resumed_units} units resumed from disk, {self.wall_time_s:.1f} s; results in "
            f"{self.workdir / 'results.csv'}")


def run(c, store: Store, *, progress: bool = True) -> Summary:
  """Runs (or resumes) every unit into `store` and writes results.csv and lines.csv."""
  start = time.perf_counter()
  atomic_write_json(store.root / "config.json", dict(config=c.to_dict(), config_hash=store.config_hash,
                                                     provenance=provenance.collect()))
  instances = make_data(c)
  domain = common_domain(instances)
  chords = random_chords(domain, c.eval.num_lines, c.seed)
  atomic_write_csv(store.root / "lines.csv", pd.DataFrame(dict(
      x0=chords[0][:, 0], y0=chords[0][:, 1], x1=chords[1][:, 0], y1=chords[1][:, 1],
      length=np.linalg.norm(chords[1] - chords[0], axis=1))))
  units = plan_units(c)
  failed, resumed = [], 0
  for n, unit in enumerate(units):
    h = unit_hash(c, unit)
    if store.has_unit(h) and store.read_unit(h)["status"] == "ok":
      resumed += 1
      continue
    if progress:
      print(f"[{n + 1}/{len(units)}] {unit.describe()}", flush=True)
    try:
      record, arrays = run_unit(c, unit, instances, domain, chords, progress)
    except Exception as e:  # recorded; the other units still run
      record, arrays = dict(status="failed", unit=unit.describe(), error=f"{type(e).__name__}: {e}"), None
      failed.append(f"{unit.describe()}: {type(e).__name__}: {e}")
    store.write_unit(h, record, arrays)
  rows, timing = [], dict(train_s=0.0, lines_s=0.0, regions_s=0.0)
  for unit in units:
    record = store.read_unit(unit_hash(c, unit))
    if record["status"] == "ok":
      num_models = len(unit.activations) * c.num_seeds  # rows are checkpoint-major
      rows += [dict(r, unit=unit_hash(c, unit), model_index=i % num_models)
               for i, r in enumerate(record["rows"])]
      timing = {k: timing[k] + record["timing"][k] for k in timing}
  results = pd.DataFrame(rows)
  if len(results):
    results["log2_density"] = np.log2(results["density"].where(results["density"] > 0))
    results["log2_regions"] = np.log2(results["num_regions"])
  atomic_write_csv(store.root / "results.csv", results)
  return Summary(store.root, results, failed, resumed, time.perf_counter() - start, timing)


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
  ok = results[~results["diverged"].astype(bool)]
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


def evaluate_hypotheses(results: pd.DataFrame) -> tuple[list, list[str]]:
  """Every hypothesis of this study evaluated on the table, and notes on those skipped."""
  # `width` is a design column, and it differs between depths at fixed neurons: as a pairing key
  # it would leave no pairs for a depth factor. Neurons and depth determine it, so drop it.
  table = results.drop(columns=["width"])
  verdicts, notes = [], []
  for h in hypotheses.discover().values():
    if h.study != STUDY:
      continue
    try:
      verdicts.append(hypotheses.evaluate(h, table))
    except ValueError as e:  # e.g. the quick variant did not train the arms compared
      notes.append(f"hypothesis `{h.name}` not evaluated on this run: {e}")
  return verdicts, notes


# ----------------------------------------------------------------------------- report

def describe_setting(c, results: pd.DataFrame) -> str:
  o = c.optim
  widths = sorted({(n, d, n // d) for n in c.model.neurons for d in c.model.depths})
  return "\n".join([
      f"- data: {c.data.name}, {c.data.num_train_per_class} training and {c.data.num_test_per_class} "
      f"test points per class, noise {c.data.noise}; one draw per seed",
      f"- total hidden neurons {list(c.model.neurons)} split equally over {list(c.model.depths)} layers "
      f"(widths {sorted({w for _, _, w in widths})}), init {c.model.init}",
      f"- activations: {', '.join(c.model.activations)}; the same seed gives the same initial weights and "
      "data to every activation (paired)",
      f"- {o.optimizer}, lr {o.lr}, schedule {o.schedule}, full batch" if not o.batch_size else
      f"- {o.optimizer}, lr {o.lr}, schedule {o.schedule}, batch {o.batch_size}",
      f"- checkpoints at steps {list(c.checkpoints)} (step 0 = initialisation); each is its own run of "
      "that many steps, a prefix of the longer ones",
      f"- {c.num_seeds} seeds; exact 2-D region counts for seeds 0..{c.eval.region_seeds - 1}; "
      f"densities along {c.eval.num_lines} random chords of the domain (the same chords for every "
      "model, in lines.csv)",
      f"- {len(results)} rows (models x checkpoints) in results.csv",
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
  ok = results[~results["diverged"].astype(bool)]
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


def write_study_report(c, workdir: Path, summary: Summary, figures: list[Path]) -> tuple[Path, Path]:
  results = summary.results
  slopes = pd.concat([slope_table(results, "density").assign(metric="density"),
                      slope_table(results, "num_regions").assign(metric="num_regions")], ignore_index=True)
  atomic_write_csv(workdir / "slopes.csv", slopes)
  verdicts, notes = evaluate_hypotheses(results)
  ok = results[~results["diverged"].astype(bool)]
  first = ok["activation"].iloc[0]
  means = ok[ok["activation"] == first].pivot_table(index=["step", "depth"], columns="neurons",
                                                    values="num_regions", aggfunc="mean")
  table = means.round(0).astype("Int64").reset_index().rename(
      columns=lambda n: f"{n} neurons" if isinstance(n, (int, np.integer)) else n)
  t = summary.timing
  extra = [slopes_markdown(slopes[slopes["metric"] == "density"]),
           f"## Mean exact region count in the domain ({first}, seeds 0..{c.eval.region_seeds - 1})", "",
           markdown_table(table), "",
           "## Runtime", "",
           f"Summed over the units' own runs: training {t['train_s']:.0f} s (one compilation per "
           f"architecture included), densities along lines {t['lines_s']:.0f} s, 2-D enumeration "
           f"{t['regions_s']:.0f} s. This invocation: {summary.wall_time_s:.0f} s, "
           f"{summary.resumed_units} units resumed from disk.", ""]
  caveats = list(notes) + [
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
  if c.eval.region_seeds < c.num_seeds:
    caveats.append(f"exact 2-D counts only for {c.eval.region_seeds} of {c.num_seeds} seeds")
  n_div = int(results["diverged"].sum())
  if n_div:
    caveats.append(f"{n_div} of {len(results)} model-checkpoints diverged and are excluded")
  caveats += [f"unit failed: {f}" for f in summary.failed_units]
  return write_report(workdir, title=f"Study: {STUDY}", question=c.question,
                      setting=describe_setting(c, results), verdicts=verdicts, figures=figures,
                      caveats=caveats, extra_markdown="\n".join(extra),
                      findings=headline_findings(results, slopes))


def main(c, workdir: str, *, overwrite: bool = False, draw: bool = True, progress: bool = True) -> int:
  """The whole study: validate, run or resume, figures and report; returns the exit status."""
  try:
    validate(c)
  except ConfigError as e:
    usage_error(str(e))
  try:
    store = Store(workdir, c.to_dict(), overwrite=overwrite)
  except ValueError as e:  # the workdir: unwritable or holding another config
    usage_error(str(e))
  summary = run(c, store, progress=progress)
  if draw and len(summary.results):
    from research.studies.linear_regions_figures import plot_study
    figures = plot_study(workdir)
    for path in figures:
      print(f"figure: {path}")
    md, page = write_study_report(c, Path(workdir), summary, figures)
    print(f"report: {md} and {page}")
  print(summary.line())
  for failure in summary.failed_units:
    print(f"FAILED unit: {failure}", file=sys.stderr)
  return 1 if summary.failed_units else 0
