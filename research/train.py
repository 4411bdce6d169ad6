"""The many-model training engine.

M models that share an architecture (widths, depth, activation family, initialiser) are trained in
one compiled program: `jax.vmap` over the model axis (init seed, leaky slope, learning rate, data
set instance) and `lax.scan` over steps. Steps run in chunks of `eval_every_steps` so a progress
bar advances and train/test metrics are logged between chunks; every chunk calls the same compiled
function. A model whose loss or parameters become non-finite is frozen at its last finite state and
marked diverged with the step; the other models in the batch are untouched (their arithmetic never
reads another model's values).

The model axis is laid out over every device with a `NamedSharding` (the entry points give the CPU
one device per core, `research.jax_setup`, so the cores run their shards side by side, see
BENCHMARKS.md) and processed in equal-size chunks (the last one padded), sized to a memory budget,
so a sweep of any size compiles once and fits in memory. On a CPU each device trains its shard a
few models at a time inside the program (models_per_group), so a step's activations stay in the
core's cache. The model and its one-model functions (forward, loss, evaluation) are research.models.
Importing this module turns on JAX's persistent compilation cache (research.jax_setup), so a rerun
of the same shapes does not compile again.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec as P
from tqdm.auto import tqdm

from research import distributed, jax_setup
from research.model_batch import ModelBatch
from research.models import (DTYPES, ModelSpec, evaluate_batch, forward, graphdef_of, host_floats, init_model,
                             loss_and_accuracy)

jax_setup.enable_compilation_cache()

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "cosine", "halve_every")

# Incremented each time the chunk function is traced: tests use it to check one compile per shape.
TRACE_COUNT = {"train_chunk": 0}

# Bytes of one step's activations that a group of models on one CPU device should not exceed (about
# half a core's L2 cache here), see models_per_group.
CPU_GROUP_BYTES = 1 << 20

# Default memory for the models of one chunk (parameters, optimiser state, activations and their
# gradients); the model axis is cut into chunks that fit (see models_per_chunk).
DEFAULT_MEMORY_BUDGET_BYTES = 2 * 1024**3


@dataclasses.dataclass(frozen=True)
class TrainSpec:
  """Optimiser, schedule and step budget (static: shared by every model of a batch)."""

  optimizer: str = "adam"
  momentum: float = 0.9  # sgd only
  schedule: str = "constant"
  halve_every_steps: int = 2500  # Naitzat et al.'s schedule
  num_steps: int = 2000
  eval_every_steps: int = 250
  batch_size: int = 0  # 0 = full batch
  # A model whose training loss exceeds this (nats) counts as diverged, like a non-finite one:
  # Adam can run a loss up to 1e16 without overflowing, and such a model must not be averaged in.
  max_loss: float = 1e6

  def relative_schedule(self) -> optax.Schedule:
    """Multiplier of each model's base learning rate at a step (1.0 at step 0)."""
    if self.schedule == "constant":
      return optax.constant_schedule(1.0)
    if self.schedule == "cosine":
      return optax.cosine_decay_schedule(1.0, self.num_steps)
    if self.schedule == "halve_every":
      return optax.exponential_decay(1.0, self.halve_every_steps, 0.5, staircase=True)
    raise ValueError(f"unknown schedule {self.schedule!r}; valid schedules: {', '.join(SCHEDULES)}")

  def direction(self) -> optax.GradientTransformation:
    """The optimiser without its learning rate, which is applied per model (it is vmapped)."""
    if self.optimizer == "adam":
      base = optax.scale_by_adam()
    elif self.optimizer == "sgd":
      base = optax.trace(decay=self.momentum) if self.momentum else optax.identity()
    else:
      raise ValueError(f"unknown optimizer {self.optimizer!r}; valid optimizers: {', '.join(OPTIMIZERS)}")
    return optax.chain(base, optax.scale_by_schedule(self.relative_schedule()))

  def compiled(self) -> "TrainSpec":
    """This spec with the fields that do not change the compiled step zeroed (the jit cache key).

    The number of steps of a chunk is its own static argument, so two runs that differ only in
    length, evaluation period or an unused hyper-parameter share one compiled program.
    """
    return dataclasses.replace(
        self, eval_every_steps=0,
        num_steps=self.num_steps if self.schedule == "cosine" else 0,
        halve_every_steps=self.halve_every_steps if self.schedule == "halve_every" else 0,
        momentum=self.momentum if self.optimizer == "sgd" else 0.0)


