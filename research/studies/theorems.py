"""The theorem study: claims that must hold for every network, each tested on many random nets.

Every part is computed outside a sweep (the `compute` hook; nothing is trained) by
research/theorems/: decision regions of width-2 nets in the whole plane (Nguyen, Mukkamala & Hein
2018; Johnson 2019), stably unactivated second-layer units (Brownlowe et al. 2024), region counts
vs neurons, depth and slope (Hanin & Rolnick 2019) and linking numbers through width-3 layers
(Ren & Lim 2026, our reading). The report lists each claim and cell with the nets tested, the
counterexamples found and a verdict: HOLDS (none found), BROKEN (a counterexample that survived
the recount; its weights are in counterexamples/), NOT COVERED (the theorem does not speak about
this activation: its rate is reported beside).
"""

from __future__ import annotations

import time
from pathlib import Path

import ml_collections
import pandas as pd

from research.activations import parse_activation
from research.hypotheses import markdown_table
from research.study import ReportContent, RunContext, Study, timing_line
from research.theorems import parts, region_growth
from research.theorems.nets import INITS
from research.validation import ConfigError, check_float, check_int, check_sequence, fail

LINK_MONOTONE = ("relu", "leaky_relu", "tanh", "sigmoid", "hard_tanh")


def _activations(field: str, specs, *, pwl_or=()) -> None:
  for spec in check_sequence(field, specs):
    try:
      act = parse_activation(spec)
    except ValueError as e:
      raise ConfigError(f"config.{field}: {e}") from None
    if act.kind.learned_slope:
      fail(field, spec, "must have a fixed slope (prelu's is learned)")
    if pwl_or and act.pwl() is None and act.name not in pwl_or:
      fail(field, spec, f"must be piecewise linear (counted exactly) or one of {', '.join(pwl_or)} "
           "(read on a grid)")


def validate(c: ml_collections.ConfigDict) -> None:
  """Raises ConfigError (one line) on the first invalid value, before anything is computed."""
  check_int("seed", c.seed, 0)
  p = c.plane
  _activations("plane.activations", p.activations, pwl_or=("tanh", "sigmoid"))
  for d in check_sequence("plane.depths", p.depths):
    check_int("plane.depths", d, 1, 6)
  check_int("plane.num_nets", p.num_nets, 1, 1_000_000)
  check_float("plane.bias_std", p.bias_std, 0.0, strict=True)
  check_float("plane.first_half_width", p.first_half_width, 0.0, strict=True)
  check_float("plane.grid_half_width", p.grid_half_width, 0.0, strict=True)
  check_int("plane.grid_points", p.grid_points, 8, 2048)
  s = c.stable
  for w in check_sequence("stable.widths", s.widths):
    check_int("stable.widths", w, 1, 64)
  for init in check_sequence("stable.inits", s.inits):
    if init not in INITS:
      fail("stable.inits", init, f"valid inits: {', '.join(INITS)}")
  check_int("stable.num_inits", s.num_inits, 100, 100_000_000)
  check_float("stable.bias_std", s.bias_std, 0.0, strict=True)
  check_int("stable.inits_per_call", s.inits_per_call, 1, 10_000_000)
  check_float("stable.tolerance", s.tolerance, 0.0, strict=True)
  g = c.growth
  neurons = [check_int("growth.neurons", n, 2, 4096) for n in check_sequence("growth.neurons", g.neurons)]
  depths = [check_int("growth.depths", d, 1, 64) for d in check_sequence("growth.depths", g.depths)]
  for n in neurons:
    for d in depths:
      if n % d:
        fail("growth.neurons", n, f"must be divisible by every depth {depths} (equal widths)")
  if len(neurons) < 2:
    fail("growth.neurons", tuple(g.neurons), "needs at least two totals to fit an exponent")
  for sl in check_sequence("growth.slopes", g.slopes):
    check_float("growth.slopes", sl, 0.0, high=1.0)
  check_int("growth.num_seeds", g.num_seeds, 2, 10_000)
  for f in ("half_width", "bias_std", "tol_exponent", "tol_depth", "tol_slope"):
    check_float(f"growth.{f}", g[f], 0.0, strict=True)
  k = c.linking
  _activations("linking.activations", k.activations)
  check_int("linking.depth", k.depth, 1, 10)
  check_int("linking.num_nets", k.num_nets, 1, 1_000_000)
  check_float("linking.bias_std", k.bias_std, 0.0, strict=True)
  check_int("linking.points", k.points, 8, 1024)


