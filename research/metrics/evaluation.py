"""Evaluation of the trained models of one unit: the metric columns of the results table.

`evaluate_unit` runs the "core" family, which always runs (jitted and vmapped over the model axis;
lax.map in small batches bounds memory on dense grids): sparsity on the training data and on the
domain grid, the grid predictions and the activation-pattern count. Then every family listed in
`config.eval.metrics` (research/metrics/family.py; one module each) reads those and the trained
models. Families that need a host library (polygon enumeration, ripser, scikit-learn probes,
connected components) run per model on the host, on the models selected by
`config.eval.expensive_seeds` (seeds 0..k-1) where they are expensive.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from research.metrics import activation_patterns, boundary, sparsity
from research.metrics.family import EvalContext, metric_families, register_family
from research.metrics.pwl_networks import common_breakpoints, to_pwl
from research.models import ModelSpec, evaluate_batch, forward, graphdef_of, predict

if TYPE_CHECKING:  # the engine's result type, for annotations only: metrics do not import the engine
  from research.train import TrainResult

# Models evaluated at once on the dense grid; bounds peak memory (models x points x units).
GRID_MODELS_PER_BATCH = 8


@functools.partial(jax.jit, static_argnames=("graphdef", "breakpoints"))
def _core(params, rest, x_train_all, data_index, grid, *, graphdef, breakpoints):
  """Per model: sparsity on its training data and on the grid, grid predictions and patterns."""
  def one(args):
    p, r, i = args
    _, inter_train = forward(graphdef, p, r, x_train_all[i])
    logits, inter_grid = forward(graphdef, p, r, grid)
    out = dict(
        inactive_train=sparsity.inactive_fraction(inter_train["pre"]),
        dead_train=sparsity.dead_units(inter_train["pre"]),
        hoyer_train=sparsity.hoyer_sparsity(inter_train["act"]),
        inactive_grid=sparsity.inactive_fraction(inter_grid["pre"]),
        dead_grid=sparsity.dead_units(inter_grid["pre"]),
        grid_pred=predict(logits).astype(jnp.int8),
        grid_score=logits[:, 0] if logits.shape[-1] == 1 else jnp.max(logits, -1))
    if breakpoints is not None:  # activation patterns exist only for piecewise-linear nets
      out["grid_patterns"] = activation_patterns.count_patterns(inter_grid["pre"], breakpoints)
    return out
  return jax.lax.map(one, (params, rest, data_index), batch_size=GRID_MODELS_PER_BATCH)


@register_family("core", columns=(
    r"inactive_fraction", r"inactive_fraction_grid", r"dead_fraction", r"dead_fraction_grid",
    r"hoyer_sparsity", r"num_patterns_grid", r"inactive_fraction_l\d+", r"dead_fraction_l\d+",
    r"hoyer_sparsity_l\d+"))
def core_columns(ctx: EvalContext) -> list[dict]:
  """Sparsity and dead units (training data and grid), Hoyer sparsity, grid pattern count."""
  out = ctx.core
  breakpoints = common_breakpoints(to_pwl(ctx.spec.activation))  # every layer's (per-layer specs too)
  metrics = []
  for i in range(len(ctx.rows)):
    m = dict(
        inactive_fraction=float(out["inactive_train"][i].mean()),
        inactive_fraction_grid=float(out["inactive_grid"][i].mean()),
        dead_fraction=float(out["dead_train"][i].mean()),
        dead_fraction_grid=float(out["dead_grid"][i].mean()),
        hoyer_sparsity=float(np.nanmean(out["hoyer_train"][i])),
        num_patterns_grid=float(out["grid_patterns"][i]) if breakpoints is not None else float("nan"))
    for layer in range(len(ctx.spec.hidden_widths)):
      m[f"inactive_fraction_l{layer}"] = float(out["inactive_train"][i][layer])
      m[f"dead_fraction_l{layer}"] = float(out["dead_train"][i][layer])
      m[f"hoyer_sparsity_l{layer}"] = float(out["hoyer_train"][i][layer])
    metrics.append(m)
  return metrics


def domain_grid(domain, resolution: int) -> tuple[np.ndarray, tuple[int, ...]]:
  """Grid of the grid metrics: R x R cells on 2-D input, about R^2 cells (R^(2/D) per axis) otherwise."""
  domain = np.asarray(domain, np.float64)
  if len(domain) == 2:
    return boundary.make_grid(domain, resolution)
  per_axis = max(2, int(round(resolution ** (2.0 / len(domain)))))
  axes = [lo + (hi - lo) * (np.arange(per_axis) + 0.5) / per_axis for lo, hi in domain]
  points = np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)
  return points, (per_axis,) * len(domain)


def fit_at(spec: ModelSpec, params, rest, data: dict[str, np.ndarray], data_index: np.ndarray) -> list[dict]:
  """Per model: train/test loss and accuracy of the given parameters (e.g. at a checkpoint)."""
  out = {}
  for split in ("train", "test"):
    loss, acc = jax.device_get(evaluate_batch(params, rest, jnp.asarray(data[f"x_{split}"]),
                                              jnp.asarray(data[f"y_{split}"]), jnp.asarray(data_index),
                                              graphdef=graphdef_of(spec)))
    out[f"{split}_loss"], out[f"{split}_acc"] = loss, acc
  return [{k: float(v[i]) for k, v in out.items()} for i in range(len(data_index))]


def evaluate_unit(config, spec: ModelSpec, result: TrainResult, rows: list[dict], data_index: np.ndarray,
                  instances: list) -> tuple[list[dict], dict[str, np.ndarray]]:
  """(per-model metric dicts, arrays to store for the figures) for one trained unit."""
  families = metric_families()
  first = instances[0]
  grid, shape = domain_grid(first.domain, config.eval.grid_resolution)
  breakpoints = common_breakpoints(to_pwl(spec.activation))
  core = jax.device_get(_core(
      result.params, result.rest, jnp.asarray(np.stack([d.x_train for d in instances])),
      jnp.asarray(data_index), jnp.asarray(grid, jnp.float32), graphdef=graphdef_of(spec),
      breakpoints=breakpoints))
  ctx = EvalContext(config, spec, result, rows, instances, np.asarray(data_index), grid, shape, core)
  metrics = [{} for _ in rows]
  for name in ("core", *[n for n in config.eval.metrics if n != "core"]):
    for m, new in zip(metrics, families[name](ctx)):
      m.update(new)
  plot = np.array([r["seed"] == config.eval.plot_seed for r in rows])
  shown = instances[config.eval.plot_seed]
  arrays = dict(ctx.arrays, plot_model_index=np.flatnonzero(plot),
                plot_grid_score=core["grid_score"][plot].reshape(-1, *shape),
                plot_x_train=shown.x_train, plot_y_train=shown.y_train,
                plot_domain=np.asarray(first.domain),
                # Every model's class map and every seed's training data, so that figures can show
                # a chosen seed (the median one), not only plot_seed; int8/float16 compress small.
                grid_pred=core["grid_pred"].reshape(-1, *shape).astype(np.int8),
                data_index=np.asarray(data_index),
                data_x_train=np.stack([d.x_train for d in instances]).astype(np.float16),
                data_y_train=np.stack([d.y_train for d in instances]).astype(np.int8))
  if first.truth is not None:
    arrays["plot_truth"] = np.asarray(first.truth(grid)).reshape(shape).astype(np.int8)
  return metrics, arrays