@dataclasses.dataclass
class TrainResult:
  """Everything the engine returns, as host numpy arrays with a leading model axis."""

  params: Any  # nnx.State of Params, leaves (M, ...)
  rest: Any  # nnx.State of the other variables (the leaky slope), leaves (M, ...)
  curves: dict[str, np.ndarray]  # name -> (num_evals, M); "step" -> (num_evals,)
  diverged: np.ndarray  # (M,) bool
  diverged_step: np.ndarray  # (M,) int, -1 if never
  final: dict[str, np.ndarray]  # train/test loss and accuracy at the end, (M,)
  wall_time_s: float
  compile_time_s: float
  models_per_chunk: int = 0  # the chunk size the memory budget gave (padded to the devices)
  # step -> (params, rest) at that step, for the requested checkpoint_steps (0 = initialisation)
  checkpoints: dict = dataclasses.field(default_factory=dict)


# ----------------------------------------------------------------------------- one model's steps

def _all_finite(tree) -> jax.Array:
  return jnp.all(jnp.stack([jnp.all(jnp.isfinite(l)) for l in jax.tree.leaves(tree)]))


def train_chunk(graphdef, train_spec: TrainSpec, carry, x, y, seed, lr, start_step, num_steps: int):
  """`num_steps` optimiser steps of one model, from `start_step`, in one `lax.scan`."""
  TRACE_COUNT["train_chunk"] += 1
  tx = train_spec.direction()
  batch_key = jax.random.fold_in(jax.random.key(seed), 1)
  n = x.shape[0]

  def loss_fn(params, rest, xb, yb):
    logits, _ = forward(graphdef, params, rest, xb)
    return loss_and_accuracy(logits, yb)[0]

  def step(carry, step_index):
    params, rest, opt_state, diverged, diverged_step = carry
    if train_spec.batch_size and train_spec.batch_size < n:
      idx = jax.random.permutation(jax.random.fold_in(batch_key, step_index), n)[:train_spec.batch_size]
      xb, yb = x[idx], y[idx]
    else:
      xb, yb = x, y
    loss, grads = jax.value_and_grad(loss_fn)(params, rest, xb, yb)
    direction, new_opt_state = tx.update(grads, opt_state, params)
    # The learning rate in the parameters' precision, so a bfloat16 update is not computed in float32.
    new_params = optax.apply_updates(params, jax.tree.map(lambda d: -lr.astype(d.dtype) * d, direction))
    ok = jnp.isfinite(loss) & (loss <= train_spec.max_loss) & _all_finite(new_params)
    newly_diverged = ~diverged & ~ok
    keep = diverged | ~ok  # frozen at the last finite state
    params = jax.tree.map(lambda old, new: jnp.where(keep, old, new), params, new_params)
    opt_state = jax.tree.map(lambda old, new: jnp.where(keep, old, new), opt_state, new_opt_state)
    diverged_step = jnp.where(newly_diverged, step_index, diverged_step)
    return (params, rest, opt_state, diverged | ~ok, diverged_step), None

  steps = start_step + jnp.arange(num_steps, dtype=jnp.int32)  # int32 also with x64 on (the carry's)
  carry, _ = jax.lax.scan(step, carry, steps)
  return carry


# ----------------------------------------------------------------------------- the engine

def model_mesh() -> Mesh:
  """A 1-D mesh named 'models' over every device (a single CPU device is a trivial mesh)."""
  # Auto axes: XLA propagates the model-axis sharding through vmap (Explicit axes would demand
  # every intermediate be annotated).
  return jax.make_mesh((jax.device_count(),), ("models",), axis_types=(AxisType.Auto,))


# The batched steps are module-level jitted functions with the graph and the training spec as
# static arguments, so every call with the same architecture and shapes reuses one compilation.

@functools.partial(jax.jit, static_argnames=("graphdef", "train_spec", "num_steps", "group_size"),
                   donate_argnums=(0,))
