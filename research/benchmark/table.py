"""The benchmark's table: one row per implementation and section, the targets, markdown, summary."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from research.benchmark.workloads import Workload

COLUMNS = ("section", "workload", "implementation", "models", "steps", "reps", "median", "min", "max",
           "unit", "gflops", "ceiling", "ceiling_pct", "cores_used", "x_torch", "x_peer", "warmup_s", "compile_s",
           "train_acc",
           "acc_max_diff", "acc_agree", "peak_rss_mb", "note")


def training_rows(res: dict) -> list[dict]:
  """One table row per implementation of a trained workload."""
  w, impls = res["workload"], res["impls"]
  torch_rate = impls["torch loop"]["median"] if "torch loop" in impls else None
  peer_rate = impls["torch batched"]["median"] if "torch batched" in impls else None
  rows = []
  for name, o in impls.items():
    sequential = name != "engine"  # compared with the engine's accuracies
    rows.append(dict(
        section="train", workload=w.name, implementation=name,
        models=len(o["acc"]) if name in ("jax loop", "torch loop") else w.num_models, steps=w.steps,
        reps=o["reps"],
        median=o["median"], min=o["min"], max=o["max"], unit="model-steps/s", gflops=o["gflops"],
        ceiling=res["ceiling_gflops"], ceiling_pct=o["ceiling_pct"], cores_used=o["cores_used"],
        x_torch=o["median"] / torch_rate if torch_rate else float("nan"),
        x_peer=o["median"] / peer_rate if peer_rate else float("nan"),
        warmup_s=o["warmup_s"], compile_s=o["compile_s"], train_acc=o["train_acc"],
        acc_max_diff=o["acc_max_diff"] if sequential else 0.0, acc_agree=o["acc_agree"] if sequential else True,
        peak_rss_mb=res["peak_rss_mb"],
        note=_note(w, name, o)))
  return rows


def _note(w: Workload, name: str, o: dict) -> str:
  if name == "engine":
    note = f"{w.num_models} models x {w.timed_steps} steps per rep"
    return note + (f"; full run {o['full_rate']:,.0f} model-steps/s" if "full_rate" in o else "")
  if name == "torch batched":
    return (f"{w.num_models} models stacked x {w.peer_timed_steps} steps per rep; {o['variant']}, "
            f"{o['threads']} thread(s), the fastest of " +
            ", ".join(f"{k} {v:,.0f}" for k, v in sorted(o["by_variant"].items())) +
            f"; accuracy: the {len(o['acc'])} compared models stacked, {w.steps} steps")
  note = f"one model x {w.steps} steps per rep"
  if name == "torch loop":
    note += f"; {o['threads']} thread(s), the fastest of " + ", ".join(
        f"{k} thread(s) {v:,.0f}" for k, v in sorted(o["by_threads"].items()))
  return note


def evaluation_rows(res: dict, workload: str) -> list[dict]:
  g, r = res["grid"], res["regions"]
  base = dict(section="eval", workload=workload, steps=float("nan"), gflops=float("nan"),
              ceiling=float("nan"), ceiling_pct=float("nan"), cores_used=float("nan"),
              x_torch=float("nan"), x_peer=float("nan"), train_acc=float("nan"),
              acc_max_diff=float("nan"), acc_agree=None, peak_rss_mb=res["peak_rss_mb"])
  grid_base = dict(base, gflops=g["gflops"], ceiling=g["ceiling_gflops"], ceiling_pct=g["ceiling_pct"],
                   cores_used=g["cores_used"])
  rows = [dict(grid_base, implementation="grid metrics, one call", models=g["models"], reps=g["reps"],
               median=g["median"], min=g["min"], max=g["max"], unit="s/call", warmup_s=g["warmup_s"],
               compile_s=g["compile_s"],
               note=(f"count_patterns + sparsity + agreement on {g['points']:,} points per model; "
                     f"{g['patterns_mean']:,.0f} patterns, agreement {g['agreement_mean']:.3f} on average; "
                     f"{g['seconds_per_model']:.3f} s per model; GFLOP/s of the forward matmuls "
                     f"against the sgemm measured in the same repetitions"))]
  rows.append(dict(base, implementation="exact regions, per model", models=r["models"],
                   reps=r["repetitions"], median=r["regions_per_cpu_s_median"],
                   min=r["regions_per_cpu_s_min"], max=r["regions_per_cpu_s_max"], unit="regions/CPU-s",
                   cores_used=1.0, warmup_s=float("nan"), compile_s=0.0,
                   note=(f"edge subdivision, one BLAS thread; {r['regions_mean']:,.0f} regions on average "
                         f"[{r['regions_min']:,}-{r['regions_max']:,}] (the grid sees "
                         f"{r['grid_patterns_mean']:,.0f}), {r['count_cpu_s_median'] * 1e3:.0f} ms CPU "
                         f"each, {r['fallbacks']} fell back to enumerate_regions; {r['reference_models']} "
                         f"checked against enumerate_regions (same count and patterns; it is "
                         f"{r['reference_speedup']:.0f}x slower)")))
  rows.append(dict(base, implementation=f"exact regions, {r['count_models']:,} models", models=r["count_models"],
                   reps=1, median=r["pool_wall_s"], min=r["pool_wall_s"], max=r["pool_wall_s"], unit="s",
                   cores_used=r["pool_cores_used"], warmup_s=r["pool_start_s"], compile_s=0.0,
                   note=(f"{r['workers']} processes; {r['pool_models_per_s']:,.0f} models/s, "
                         f"{r['pool_regions_per_s']:,.0f} regions/s" +
                         (f"; cycling the {r['models']} distinct models" if r["cycled"] else "") +
                         f"; warmup_s: the pool's start; load {r['load_before']:.1f}-{r['load_after']:.1f}")))
  return rows


def targets(results: dict[str, dict]) -> list[dict]:
  """The issue's targets, each with whether this run met it (ceiling: the workload's own)."""
  out = []

  def add(key: str, text: str, what: Callable[[dict], float], goal: float, at_most: bool = False):
    if key not in results:
      return
    try:
      value = what(results[key])
    except KeyError:  # no torch: the ratio cannot be measured
      out.append(dict(target=text, value=float("nan"), goal=goal, at_most=at_most, met=None))
      return
    out.append(dict(target=text, value=value, goal=goal, at_most=at_most,
                    met=bool(value <= goal if at_most else value >= goal)))

  ratio = lambda res: res["impls"]["engine"]["median"] / res["impls"]["torch loop"]["median"]
  peer = lambda res: res["impls"]["engine"]["median"] / res["impls"]["torch batched"]["median"]
  pct = lambda res: res["impls"]["engine"]["ceiling_pct"]
  # Issue 6's targets against the sequential loop, then issue 14's against the batched peer.
  add("small", "W-small: engine / sequential torch (model-steps/s)", ratio, 50)
  add("mid", "W-mid: engine / sequential torch (model-steps/s)", ratio, 4)
  add("small", "W-small: engine / batched torch peer (model-steps/s)", peer, 10)
  add("small", "W-small: engine % of the sgemm ceiling", pct, 25)
  add("mid", "W-mid: engine % of the sgemm ceiling", pct, 75)
  add("wide", "W-wide: engine % of the sgemm ceiling", pct, 85)
  add("evaluation", "grid metrics % of the sgemm ceiling", lambda res: res["grid"]["ceiling_pct"], 50)
  add("evaluation", "exact regions per CPU-second, median model",
      lambda res: res["regions"]["regions_per_cpu_s_median"], 1e6)
  add("evaluation", "exact regions: seconds for 1,000 models on every core",
      lambda res: res["regions"]["pool_wall_s"] * 1000 / res["regions"]["count_models"], 30, at_most=True)
  return out


def _number(v: float) -> str:
  return "" if np.isnan(v) else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}")


def markdown_table(frame: pd.DataFrame) -> str:
  """The table as GitHub markdown (numbers rounded for reading)."""
  def fmt(v):
    if isinstance(v, (bool, np.bool_)) or v is None:
      return "" if v is None else ("yes" if v else "NO")
    return _number(v) if isinstance(v, (float, np.floating)) else str(v)
  cols = [c for c in COLUMNS if c != "note"]
  lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
  lines += ["| " + " | ".join(fmt(r[c]) for c in cols) + " |" for _, r in frame.iterrows()]
  return "\n".join(lines) + "\n"


def markdown_targets(met: list[dict]) -> str:
  """The targets as a markdown table: value, goal, met."""
  lines = ["| target | this run | goal | met |", "|---|---|---|---|"]
  for t in met:
    state = "not measured" if t["met"] is None else ("yes" if t["met"] else "**NO**")
    lines.append(f"| {t['target']} | {_number(t['value'])} | {'<=' if t['at_most'] else '>='} "
                 f"{_number(t['goal'])} | {state} |")
  return "\n".join(lines) + "\n"


def summary(frame: pd.DataFrame, report: dict) -> str:
  """A few lines for stdout: the ceiling, each workload's headline, the targets."""
  lines = [f"sgemm ceiling: best {report['ceiling_gflops']:.0f} GFLOP/s in this run (numpy "
           f"{max(report['sgemm_gflops']['numpy']):.0f}, JAX {max(report['sgemm_gflops']['jax']):.0f}); "
           f"each workload's % is against the sgemm measured during its own repetitions"]
  for _, r in frame.iterrows():
    if r["section"] == "train":
      acc = "" if r["implementation"] == "engine" else (
          f", accuracy {'agrees' if r['acc_agree'] else 'DIFFERS'} (max diff {r['acc_max_diff']:.3f})")
      x = "" if np.isnan(r["x_torch"]) else f", {r['x_torch']:.1f}x torch"
      x += "" if np.isnan(r["x_peer"]) else f", {r['x_peer']:.1f}x the batched peer"
      lines.append(f"{r['workload']:8s} {r['implementation']:13s} {r['median']:>10,.0f} model-steps/s "
                   f"[{r['min']:,.0f}-{r['max']:,.0f}], {r['gflops']:.1f} GFLOP/s "
                   f"({r['ceiling_pct']:.0f}% of {r['ceiling']:.0f}), {r['cores_used']:.1f} cores{x}{acc}")
    else:
      share = "" if np.isnan(r["gflops"]) else (
          f", {r['gflops']:.1f} GFLOP/s ({r['ceiling_pct']:.0f}% of {r['ceiling']:.0f}), "
          f"{r['cores_used']:.1f} cores")
      lines.append(f"{r['workload']:8s} {r['implementation']}: {_number(r['median'])} {r['unit']} "
                   f"[{_number(r['min'])}-{_number(r['max'])}] ({r['models']} models){share}")
  mem = report.get("memory")
  if mem:
    lines.append(f"memory: {mem['models']:,} models in {mem['chunks']} chunks of {mem['models_per_chunk']} "
                 f"(unchunked estimate {mem['unchunked_estimate_gb']:.1f} GB), peak RSS {mem['peak_rss_mb']:,.0f} MB")
  for t in report["targets"]:
    state = "not measured" if t["met"] is None else ("met" if t["met"] else "NOT met")
    lines.append(f"target {t['target']} {'<=' if t['at_most'] else '>='} {_number(t['goal'])}: "
                 f"{t['value']:,.1f} ({state})")
  ev = report["compile_events"]
  lines.append(f"compilation: {sum(report['compile_seconds'].get(k, 0) for k in ('backend_compile_duration',)):.1f}s "
               f"in XLA; persistent cache hits {ev.get('cache_hits', 0)}, misses {ev.get('cache_misses', 0)}; "
               f"wall {report['wall_s']:.0f}s")
  return "\n".join(lines)
