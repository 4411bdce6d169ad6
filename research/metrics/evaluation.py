"""Evaluation of the trained models of one unit: the metric columns of the results table.

Per-model work that only needs the model runs jitted and vmapped over the model axis (lax.map in
small batches bounds memory on dense grids); what needs a host library (connected components)
runs on the host on the returned prediction grids.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from research.metrics import boundary, sparsity
from research.train import forward, graphdef_of, predict

# Models evaluated at once on the dense grid; bounds peak memory (models x points x units).
GRID_MODELS_PER_BATCH = 8


@functools.partial(jax.jit, static_argnames=("graphdef",))
def _per_model(params, rest, x_train_all, data_index, grid, *, graphdef):
  """Per model: sparsity on its training data and on the grid, and its grid predictions."""
  def one(args):
    p, r, i = args
    _, inter_train = forward(graphdef, p, r, x_train_all[i])
    logits, inter_grid = forward(graphdef, p, r, grid)
    return dict(
        inactive_train=sparsity.inactive_fraction(inter_train["pre"]),
        dead_train=sparsity.dead_units(inter_train["pre"]),
        hoyer_train=sparsity.hoyer_sparsity(inter_train["act"]),
        inactive_grid=sparsity.inactive_fraction(inter_grid["pre"]),
        dead_grid=sparsity.dead_units(inter_grid["pre"]),
        grid_pred=predict(logits).astype(jnp.int8),
        grid_logit=logits[:, 0] if logits.shape[-1] == 1 else jnp.max(logits, -1))
  return jax.lax.map(one, (params, rest, data_index), batch_size=GRID_MODELS_PER_BATCH)


def evaluate_unit(config, spec, result, batch, rows, instances):
  """(per-model metric dicts, arrays to store) for the models of one trained unit."""
  first = instances[0]
  grid, shape = boundary.make_grid(first.domain, config.eval.grid_resolution)
  x_train_all = jnp.asarray(np.stack([d.x_train for d in instances]))
  out = jax.device_get(_per_model(result.params, result.rest, x_train_all,
                                  jnp.asarray(batch.data_index), jnp.asarray(grid, jnp.float32),
                                  graphdef=graphdef_of(spec)))
  truth = first.truth(grid).reshape(shape) if first.truth is not None else None
  truth_topology = (boundary.class_region_topology(truth, first.num_classes)
                    if truth is not None else None)
  metrics = []
  for i in range(len(rows)):
    pred = out["grid_pred"][i].reshape(shape)
    m = dict(
        inactive_fraction=float(out["inactive_train"][i].mean()),
        inactive_fraction_grid=float(out["inactive_grid"][i].mean()),
        dead_fraction=float(out["dead_train"][i].mean()),
        dead_fraction_grid=float(out["dead_grid"][i].mean()),
        hoyer_sparsity=float(np.nanmean(out["hoyer_train"][i])))
    for layer in range(len(spec.hidden_widths)):
      m[f"inactive_fraction_l{layer}"] = float(out["inactive_train"][i][layer])
      m[f"dead_fraction_l{layer}"] = float(out["dead_train"][i][layer])
    if truth is not None:
      m["grid_agreement"] = boundary.grid_agreement(pred.ravel(), truth.ravel())
      topo = boundary.class_region_topology(pred, first.num_classes)
      m["topology_match"] = bool(boundary.topology_matches(topo, truth_topology))
      for c, (comps, holes) in topo.items():
        m[f"components_c{c}"], m[f"holes_c{c}"] = int(comps), int(holes)
    metrics.append(m)
  plot = np.array([r["seed"] == config.eval.plot_seed for r in rows])
  shown = instances[config.eval.plot_seed]
  arrays = dict(plot_model_index=np.flatnonzero(plot),
                plot_grid_logit=out["grid_logit"][plot].reshape(-1, *shape),
                plot_x_train=shown.x_train, plot_y_train=shown.y_train,
                plot_domain=np.asarray(first.domain))
  if truth is not None:
    arrays["plot_truth"] = truth
  return metrics, arrays
