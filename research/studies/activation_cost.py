"""The activation-cost study: wall time of a compiled training step and of the bare activation.

Every (benchmark, activation) pair is compiled first (timed) and warmed up (timed); then come
`num_rounds` rounds. In each round and benchmark, ReLU brackets every other activation:
relu, X1, relu, X2, ..., relu, with the order of the X rotated each round. Each X is compared with
the mean of the two ReLU measurements on either side of it, taken within a fraction of a second,
so load from other processes (slow drifts, bursts between rounds) largely cancels in the ratio.
Each measurement times enough calls to last about `target_measurement_s`. This is a measurement on
one machine, not a statistic over seeds: the verdict rule (VERDICT_RULE) is stated on its terms.
"""

from __future__ import annotations

import functools
import math
import time
from pathlib import Path
from typing import Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pandas as pd

from research.activations import Activation, ActivationKind, parse_activation
from research.hypotheses import markdown_table
from research.models import ModelSpec, forward, graphdef_of, init_model, loss_and_accuracy
from research.study import ReportContent, RunContext, Study
from research.validation import ConfigError, fail, check_float, check_int, check_sequence

REFERENCE = "relu"
ELEMENTWISE = "elementwise"
JAX_RELU = "jax.nn.relu"
# No claim about these: identity (no activation at all) is the floor; jax.nn.relu (max(x, 0)) shows
# what the registry's ReLU, the leaky family at slope 0 (where(x >= 0, x, slope * x)), costs.
NO_CLAIM = ("identity", JAX_RELU)
SUPPORTED, REFUTED, INCONCLUSIVE = "SUPPORTED", "REFUTED", "INCONCLUSIVE"
CLAIM_VERDICTS = (SUPPORTED, REFUTED, INCONCLUSIVE)
VERDICT_RULE = """\
Per benchmark and activation X (X != relu), in each of the R rounds: r = t_X / mean of the two
ReLU measurements just before and just after X (seconds per call); m = min_effect.
  SUPPORTED (ReLU is cheaper than X)   if median(r) >= 1 + m and min(r) > 1
                                       (X slower than the ReLU beside it in every round)
  REFUTED   (ReLU not cheaper by m)    if median(r) < 1 + m
  INCONCLUSIVE                         otherwise (median(r) >= 1 + m, but some round had r <= 1)
Ratios to adjacent ReLU timings, not raw min-max ranges: other processes' load moves raw times by
tens of percent between rounds, which would hide any real difference; it cancels in r.
A timing on one machine under its load at the time, not a test over seeds: no p-value."""


# ----------------------------------------------------------------------------- config

def validate(c: ml_collections.ConfigDict) -> None:
  """Raises ConfigError (one line) on the first invalid value."""
  specs = []
  for spec in check_sequence("activations", c.activations):
    try:
      act = parse_activation(spec)
    except ValueError as e:
      raise ConfigError(f"config.activations: {e}") from None
    if not isinstance(act, Activation):  # relu+tanh: one spec per layer is a network, not a function
      fail("activations", spec, "must be one activation function each (no per-layer '+' specs)")
    specs.append(act.spec)
  if REFERENCE not in specs:
    fail("activations", tuple(c.activations), f"must include {REFERENCE!r}, the reference of every ratio")
  if len(set(specs)) != len(specs):
    fail("activations", tuple(c.activations), "must not repeat an activation")
  if not len(c.networks):
    fail("networks", c.networks.to_dict(), "must name at least one network")
  for name, n in c.networks.items():
    if name == ELEMENTWISE:
      fail("networks", name, f"{ELEMENTWISE!r} is the name of the bare-activation benchmark")
    check_int(f"networks.{name}.in_dim", n.in_dim, 1, 100_000)
    for w in check_sequence(f"networks.{name}.hidden_widths", n.hidden_widths):
      check_int(f"networks.{name}.hidden_widths", w, 1, 100_000)
    check_int(f"networks.{name}.num_classes", n.num_classes, 2, 100_000)
    check_int(f"networks.{name}.batch_size", n.batch_size, 1, 1_000_000)
  check_int("elementwise_size", c.elementwise_size, 1, 1 << 30)
  check_float("sgd_learning_rate", c.sgd_learning_rate, 0.0, strict=True)
  check_int("num_rounds", c.num_rounds, 2)  # a min-max range needs two
  check_float("target_measurement_s", c.target_measurement_s, 0.0, strict=True, high=10.0)
  check_int("warmup_calls", c.warmup_calls, 1)  # also sets the calls per measurement
  check_float("min_effect", c.min_effect, 0.0)
  if not isinstance(c.include_jax_nn_relu, bool):
    fail("include_jax_nn_relu", c.include_jax_nn_relu, "must be True or False")
  check_int("seed", c.seed, 0)


