"""Metric family `boundary`: agreement with the true class map on the grid, decision-region
topology and balanced accuracy (research/metrics/boundary.py computes them)."""

from __future__ import annotations

from research.metrics import boundary
from research.metrics.family import EvalContext, register_family


@register_family("boundary", columns=(r"balanced_acc", r"grid_agreement", r"topology_match",
                                      r"components_c\d+", r"holes_c\d+"))
def boundary_columns(ctx: EvalContext) -> list[dict]:
  """Agreement with the ground truth on the grid, decision-region topology, balanced accuracy."""
  first = ctx.instances[0]
  if first.x_train.shape[1] != 2:  # region topology and agreement maps are defined on 2-D grids
    return [{} for _ in ctx.rows]
  truth = first.truth(ctx.grid).reshape(ctx.grid_shape) if first.truth is not None else None
  truth_topology = boundary.class_region_topology(truth, first.num_classes) if truth is not None else None
  metrics = []
  for i in range(len(ctx.rows)):
    pred = ctx.core["grid_pred"][i].reshape(ctx.grid_shape)
    data = ctx.data(i)
    logits, _ = ctx.run(i, data.x_test)
    acc = boundary.accuracy_metrics(logits, data.y_test)
    m = dict(balanced_acc=acc["balanced_accuracy"])
    if truth is not None:
      m["grid_agreement"] = boundary.grid_agreement(pred.ravel(), truth.ravel())
      topo = boundary.class_region_topology(pred, first.num_classes)
      m["topology_match"] = bool(boundary.topology_matches(topo, truth_topology))
      for c, (comps, holes) in topo.items():
        m[f"components_c{c}"], m[f"holes_c{c}"] = int(comps), int(holes)
    metrics.append(m)
  return metrics
