"""The performance benchmark: the engine against the loops a newcomer would write, side by side.

For each training workload (configs/benchmark.py) four implementations train the same models
(same data, same initial weights, same full-batch Adam):
  engine        research.train.train_models: every model in one compiled program (vmap + lax.scan);
  jax loop      one model at a time, one jitted optimiser step per Python iteration;
  torch loop    one model at a time, a plain PyTorch CPU loop (optional: skipped without torch);
  torch batched every model stacked, batched matmuls and one Adam (the strongest PyTorch peer:
                the fastest of bmm, vmap and torch.compile, one and two threads).
Repetitions are interleaved (engine, jax loop, torch loop, torch batched, engine, ...) so that load from other
processes hits every implementation alike; rates are medians with min-max. Warm-up (the first
call, compilation included) and compilation (XLA's own time, from JAX's monitoring events) are
reported apart from the timed repetitions. A sequential repetition trains one model for the full
step count, so its final accuracy is compared with the engine's for the same model.

Throughput is in model-steps/s and in achieved GFLOP/s of the forward and backward matmuls,
against a float32 matmul ceiling measured in the same run: the better of a 2048 x 2048 sgemm in
numpy and in JAX, run within every repetition so that it sees the same load as the workload (on a
shared machine the sgemm rate itself varies twofold); cores_used is the CPU seconds per wall
second an implementation got. The evaluation side times the grid metrics of many models in one
call (activation pattern count, sparsity, agreement with the ground truth) and exact region
counting of the same models (regions per CPU-second per model, a thousand models on every core).

The package, one job a module: workloads (what is trained, its data and FLOPs), measure (timers,
compile clock, sgemm ceiling, machine description), peers (the per-model jitted loop and the
PyTorch loop), training / evaluation / memory (one section each), table (rows, targets, markdown,
summary); `main` here runs the sections of a config and writes the table.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import ml_collections
import pandas as pd

from research.benchmark.evaluation import run_evaluation
from research.benchmark.measure import CompileClock, machine, sgemm_gflops
from research.benchmark.memory import run_memory
from research.benchmark.table import (COLUMNS, evaluation_rows, markdown_table, markdown_targets, summary,
                                      targets, training_rows)
from research.benchmark.training import run_workload
from research.benchmark.workloads import workload_from_config
from research.store import atomic_write_csv, atomic_write_json, atomic_write_text


def check_config(config: ml_collections.ConfigDict) -> None:
  """The evaluation section's counts, checked before anything runs (ConfigError, one line)."""
  from research.validation import check_int
  e = config.evaluation
  check_int("evaluation.models", e.models, 1)
  for field, low in (("region_models", 1), ("region_repetitions", 1), ("region_count_models", 1),
                     ("region_workers", 0), ("region_reference_models", 1)):
    check_int(f"evaluation.{field}", e[field], low)


def main(config: ml_collections.ConfigDict, workdir: str) -> int:
  """Runs every section of the config, writes the table to `workdir`, prints a summary."""
  start = time.perf_counter()
  root = Path(workdir)
  root.mkdir(parents=True, exist_ok=True)
  clock = CompileClock()
  log = lambda s: print(s, flush=True)
  info = machine()
  log(f"benchmark on {info['cpu']} ({info['cores']} cores, {info['memory_gb']} GB), "
      f"{len(info['jax_devices'])} XLA device(s), torch {info['torch'] or 'not installed'}, "
      f"load average {info['load_average'][0]:.1f}")
  if info["torch"] is None:
    log("  note: torch is not installed: the torch loop and torch batched columns are skipped "
        "(pip install -e '.[benchmark]' adds it)")
  sgemm = sgemm_gflops(config.ceiling.size, config.ceiling.repetitions)
  workloads = {k: workload_from_config(k, config.workloads[k]) for k in config.workloads}
  results, rows = {}, []
  for key in config.sections:
    if key in workloads:
      log(f"{workloads[key].name}: {workloads[key].num_models} models, {workloads[key].steps} steps")
      results[key] = run_workload(workloads[key], seed=config.seed, repetitions=config.repetitions,
                                  torch_threads=tuple(config.torch_threads),
                                  batched_variants=tuple(config.torch_batched_variants),
                                  batched_threads=tuple(config.torch_batched_threads),
                                  acc_tolerance=config.acc_tolerance,
                                  full_run=config.engine_full_run,
                                  ceiling_size=config.ceiling.size, clock=clock, log=log)
    elif key == "evaluation":
      log("evaluation")
      source = results.get(config.evaluation.workload, {})
      results[key] = run_evaluation(workloads[config.evaluation.workload], config.evaluation,
                                    seed=config.seed, clock=clock, trained=source.get("trained"),
                                    trained_steps=source["workload"].timed_steps if source else None,
                                    log=log)
    elif key == "memory":
      log("memory")
      results[key] = run_memory(workloads[config.memory.workload], config.memory, seed=config.seed,
                                log=log)
    else:
      raise ValueError(f"unknown benchmark section {key!r}; valid: {', '.join([*workloads, 'evaluation', 'memory'])}")
  # The ceiling is measured again at the end and the best of all kept: load varies during a run.
  for lib, values in sgemm_gflops(config.ceiling.size, config.ceiling.repetitions).items():
    sgemm[lib] += values
  ceiling = max(max(v) for v in sgemm.values())
  for key, res in results.items():
    if key in workloads:
      rows += training_rows(res)
    elif key == "evaluation":
      rows += evaluation_rows(res, workloads[config.evaluation.workload].name)
  frame = pd.DataFrame(rows, columns=list(COLUMNS))
  met = targets(results)
  info["load_average_end"] = os.getloadavg()
  report = dict(machine=info, config=config.to_dict(), ceiling_gflops=ceiling, sgemm_gflops=sgemm,
                compile_seconds=dict(clock.seconds), compile_events=dict(clock.events),
                targets=met, memory=results.get("memory"), wall_s=time.perf_counter() - start,
                rows=rows, sequential_accuracies={k: {i: r["impls"][i]["acc"] for i in r["impls"]}
                                                  for k, r in results.items() if k in workloads})
  atomic_write_csv(root / "benchmark.csv", frame)
  atomic_write_json(root / "benchmark.json", report)
  atomic_write_text(root / "benchmark.md", markdown_table(frame) + "\n" + markdown_targets(met))
  log(summary(frame, report))
  return 0