# ----------------------------------------------------------------------------- benchmarks

def train_step(graphdef, params, rest, x, y, lr):
  """One SGD step (forward, backward, update) of one model; returns the new params."""
  def loss(p):
    logits, _ = forward(graphdef, p, rest, x)
    return loss_and_accuracy(logits, y)[0]
  grads = jax.grad(loss)(params)
  return jax.tree.map(lambda p, g: p - lr * g, params, grads)


def activation_value_and_grad(x: jax.Array, slope: jax.Array, *, fn: Callable) -> tuple[jax.Array, jax.Array]:
  """sum(f(x)) and its gradient: the activation's forward and backward on every element."""
  return jax.value_and_grad(lambda v: jnp.sum(fn(v, slope)))(x)


def jax_nn_relu() -> Activation:
  """ReLU as max(x, 0) (jax.nn.relu): not in the registry, whose relu shares the leaky program."""
  kind = ActivationKind(JAX_RELU, lambda x, slope: jax.nn.relu(x), JAX_RELU, uses_slope=False,
                        learned_slope=False, pwl=None)
  return Activation(kind, 0.0, JAX_RELU)


class Bench:
  """One compiled (benchmark, activation) pair and its arguments; `run` times calls of it."""

  def __init__(self, benchmark: str, activation: str, fn: Callable, args: tuple, chained: bool):
    self.benchmark, self.activation, self.chained = benchmark, activation, chained
    self.args = args
    self.calls = 1  # per measurement; set from the warm-up time
    start = time.perf_counter()
    self.compiled = jax.jit(fn).lower(*args).compile()
    self.compile_s = time.perf_counter() - start

  def run(self, calls: int) -> float:
    """Seconds per call over `calls` calls (dispatch is async: block once, at the end)."""
    start = time.perf_counter()
    out = None
    for _ in range(calls):
      out = self.compiled(*self.args)
      if self.chained:  # each training step starts from the last one's params, as in training
        self.args = (out, *self.args[1:])
    jax.block_until_ready(out)
    return (time.perf_counter() - start) / calls


def step_bench(name: str, act: Activation, config, key: jax.Array) -> Bench:
  """The training step of network `name` with activation `act`, on fixed random data."""
  n = config.networks[name]
  spec = ModelSpec(n.in_dim, tuple(n.hidden_widths), n.num_classes, act, "he")
  k_x, k_y = jax.random.split(key)
  x = jax.random.normal(k_x, (n.batch_size, n.in_dim), jnp.float32)
  y = jax.random.randint(k_y, (n.batch_size,), 0, n.num_classes, jnp.int32)
  params, rest = init_model(spec, np.uint32(config.seed), jnp.float32(act.slope))
  fn = functools.partial(train_step, graphdef_of(spec))
  return Bench(name, act.spec, fn, (params, rest, x, y, jnp.float32(config.sgd_learning_rate)), True)


def elementwise_bench(act: Activation, config, key: jax.Array) -> Bench:
  """The bare activation, forward and gradient, on `elementwise_size` standard-normal values."""
  x = jax.random.normal(key, (config.elementwise_size,), jnp.float32)
  fn = functools.partial(activation_value_and_grad, fn=act.kind.fn)
  return Bench(ELEMENTWISE, act.spec, fn, (x, jnp.float32(act.slope)), False)