def _train_chunk_batch(carry, x_all, y_all, data_index, seed, lr, start_step, *, graphdef,
                       train_spec: TrainSpec, num_steps: int, group_size: int | None):
  def models(carry, data_index, seed, lr, x_all, y_all, start_step):
    def one(carry, data_index, seed, lr):
      return train_chunk(graphdef, train_spec, carry, x_all[data_index], y_all[data_index],
                         seed, lr, start_step, num_steps)
    if group_size is None:
      return jax.vmap(one)(carry, data_index, seed, lr)
    # lax.map with batch_size: vmapped over `group_size` models, group after group.
    return jax.lax.map(lambda a: one(*a), (carry, data_index, seed, lr), batch_size=group_size)

  args = (carry, data_index, seed, lr, x_all, y_all, start_step)
  if group_size is None:
    return models(*args)
  # Each device runs the groups of its own shard of the model axis.
  return jax.shard_map(models, mesh=model_mesh(), in_specs=(P("models"),) * 4 + (P(),) * 3,
                       out_specs=P("models"))(*args)


def train_chunk_batch(carry, x_all, y_all, data_index, seed, lr, start_step, *, graphdef,
                      train_spec: TrainSpec, num_steps: int, group_size: int | None = None):
  """`train_chunk` vmapped over the model axis; each model reads its own data instance.

  group_size: None trains every model of a device side by side; an int trains them that many at
  a time, group after group, inside the same program (see models_per_group; group_layout makes it
  divide each device's share, so no ragged group is traced a second time).
  Jitted with `carry` donated; compiled once per (graph, `train_spec.compiled()`, num_steps,
  group_size, shapes).
  """
  return _train_chunk_batch(carry, x_all, y_all, data_index, seed, lr, start_step, graphdef=graphdef,
                            train_spec=train_spec.compiled(), num_steps=num_steps,
                            group_size=group_size)


@functools.partial(jax.jit, static_argnames=("spec", "train_spec"))
def _init_batch(seed, slope, *, spec: ModelSpec, train_spec: TrainSpec):
  params, rest = jax.vmap(lambda s, sl: init_model(spec, s, sl))(seed, slope)
  return params, rest, jax.vmap(train_spec.direction().init)(params)


def init_batch(seed, slope, *, spec: ModelSpec, train_spec: TrainSpec):
  """Initial (params, rest, opt_state) of every model in `spec.dtype` (jitted; the weights drawn
  in float32 and cast, research.models.init_model)."""
  return _init_batch(seed, slope, spec=spec, train_spec=train_spec.compiled())


def bytes_per_model(spec: ModelSpec, num_points: int, num_eval_points: int = 0,
                    batch_size: int = 0) -> int:
  """Estimated peak bytes of one model in a training chunk (what the memory budget divides).

  Parameters with their gradient, optimiser moments and the copies the divergence check keeps
  (about 8 copies), plus per point and unit about 3 floats (pre-activation, activation and the
  gradient XLA keeps alive for the backward pass; measured 2.2-2.4 in the buffer assignment of the
  compiled step), plus the model's gathered data and the evaluation forward pass.
  """
  widths = (spec.in_dim, *spec.hidden_widths, 1 if spec.num_classes == 2 else spec.num_classes)
  num_params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
  units = sum(widths[1:])
  points = batch_size if 0 < batch_size < num_points else num_points
  floats = (8 * num_params + 3 * points * units + num_points * (spec.in_dim + 2)
            + 2 * num_eval_points * units)
  return max(4, jnp.dtype(DTYPES[spec.dtype]).itemsize) * floats  # bfloat16 at 4: XLA widens some


