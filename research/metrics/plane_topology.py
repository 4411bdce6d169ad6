"""Metric family `plane_topology`: exact components of each class's decision region in the whole
plane (research/metrics/decision_regions.py)."""

from __future__ import annotations

import numpy as np

from research.metrics import decision_regions
from research.metrics.family import EvalContext, register_family, row_pwl


@register_family("plane_topology", columns=(r"plane_components_c\d+", r"plane_excess_c\d+"))
def plane_topology_columns(ctx: EvalContext) -> list[dict]:
  """Exact number of components of each class's decision region in the whole plane R^2.

  decision_regions.plane_components, for the expensive models with 2-D input: unlike the grid
  counts of the "boundary" family (components_c*), a region joined only outside the data box, or
  through a sliver thinner than a grid cell, counts once. NaN for smooth activations, PReLU (one
  learned slope per layer), the other models, and where no certified box was found.
  plane_excess_c*: components beyond the first, max(count - 1, 0): 0 for a connected region and
  for a class the model never predicts, which is what the connectedness theorems are about.
  """
  first = ctx.instances[0]
  metrics = []
  for i in range(len(ctx.rows)):
    counts = {c: float("nan") for c in range(first.num_classes)}
    pwl = row_pwl(ctx, i)
    if ctx.expensive(i) and first.x_train.shape[1] == 2 and pwl is not None:
      kernels, biases = ctx.weights(i)
      counts, _ = decision_regions.plane_components(kernels, biases, pwl, np.asarray(ctx.data(i).domain),
                                                    first.num_classes)
    metrics.append({**{f"plane_components_c{c}": float(n) for c, n in counts.items()},
                    **{f"plane_excess_c{c}": max(float(n) - 1.0, 0.0) if np.isfinite(n) else float("nan")
                       for c, n in counts.items()}})
  return metrics
