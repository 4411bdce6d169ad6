"""The training section: one workload trained by the engine, the jax loop, the torch loop and the
batched torch peer, repetitions interleaved, with the sgemm ceiling measured under the same load."""

from __future__ import annotations

import statistics
from typing import Callable

import jax
import numpy as np

from research.benchmark.measure import (DEFAULT_TORCH_THREADS, CompileClock, peak_rss_mb, sgemm_gflops, summarise, timed,
                                        timed_cpu, torch_or_none)
from research.benchmark.batched_peer import TorchBatched
from research.benchmark.peers import JaxLoop, TorchLoop
from research.benchmark.workloads import Workload, initial_models, matmul_flops, workload_data
from research.models import dense_weights
from research.train import TRACE_COUNT, train_models

IMPLEMENTATIONS = ("engine", "jax loop", "torch loop", "torch batched")


def run_workload(w: Workload, *, seed: int = 0, repetitions: int = 3,
                 torch_threads: tuple[int, ...] = (0,),
                 batched_variants: tuple[str, ...] = (), batched_threads: tuple[int, ...] = (0,),
                 acc_tolerance: float = 0.02,
                 full_run: bool = False, ceiling_size: int = 2048,
                 clock: CompileClock | None = None,
                 log: Callable[[str], None] = lambda s: None) -> dict:
  """Trains the workload with every implementation; returns rates, times and accuracies.

  The torch loop runs once per entry of `torch_threads` (0 = PyTorch's default) and the row keeps
  the fastest: a benchmark against a handicapped baseline would flatter the engine. The batched
  torch peer (every model stacked, research/benchmark/batched_peer.py) runs every variant with
  every thread count, and the fastest is the peer; a timed repetition of it trains all the
  workload's models for w.peer_timed_steps, and the compared models are then trained in full by
  the fastest for the accuracy check. A 2048 x 2048
  sgemm (numpy and JAX) runs in every repetition too: the ceiling under the same load.
  """
  clock = clock or CompileClock()
  if w.timed_steps % w.eval_every_steps or w.steps % w.eval_every_steps:
    raise ValueError(f"{w.name}: steps and timed_steps must be multiples of eval_every_steps")
  if batched_variants and w.peer_timed_steps < 1:
    raise ValueError(f"{w.name}: peer_timed_steps must be >= 1 to time the batched torch peer, "
                     f"got {w.peer_timed_steps}")
  ds, data = workload_data(w, seed)
  batch, spec = w.batch(seed), w.spec()
  idx = w.sequential_indices()
  params0, rest0 = initial_models(w, batch, idx)
  one = lambda tree, i: jax.tree.map(lambda a: a[i], tree)
  torch = torch_or_none()
  impls = [i for i in IMPLEMENTATIONS if not i.startswith("torch") or torch is not None]
  if not batched_variants and "torch batched" in impls:
    impls.remove("torch batched")
  out = {i: dict(rates=[], cores=[], warmup_s=0.0, compile_s=0.0, acc={}) for i in impls}
  ceilings = []

  def engine(steps: int):
    return train_models(spec, w.train_spec(steps), data, batch, progress=False)

  # Warm-up: the first call of each implementation, compilation included.
  c0, traces = clock.compile_s(), TRACE_COUNT["train_chunk"]
  t, _ = timed(lambda: engine(w.eval_every_steps))
  out["engine"].update(warmup_s=t, compile_s=clock.compile_s() - c0,
                       traces=TRACE_COUNT["train_chunk"] - traces)
  jax_loop = JaxLoop(spec, w.lr)
  c0 = clock.compile_s()
  t, _ = timed(lambda: jax_loop.train(one(params0, 0), one(rest0, 0), ds.x_train, ds.y_train, 2))
  out["jax loop"].update(warmup_s=t, compile_s=clock.compile_s() - c0)
  torch_loops = {}
  if torch is not None:
    kernels, biases = dense_weights(one(params0, 0))
    for threads in dict.fromkeys(torch_threads):
      loop = TorchLoop(w.lr, threads)
      t, _ = timed(lambda: loop.train(loop.build(kernels, biases, batch.slope[idx[0]]), ds.x_train,
                                      ds.y_train, 10))
      torch_loops[loop.threads] = (loop, dict(rates=[], cores=[], acc={}, warmup_s=t))
  batched = {}  # (variant, threads) -> measurements; the peer objects by variant
  if "torch batched" in impls:
    every = initial_models(w, batch, np.arange(w.num_models))[0]
    k_all, b_all = dense_weights(every)
    peers = {v: TorchBatched(w.lr, v) for v in dict.fromkeys(batched_variants)}
    for v, peer in peers.items():
      for threads in dict.fromkeys(k or DEFAULT_TORCH_THREADS["n"] for k in batched_threads):
        # The first call of each compiles (torch.compile) or warms the allocator.
        t, _ = timed(lambda: peer.train(peer.build(k_all, b_all, batch.slope), ds.x_train, ds.y_train,
                                        2, threads))
        batched[v, threads] = dict(rates=[], cores=[], warmup_s=t)
    out["torch batched"]["warmup_s"] = max(o["warmup_s"] for o in batched.values())
  log(f"  {w.name}: warm-up " + ", ".join(f"{i} {out[i]['warmup_s']:.1f}s" for i in impls))

  # The engine's accuracies for the compared models (the reference). A model's result does not
  # depend on the other models of its batch (tests/test_train.py), so by default only the compared
  # models are trained in full; full_run trains every model in full and reports that rate too.
  if full_run:
    t, result = timed(lambda: engine(w.steps))
    acc = {int(i): float(result.final["train_acc"][i]) for i in idx}
    out["engine"].update(full_rate=w.num_models * w.steps / t)
    log(f"  {w.name}: engine full run {t:.1f}s ({w.num_models * w.steps / t:,.0f} model-steps/s)")
  else:
    c0 = clock.compile_s()
    t, result = timed(lambda: train_models(spec, w.train_spec(w.steps), data, batch.take(idx),
                                           progress=False))
    acc = {int(i): float(a) for i, a in zip(idx, result.final["train_acc"])}
    out["engine"]["reference_compile_s"] = clock.compile_s() - c0
    log(f"  {w.name}: engine trains the {len(idx)} compared models in full: {t:.1f}s "
        f"(compile {clock.compile_s() - c0:.1f}s)")
  out["engine"]["acc"] = acc

  # Interleaved repetitions; a sequential repetition trains one of the compared models in full.
  trained = None  # the last timed engine run: the evaluation section measures its models
  for r in range(max(repetitions, len(idx))):
    ceilings.append(max(v[0] for v in sgemm_gflops(ceiling_size, 1).values()))
    if r < repetitions:
      t, cpu, trained = timed_cpu(lambda: engine(w.timed_steps))
      out["engine"]["rates"].append(w.num_models * w.timed_steps / t)
      out["engine"]["cores"].append(cpu / t)
    if r < len(idx):
      i = int(idx[r])
      t, cpu, p = timed_cpu(lambda: jax_loop.train(one(params0, r), one(rest0, r), ds.x_train,
                                                   ds.y_train, w.steps))
      out["jax loop"]["rates"].append(w.steps / t)
      out["jax loop"]["cores"].append(cpu / t)
      out["jax loop"]["acc"][i] = float(jax_loop.accuracy(p, one(rest0, r), ds.x_train, ds.y_train))
      kernels, biases = dense_weights(one(params0, r))
      for threads, (loop, o) in torch_loops.items():
        net = loop.build(kernels, biases, batch.slope[i])
        t, cpu, net = timed_cpu(lambda: loop.train(net, ds.x_train, ds.y_train, w.steps))
        o["rates"].append(w.steps / t)
        o.setdefault("cores", []).append(cpu / t)
        o["acc"][i] = loop.accuracy(net, ds.x_train, ds.y_train)
    if r < repetitions:
      for (v, threads), o in batched.items():
        models = peers[v].build(k_all, b_all, batch.slope)
        t, cpu, _ = timed_cpu(lambda: peers[v].train(models, ds.x_train, ds.y_train, w.peer_timed_steps,
                                                     threads))
        o["rates"].append(w.num_models * w.peer_timed_steps / t)
        o["cores"].append(cpu / t)
    log(f"  {w.name}: repetition {r + 1} " + ", ".join(
        f"{i} {out[i]['rates'][-1]:,.0f}" for i in impls if len(out[i]["rates"]) > r) +
        "".join(f", torch loop ({k} thread{'s' * (k > 1)}) {o['rates'][-1]:,.0f}"
                for k, (_, o) in torch_loops.items() if len(o["rates"]) > r) +
        "".join(f", torch batched ({v}, {k} thread{'s' * (k > 1)}) {o['rates'][-1]:,.0f}"
                for (v, k), o in batched.items() if len(o["rates"]) > r))

  if torch_loops:
    # The fastest thread count is the baseline; the others are kept in the note.
    per_threads = {k: o for k, (_, o) in torch_loops.items()}
    best = max(per_threads, key=lambda k: statistics.median(per_threads[k]["rates"]))
    out["torch loop"].update(per_threads[best], threads=best, by_threads={
        k: statistics.median(o["rates"]) for k, o in per_threads.items()})

  if batched:
    (v, threads), best = max(batched.items(), key=lambda kv: statistics.median(kv[1]["rates"]))
    # The peer trains the compared models in full, stacked, from the same initial weights.
    kernels, biases = dense_weights(params0)
    peer = peers[v]
    models = peer.build(kernels, biases, batch.slope[idx])
    t, _ = timed(lambda: peer.train(models, ds.x_train, ds.y_train, w.steps, threads))
    loss, acc = peer.evaluate(models, ds.x_train, ds.y_train)
    out["torch batched"].update(
        rates=best["rates"], cores=best["cores"], variant=v, threads=threads,
        acc={int(i): float(a) for i, a in zip(idx, acc)},
        final_loss={int(i): float(l) for i, l in zip(idx, loss)},
        by_variant={f"{k[0]}, {k[1]} thread{'s' * (k[1] > 1)}": statistics.median(o["rates"])
                    for k, o in batched.items()})
    log(f"  {w.name}: torch batched peer: {v} with {threads} thread(s); trains the {len(idx)} "
        f"compared models in full in {t:.1f}s")

  flops = matmul_flops(2, w.widths, 1, w.points)
  reference = out["engine"]["acc"]
  ceiling = statistics.median(ceilings)
  for i in impls:
    o = out[i]
    o.update(summarise(o["rates"]))
    o["gflops"] = o["median"] * flops / 1e9
    o["ceiling_pct"] = 100 * o["gflops"] / ceiling
    o["cores_used"] = statistics.median(o["cores"])
    diffs = [abs(a - reference[k]) for k, a in o["acc"].items()]
    o["train_acc"] = float(np.mean([o["acc"][k] for k in o["acc"]])) if o["acc"] else float("nan")
    o["acc_max_diff"] = max(diffs) if diffs else float("nan")
    o["acc_mean_diff"] = abs(o["train_acc"] - np.mean([reference[k] for k in o["acc"]])) if diffs else float("nan")
    o["acc_agree"] = bool(o["acc_mean_diff"] <= acc_tolerance) if diffs else None
  return dict(workload=w, flops_per_model_step=flops, impls=out, trained=trained,
              ceiling_gflops=ceiling, ceilings=ceilings,
              peak_rss_mb=peak_rss_mb(), sequential_models=[int(i) for i in idx])