def models_per_chunk(spec: ModelSpec, train_spec: TrainSpec, data: dict[str, np.ndarray],
                     num_models: int, max_models_per_chunk: int, memory_budget_bytes: int,
                     num_devices: int = 1) -> int:
  """Models trained at once: all of them if they fit the budget, a multiple of the device count."""
  per_model = bytes_per_model(spec, data["x_train"].shape[1], data["x_test"].shape[1],
                              train_spec.batch_size)
  size = max(1, min(max_models_per_chunk, num_models, memory_budget_bytes // per_model))
  return int(math.ceil(size / num_devices) * num_devices)  # every device gets the same share


def models_per_group(spec: ModelSpec, num_points: int, platform: str) -> int | None:
  """How many of a device's models to train side by side at a time (None: all of them).

  On a CPU a device's models run group after group inside the compiled program, each group small
  enough that the activations of one step stay in the core's cache (CPU_GROUP_BYTES) rather than
  streaming through memory on every element-wise pass: see BENCHMARKS.md for the measurements. At
  least 2, because the dot libraries run a batch of two models faster than one model twice. A GPU
  wants every model at once.
  """
  if platform != "cpu":
    return None
  units = sum(spec.hidden_widths) + (1 if spec.num_classes == 2 else spec.num_classes)
  step_bytes = 4 * 4 * num_points * units  # pre-activation, activation and both their gradients
  return max(2, CPU_GROUP_BYTES // step_bytes)


def group_layout(chunk_size: int, num_devices: int, group_size: int | None) -> tuple[int, int | None]:
  """(chunk size, group size) with each device's share an exact number of equal groups.

  A ragged last group would trace and compile the step a second time, so the group size becomes
  the largest divisor of a device's share that is at least half the asked size (and at least 2);
  where there is none, the groups are evened out with pads (33 models in groups of at most 32
  become 2 groups of 17, one pad).
  """
  local = chunk_size // num_devices
  if group_size is None or group_size >= local:
    return chunk_size, None
  fits = [d for d in range(group_size, max(2, (group_size + 1) // 2) - 1, -1) if local % d == 0]
  if fits:
    return chunk_size, fits[0]
  groups = math.ceil(local / group_size)
  group_size = math.ceil(local / groups)
  return groups * group_size * num_devices, group_size


def train_models(spec: ModelSpec, train_spec: TrainSpec, data: dict[str, np.ndarray],
                 batch: ModelBatch, **options) -> TrainResult:
  """Trains every model of `batch` in `spec.dtype` (options: _train_models), with x64 on for
  float64 and off otherwise whatever the caller's setting: with x64 on, optax computes Adam's bias
  correction 1 - b**t in float64 then rounds it, which moved a float32 net's loss by 2e-6 in 100
  steps (SGD: bit-identical), so a float32 model trains to the same bits in every process."""
  with jax_setup.precision(spec.dtype):
    return _train_models(spec, train_spec, data, batch, **options)


def _train_models(spec: ModelSpec, train_spec: TrainSpec, data: dict[str, np.ndarray],
                  batch: ModelBatch, *, max_models_per_chunk: int = 1024,
                  memory_budget_bytes: int | None = None, progress: bool = True,
                  desc: str = "", checkpoint_steps: tuple[int, ...] = (),
                  group_size: int | None | str = "auto") -> TrainResult:
  """Trains every model of `batch` on its data instance; returns stacked results.

  data: x_train (I, N, D), y_train (I, N), x_test (I, N_test, D), y_test (I, N_test), where I is
  the number of data set instances that `batch.data_index` points into. The model axis is cut into
  chunks of at most `max_models_per_chunk` models that fit `memory_budget_bytes` (default
  DEFAULT_MEMORY_BUDGET_BYTES, see bytes_per_model); chunking does not change results.
  checkpoint_steps: steps (0 or ends of evaluation chunks) at which every model's parameters are
  also returned, so metrics can be computed through training from one run.
  group_size: models a device trains side by side at a time ("auto": models_per_group; None: all).
  """
  start = time.perf_counter()
  batch.check_family(spec.activation)
  mesh = model_mesh()
  n_dev = mesh.devices.size
  num_models = len(batch)
  budget = DEFAULT_MEMORY_BUDGET_BYTES if memory_budget_bytes is None else memory_budget_bytes
  chunk_size = models_per_chunk(spec, train_spec, data, num_models, max_models_per_chunk, budget,
                                n_dev)
  if group_size == "auto":
    n, b = data["x_train"].shape[1], train_spec.batch_size
    group_size = models_per_group(spec, b if 0 < b < n else n, mesh.devices.flat[0].platform)
  chunk_size, group_size = group_layout(chunk_size, n_dev, group_size)
  num_chunks = int(math.ceil(num_models / chunk_size))
  graphdef = graphdef_of(spec)
  models = NamedSharding(mesh, P("models"))
  replicated = NamedSharding(mesh, P())
  # The points in the models' precision (the same draw, rounded for bfloat16); labels as given.
  arrays = {k: distributed.global_array(np.asarray(v, DTYPES[spec.dtype]) if k.startswith("x_") else v,
                                        replicated) for k, v in data.items()}

  eval_steps = list(range(0, train_spec.num_steps, train_spec.eval_every_steps))
  bounds = eval_steps[1:] + [train_spec.num_steps]
  for step in checkpoint_steps:
    if step != 0 and step not in bounds:
      raise ValueError(f"checkpoint step {step} must be 0 or the end of an evaluation chunk: {bounds}")
  outputs = []
  compile_time = 0.0
  bar = tqdm(total=num_chunks * train_spec.num_steps * chunk_size, unit="model-step",
             unit_scale=True, disable=not progress, desc=desc or "train", leave=False)
  for c in range(num_chunks):
    idx = np.arange(c * chunk_size, min((c + 1) * chunk_size, num_models))
    sub = batch.take(idx).padded(chunk_size)
    put = lambda a, dtype: distributed.global_array(np.asarray(a, dtype), models)
    seed, slope = put(sub.seed, jnp.uint32), put(sub.slope, jnp.float32)
    lr, data_index = put(sub.lr, jnp.float32), put(sub.data_index, jnp.int32)
    carry = (*init_batch(seed, slope, spec=spec, train_spec=train_spec),
             put(np.zeros(chunk_size), jnp.bool_), put(np.full(chunk_size, -1), jnp.int32))
    curves = {k: [] for k in ("train_loss", "train_acc", "test_loss", "test_acc")}
    keep = len(idx)
    # Gathered to the host before the next call: the carry's buffers are donated to it.
    snapshot = lambda: jax.tree.map(lambda a: a[:keep], distributed.gather((carry[0], carry[1])))
    checkpoints = {0: snapshot()} if 0 in checkpoint_steps else {}
    # Step 0 (the initialisation) is evaluated too, so curves start where training starts.
    for split in ("train", "test"):
      loss, acc = evaluate_batch(carry[0], carry[1], arrays[f"x_{split}"], arrays[f"y_{split}"],
                                 data_index, graphdef=graphdef)
      curves[f"{split}_loss"].append(loss)
      curves[f"{split}_acc"].append(acc)
    for lo, hi in zip(eval_steps, bounds):
      t0 = time.perf_counter()
      traces = TRACE_COUNT["train_chunk"]
      carry = train_chunk_batch(carry, arrays["x_train"], arrays["y_train"], data_index, seed, lr,
                                jnp.int32(lo), graphdef=graphdef, train_spec=train_spec,
                                num_steps=hi - lo, group_size=group_size)
      if TRACE_COUNT["train_chunk"] != traces:  # this call compiled: count it as compile time
        jax.block_until_ready(carry)
        compile_time += time.perf_counter() - t0
      for split in ("train", "test"):
        loss, acc = evaluate_batch(carry[0], carry[1], arrays[f"x_{split}"], arrays[f"y_{split}"],
                                   data_index, graphdef=graphdef)
        curves[f"{split}_loss"].append(loss)
        curves[f"{split}_acc"].append(acc)
      bar.update((hi - lo) * chunk_size)
      if hi in checkpoint_steps:
        checkpoints[hi] = snapshot()
    host = distributed.gather((carry, curves))
    (params, rest, _, diverged, diverged_step), curves = host
    outputs.append(dict(
        params=jax.tree.map(lambda a: a[:keep], params),
        rest=jax.tree.map(lambda a: a[:keep], rest),
        diverged=diverged[:keep], diverged_step=diverged_step[:keep],
        curves={k: host_floats(np.stack(v)[:, :keep]) for k, v in curves.items()}, checkpoints=checkpoints))
  bar.close()
  cat = lambda *xs: np.concatenate(xs, axis=0)
  curves = {k: np.concatenate([o["curves"][k] for o in outputs], axis=1) for k in outputs[0]["curves"]}
  curves["step"] = np.asarray([0] + bounds)
  return TrainResult(
      params=jax.tree.map(cat, *[o["params"] for o in outputs]),
      rest=jax.tree.map(cat, *[o["rest"] for o in outputs]),
      curves=curves,
      diverged=cat(*[o["diverged"] for o in outputs]),
      diverged_step=cat(*[o["diverged_step"] for o in outputs]),
      final={k: v[-1] for k, v in curves.items() if k != "step"},
      wall_time_s=time.perf_counter() - start,
      compile_time_s=compile_time,
      models_per_chunk=chunk_size,
      checkpoints={step: jax.tree.map(cat, *[o["checkpoints"][step] for o in outputs])
                   for step in sorted(set(checkpoint_steps))})