def compute(ctx: RunContext) -> dict[str, pd.DataFrame]:
  """The four parts' tables (nothing is trained); counterexamples saved under the workdir."""
  c, out, times = ctx.config, {}, []
  p, s, g, k = c.plane, c.stable, c.growth, c.linking
  jobs = {
      "plane_nets": lambda: parts.plane_part(
          p.activations, p.depths, p.num_nets, c.seed, bias_std=p.bias_std, first_half=p.first_half_width,
          grid_half=p.grid_half_width, grid_points=p.grid_points, workdir=ctx.workdir, progress=ctx.progress),
      "stable": lambda: parts.stable_part(s.widths, s.inits, s.num_inits, c.seed, bias_std=s.bias_std,
                                          per_call=s.inits_per_call).assign(
          within_tolerance=lambda t: t["difference"].abs() <= s.tolerance),
      "region_counts": lambda: region_growth.count_table(c.seed, g.neurons, g.depths, g.slopes, g.num_seeds,
                                                         g.half_width, g.bias_std),
      "linking": lambda: parts.linking_part(k.activations, k.depth, k.num_nets, c.seed, bias_std=k.bias_std,
                                            points=k.points)}
  for name, job in jobs.items():
    start = time.perf_counter()
    out[name] = job()
    times.append(dict(part=name, wall_time_s=time.perf_counter() - start))
    if ctx.progress:
      print(f"theorems: {name} took {times[-1]['wall_time_s']:.0f} s", flush=True)
  out["part_times"] = pd.DataFrame(times)
  return out


def tables(ctx: RunContext) -> dict[str, pd.DataFrame]:
  t = dict(ctx.computed)
  t["claims"] = parts.claims_table(t["plane_nets"], t["linking"])
  g = ctx.config.growth
  t["region_fits"] = region_growth.claim_rows(t["region_counts"], g.tol_exponent, g.tol_depth, g.tol_slope)
  return t


def _fmt(frame: pd.DataFrame, cols, digits=4) -> pd.DataFrame:
  out = frame[cols].copy()
  for col in out.columns:
    if pd.api.types.is_float_dtype(out[col]):
      out[col] = out[col].map(lambda v: f"{v:.{digits}g}")
  return out


def _saved(workdir: Path, kind: str) -> list[str]:
  return sorted(p.name for p in (workdir / kind).glob("*.npz"))