def measure(config, progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
  """(timings: one row per measurement; setup: compile and warm-up seconds per pair)."""
  key = jax.random.key(config.seed)
  acts = [parse_activation(spec) for spec in config.activations]
  if config.include_jax_nn_relu:
    acts.append(jax_nn_relu())
  groups: dict[str, dict[str, Bench]] = {}
  setup = []
  for i, name in enumerate([*config.networks.keys(), ELEMENTWISE]):
    k = jax.random.fold_in(key, i)  # same inputs and (He) weights for every activation
    groups[name] = {}
    for act in acts:
      bench = elementwise_bench(act, config, k) if name == ELEMENTWISE else step_bench(name, act, config, k)
      warm_s = bench.run(config.warmup_calls)
      bench.calls = max(1, math.ceil(config.target_measurement_s / warm_s))
      setup.append(dict(benchmark=name, activation=act.spec, compile_s=bench.compile_s, warmup_s=warm_s,
                        calls_per_measurement=bench.calls))
      groups[name][act.spec] = bench
  if progress:
    print(f"compiled {len(setup)} pairs; timing {config.num_rounds} rounds", flush=True)
  rows = []
  for r in range(config.num_rounds):
    for name, group in groups.items():
      others = [b for spec, b in group.items() if spec != REFERENCE]
      others = others[r % len(others):] + others[:r % len(others)] if others else []
      before = group[REFERENCE].run(group[REFERENCE].calls)
      rows.append(dict(benchmark=name, activation=REFERENCE, round=r, time_per_call_s=before,
                       relu_adjacent_s=math.nan))
      for bench in others:
        t = bench.run(bench.calls)
        after = group[REFERENCE].run(group[REFERENCE].calls)
        rows.append(dict(benchmark=name, activation=bench.activation, round=r, time_per_call_s=t,
                         relu_adjacent_s=(before + after) / 2))
        rows.append(dict(benchmark=name, activation=REFERENCE, round=r, time_per_call_s=after,
                         relu_adjacent_s=math.nan))
        before = after
  return pd.DataFrame(rows), pd.DataFrame(setup)


# ----------------------------------------------------------------------------- summary

def verdict(ratios: np.ndarray, min_effect: float) -> str:
  """VERDICT_RULE for one benchmark and activation, from its per-round ratios to adjacent ReLU."""
  if np.median(ratios) < 1 + min_effect:
    return REFUTED
  return SUPPORTED if ratios.min() > 1 else INCONCLUSIVE


def summarise(timings: pd.DataFrame, setup: pd.DataFrame, config) -> pd.DataFrame:
  """One row per pair: median, min, max seconds per call, ratios to adjacent ReLU and the verdict."""
  rows = []
  for (name, act), g in timings.groupby(["benchmark", "activation"], sort=False):
    t = g["time_per_call_s"].to_numpy()
    ratios = np.ones(1) if act == REFERENCE else t / g["relu_adjacent_s"].to_numpy()
    rows.append(dict(benchmark=name, activation=act, measurements=len(t), median_s=np.median(t),
                     min_s=t.min(), max_s=t.max(), ratio_to_relu=np.median(ratios),
                     ratio_min=ratios.min(), ratio_q25=np.quantile(ratios, 0.25),
                     ratio_q75=np.quantile(ratios, 0.75), ratio_max=ratios.max(),
                     verdict="reference" if act == REFERENCE else
                     "no claim" if act in NO_CLAIM else verdict(ratios, config.min_effect)))
  # In the order of setup (the config's), not of the rounds' rotation.
  summary = setup.merge(pd.DataFrame(rows), on=["benchmark", "activation"], how="left")
  # The bare activation's cost per element, scaled to the activations a step computes: does it
  # account for a visible share of the step? (Fusion makes this an estimate.)
  bare = summary[summary["benchmark"] == ELEMENTWISE].set_index("activation")["median_s"]
  per_element = bare / config.elementwise_size
  share = []
  for row in summary.itertuples():
    if row.benchmark == ELEMENTWISE:
      share.append(math.nan)
      continue
    n = config.networks[row.benchmark]
    share.append(per_element[row.activation] * n.batch_size * sum(n.hidden_widths) / row.median_s)
  return summary.assign(activation_share_est=share)


# ----------------------------------------------------------------------------- report

def _setting(config) -> str:
  floor = "; identity, no activation at all, is the floor" if "identity" in config.activations else ""
  extra = (f"; {JAX_RELU} = max(x, 0), a reference: the registry's relu is where(x >= 0, x, slope * x) "
           "at slope 0, the program it shares with leaky_relu" if config.include_jax_nn_relu else "")
  lines = [f"- activations: {', '.join(config.activations)} (ratios to relu{floor}{extra})"]
  for name, n in config.networks.items():
    widths = "-".join(map(str, [n.in_dim, *n.hidden_widths, n.num_classes if n.num_classes > 2 else 1]))
    lines.append(f"- training step `{name}`: MLP {widths}, batch {n.batch_size}, He init, "
                 f"cross-entropy, plain SGD (learning rate {config.sgd_learning_rate:g}), jit-compiled, "
                 "forward + backward + update")
  lines += [f"- `{ELEMENTWISE}`: sum(f(x)) and its gradient on {config.elementwise_size:,} float32 "
            "elements, jit-compiled",
            f"- {config.num_rounds} rounds; in each, per benchmark: relu, X1, relu, X2, ..., relu (X order "
            f"rotated each round); each measurement about {config.target_measurement_s:g} s of calls; "
            f"compile and {config.warmup_calls} warm-up calls timed separately",
            f"- device: {jax.devices()[0].device_kind} ({jax.devices()[0].platform}), "
            f"{jax.local_device_count()} local device(s); persistent compilation cache: "
            f"{jax.config.jax_compilation_cache_dir or 'off'}"]
  return "\n".join(lines)


def _verdict_markdown(summary: pd.DataFrame) -> str:
  claims = summary[~summary["verdict"].isin(["reference", "no claim"])]
  lines = ["## Verdict: \"ReLU is cheaper to compute\"", ""]
  for name, g in claims.groupby("benchmark", sort=False):
    counts = g["verdict"].value_counts()
    lines.append(f"- `{name}`: ReLU cheaper than {counts.get(SUPPORTED, 0)} of {len(g)} activations "
                 f"(not cheaper by the margin: {counts.get(REFUTED, 0)}, inconclusive: "
                 f"{counts.get(INCONCLUSIVE, 0)})")
  pivot = claims.pivot(index="activation", columns="benchmark", values="verdict")
  pivot = pivot.loc[list(dict.fromkeys(claims["activation"])), list(dict.fromkeys(claims["benchmark"]))]
  pivot = pivot.reset_index()
  lines += ["", markdown_table(pivot), "", "Verdict rule:", "```", VERDICT_RULE, "```", ""]
  cols = ["benchmark", "activation", "median_s", "min_s", "max_s", "ratio_to_relu", "ratio_min",
          "ratio_q25", "ratio_q75", "ratio_max", "activation_share_est", "compile_s", "warmup_s",
          "calls_per_measurement", "verdict"]
  lines += ["## Timings (seconds per call)", "",
            "activation_share_est: the bare activation's median time per element times the number of "
            "activation outputs in one step (batch x hidden units), over the step's median time. "
            "ratio_*: median, min, quartiles and max over rounds of the time relative to the adjacent "
            "ReLU timings.", "",
            markdown_table(summary[cols])]
  return "\n".join(lines)


def findings(summary: pd.DataFrame) -> list[str]:
  """Per benchmark: ReLU's time, every ratio to it, the verdict counts and the activation's share."""
  lines = []
  for name, g in summary.groupby("benchmark", sort=False):
    relu = g[g["activation"] == REFERENCE].iloc[0]
    others = g[g["activation"] != REFERENCE]
    ratios = ", ".join(f"{r.activation} {r.ratio_to_relu:.2f}" for r in others.itertuples())
    claims = others[~others["verdict"].isin(["no claim"])]
    line = (f"{'bare activation' if name == ELEMENTWISE else f'training step {name!r}'}: ReLU "
            f"{1e3 * relu.median_s:.3g} ms per call; time relative to ReLU: {ratios}; ReLU cheaper "
            f"by the rule than {int((claims['verdict'] == SUPPORTED).sum())} of {len(claims)}")
    if name != ELEMENTWISE and np.isfinite(relu.activation_share_est):
      line += f"; ReLU itself is about {relu.activation_share_est:.0%} of the step (rough estimate, see caveats)"
    lines.append(line)
  return lines


def report(ctx: RunContext) -> ReportContent:
  summary = ctx.tables["summary"]
  caveats = (
      "One machine, one run: other processes shared the CPU; interleaving spreads their load over "
      "every activation, and the min-max ranges show how much it moved the times.",
      "XLA fuses the activation into neighbouring operations, so its cost inside a step is not the "
      "bare benchmark's; activation_share_est is an estimate of the order of magnitude.",
      "Times include Python dispatch; at the small sizes dispatch can dominate the computation.",
      "With JAX's persistent compilation cache on (see Setting), a program compiled by an earlier run "
      "is loaded from disk: compile_s is then the load time, not the compile time.",
      "prelu's step also updates its learned slope; hard_tanh, abs and identity are reference points.",
  )
  return ReportContent(setting=_setting(ctx.config), extra_markdown=_verdict_markdown(summary),
                       caveats=caveats, findings=tuple(findings(summary)))


# ----------------------------------------------------------------------------- the study

def compute(ctx: RunContext) -> tuple[pd.DataFrame, pd.DataFrame]:
  """(timings, setup): every measurement, and the compile and warm-up times."""
  return measure(ctx.config, ctx.progress)


def tables(ctx: RunContext) -> dict[str, pd.DataFrame]:
  timings, setup = ctx.computed
  return dict(timings=timings, summary=summarise(timings, setup, ctx.config))


def console(ctx: RunContext) -> str:
  return ctx.tables["summary"][["benchmark", "activation", "median_s", "ratio_to_relu", "verdict"]].to_string(
      index=False, float_format=lambda v: f"{v:.4g}")


def figures(ctx: RunContext) -> list[Path]:
  from research.figures.activation_cost import draw_figures
  return draw_figures(ctx.workdir, ctx.config.min_effect)


STUDY = Study(
    name="activation_cost",
    question="Is ReLU cheaper to compute than the other activations, in a compiled MLP training step "
             "and on its own, and is the difference visible next to the matrix products?",
    answers=("Cost: ReLU is cheaper to compute.",),
    order=70, validate=validate, sweep=lambda c: None, compute=compute, tables=tables,
    hypothesis_rows=None, figures=figures, report=report, console=console, conditions={})
