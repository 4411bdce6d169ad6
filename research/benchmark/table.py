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
  if r.get("reps"):
    rows.append(dict(base, implementation="enumerate_regions", models=r["models"], reps=r["reps"],
                     median=r["median"], min=r["min"], max=r["max"], unit="s/model", warmup_s=float("nan"),
                     compile_s=0.0, note=(f"exact 2-D regions, {r['regions_mean']:,.0f} on average; the "
                                          f"grid sees {r['grid_patterns_mean']:,.0f} of them on the same models")))
  return rows


def targets(results: dict[str, dict]) -> list[dict]:
  """The issue's targets, each with whether this run met it (ceiling: the workload's own)."""
  out = []

  def add(key: str, text: str, what: Callable[[dict], float], goal: float):
    if key not in results:
      return
    impls = results[key]["impls"]
    try:
      value = what(impls)
    except KeyError:  # no torch: the ratio cannot be measured
      out.append(dict(target=text, value=float("nan"), goal=goal, met=None))
      return
    out.append(dict(target=text, value=value, goal=goal, met=bool(value >= goal)))

  ratio = lambda i: i["engine"]["median"] / i["torch loop"]["median"]
  peer = lambda i: i["engine"]["median"] / i["torch batched"]["median"]
  pct = lambda i: i["engine"]["ceiling_pct"]
  # Issue 6's targets against the sequential loop, then issue 14's against the batched peer.
  add("small", "W-small: engine / sequential torch (model-steps/s)", ratio, 50)
  add("mid", "W-mid: engine / sequential torch (model-steps/s)", ratio, 4)
  add("small", "W-small: engine / batched torch peer (model-steps/s)", peer, 10)
  add("small", "W-small: engine % of the sgemm ceiling", pct, 25)
  add("mid", "W-mid: engine % of the sgemm ceiling", pct, 75)
  add("wide", "W-wide: engine % of the sgemm ceiling", pct, 85)
  return out


def markdown_table(frame: pd.DataFrame) -> str:
  """The table as GitHub markdown (numbers rounded for reading)."""
  def fmt(v):
    if isinstance(v, (bool, np.bool_)) or v is None:
      return "" if v is None else ("yes" if v else "NO")
    if isinstance(v, (float, np.floating)):
      if np.isnan(v):
        return ""
      return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return str(v)
  cols = [c for c in COLUMNS if c != "note"]
  lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
  lines += ["| " + " | ".join(fmt(r[c]) for c in cols) + " |" for _, r in frame.iterrows()]
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
      lines.append(f"{r['workload']:8s} {r['implementation']}: {r['median']:.2f} {r['unit']} "
                   f"[{r['min']:.2f}-{r['max']:.2f}] ({r['models']} models){share}")
  mem = report.get("memory")
  if mem:
    lines.append(f"memory: {mem['models']:,} models in {mem['chunks']} chunks of {mem['models_per_chunk']} "
                 f"(unchunked estimate {mem['unchunked_estimate_gb']:.1f} GB), peak RSS {mem['peak_rss_mb']:,.0f} MB")
  for t in report["targets"]:
    state = "not measured" if t["met"] is None else ("met" if t["met"] else "NOT met")
    lines.append(f"target {t['target']} >= {t['goal']:g}: {t['value']:.1f} ({state})")
  ev = report["compile_events"]
  lines.append(f"compilation: {sum(report['compile_seconds'].get(k, 0) for k in ('backend_compile_duration',)):.1f}s "
               f"in XLA; persistent cache hits {ev.get('cache_hits', 0)}, misses {ev.get('cache_misses', 0)}; "
               f"wall {report['wall_s']:.0f}s")
  return "\n".join(lines)