def report(ctx: RunContext) -> ReportContent:
  c, t = ctx.config, ctx.tables
  claims, stable, fits = t["claims"], t["stable"], t["region_fits"]
  counter = _saved(ctx.workdir, "counterexamples")
  extra = [
      "## Claims that must hold for every net", "",
      "nets: drawn; tested: with a certified count; flagged: broke the claim at the first count; "
      "counterexamples: broke it again on the recount (exact: 1000x tighter sliver tolerances; grid: "
      "8x the points on the square 4x as wide, the same square and a quarter of it, all three; "
      "linking: certified polygons). Where the claim does not "
      "cover the activation (NOT COVERED: ReLU for Nguyen et al.) the column counts the nets that have "
      "a disconnected region, and rate is ReLU's rate of disconnected regions.", "",
      markdown_table(_fmt(claims, ["claim", "activation", "cell", "method", "nets", "tested", "flagged",
                                   "counterexamples", "rate", "verdict"])), "",
      "## Brownlowe et al.: P(second-layer unit stably unactivated), 2-D input", "",
      f"Exact decision per net; 95% Wilson interval; target |estimate - theory| <= {c.stable.tolerance:g}.", "",
      markdown_table(_fmt(stable, ["init", "width", "num_inits", "num_stable", "p", "ci_low", "ci_high",
                                   "theory", "difference", "within_tolerance"], 5)), "",
      "## Hanin & Rolnick: region counts at initialisation", "",
      "CONSISTENT: the 95% t interval lies within theory +- tolerance; INCONSISTENT: wholly outside; "
      "else INCONCLUSIVE.", "",
      markdown_table(_fmt(fits, ["estimate", "cell", "value", "ci_low", "ci_high", "n", "theory", "tolerance",
                                 "verdict"], 3)), "",
      "## Saved networks", "",
      (f"Counterexamples (weights in counterexamples/): {', '.join(counter)}" if counter else
       "No counterexample was found, so none is saved."), "",
      "Grid candidates (smooth activations; weights in candidates/, not certified): "
      + (", ".join(_saved(ctx.workdir, "candidates")) or "none"), "",
      "Examples of what a claim does not cover (first per cell, in examples/): "
      + (", ".join(_saved(ctx.workdir, "examples")) or "none"), ""]
  caveats = (
      "Every net is a random initialisation (symmetric draws, non-zero biases); none is trained, so "
      "nothing here says what training finds, only what no net of these shapes can do.",
      "Exact plane counts are exact up to the sliver tolerances of research/metrics/decision_regions.py "
      "(regions.SLIVER_REL = 1e-12 of the area, THIN_REL = 1e-11 of the scale, LINE_REL = 1e-9): a "
      "component joined only through a sliver counts as several, and a dropped sliver could make a "
      "component look bounded; every flagged net is recounted at 1000x tighter tolerances.",
      "Nguyen et al. assume full-rank weight matrices: random draws are full rank with probability 1, "
      "and a hand-built LeakyReLU net with a singular first layer has a disconnected region "
      "(tests/test_study_theorems.py), so the theorem cannot be dropped to 'any weights'.",
      "Is tanh covered by Nguyen et al.? Their abstract says 'a class of activation functions "
      "including leaky ReLU'; the proof pulls a connected set S back through each layer, and with a "
      "bounded range (tanh) it is S cut by the box (-1, 1)^2 that is pulled back, which can fall in "
      "two. This study tests tanh as covered (as the issue asked); a tanh candidate that survives "
      "every grid is evidence that tanh is outside their class, not that the theorem is wrong.",
      f"tanh has no finite arrangement: its regions are read on a {c.plane.grid_points}^2 grid of "
      f"[-{c.plane.grid_half_width:g}, {c.plane.grid_half_width:g}]^2; a region connected only outside "
      "it, or through a neck thinner than a cell, counts as several, so grid candidates are not "
      "certified counterexamples.",
      "Ren & Lim's theorem statements were not available (only their abstract); the linking claim is our "
      "reading with our own argument (research/theorems/linking.py). A layer's |lk| counts only where "
      "the mapped polygons are certified (further apart than their estimated deviation from the image "
      "curves); the deviation is estimated at segment midpoints, not bounded, and unresolved layers "
      "(images too close or touching) are not tested.",
      "Hanin & Rolnick's N^2 law is asymptotic; at these sizes the +N terms pull the fitted exponent "
      "below 2, and deep nets of few neurons are narrow (width 4 at 16 neurons, depth 4).",
  )
  findings = []
  for r in claims.itertuples():  # every cell: each claim with its count and the nets it was tested on
    findings.append(f"{r.claim}, {r.activation} {r.cell}: {r.counterexamples} of {r.tested} "
                    f"({r.rate:.3f}) -> {r.verdict}")
  for r in stable.itertuples():
    findings.append(f"Brownlowe, {r.init} init, width {r.width}: {r.p:.5f} [{r.ci_low:.5f}, {r.ci_high:.5f}] "
                    f"vs theory {r.theory:.5f} (difference {r.difference:+.5f})")
  for r in fits[fits["estimate"] == "exponent of neurons"].itertuples():
    findings.append(f"Hanin & Rolnick, {r.cell}: regions ~ neurons^{r.value:.2f} [{r.ci_low:.2f}, "
                    f"{r.ci_high:.2f}] (theory 2) -> {r.verdict}")
  setting = "\n".join([
      f"- plane: 2-{'2-' * 1}...-1 nets of depths {list(c.plane.depths)}, activations "
      f"{list(c.plane.activations)}, {c.plane.num_nets} nets per cell (the same nets for every "
      f"activation), He-normal weights, N(0, {c.plane.bias_std:g}^2) biases, binary head",
      f"- stable: first-layer widths {list(c.stable.widths)}, draws {list(c.stable.inits)}, "
      f"{c.stable.num_inits:,} nets each",
      f"- growth: neurons {list(c.growth.neurons)} x depths {list(c.growth.depths)} x slopes "
      f"{list(c.growth.slopes)}, {c.growth.num_seeds} seeds, box [-{c.growth.half_width:g}, "
      f"{c.growth.half_width:g}]^2, N(0, {c.growth.bias_std:g}^2) biases",
      f"- linking: a Hopf link (two unit circles, {c.linking.points} vertices each) through 3-3-...-3 nets "
      f"of depth {c.linking.depth}, activations {list(c.linking.activations)}, {c.linking.num_nets} "
      f"nets each, N(0, {c.linking.bias_std:g}^2) biases",
      "- " + timing_line(ctx, "every part, tables, figures") + "; parts: " + ", ".join(
          f"{r.part} {r.wall_time_s:.0f} s" for r in t["part_times"].itertuples())])
  return ReportContent(setting=setting, extra_markdown="\n".join(extra), caveats=caveats,
                       findings=tuple(findings))


def console(ctx: RunContext) -> str:
  cols = ["claim", "activation", "cell", "tested", "counterexamples", "verdict"]
  return ctx.tables["claims"][cols].to_string(index=False)


def figures(ctx: RunContext) -> list:
  from research.figures.theorems import draw_figures
  return draw_figures(ctx.workdir, ctx.tables)


STUDY = Study(
    name="theorems",
    question="Do the width theorems about decision regions, dead units, region counts and linked "
             "rings hold on thousands of random networks, or does a counterexample break one?",
    answers=("The geometry: linear regions grow with neurons, not exponentially with depth "
             "(Hanin & Rolnick); LeakyReLU has the same breakpoints.",
             "Width makes death harmless: the chance that a ReLU net is dead at initialisation falls "
             "with width and rises with depth (Lu et al.).",
             "Non-injective maps disentangle: ReLU layers change the topology of the data faster "
             "than homeomorphic (LeakyReLU, tanh) layers (Naitzat et al.)."),
    order=65, validate=validate, sweep=lambda c: None, compute=compute, tables=tables,
    hypothesis_rows=None, figures=figures, report=report, console=console, conditions={})
