"""Metric family `region_count`: the exact number of activation regions in the unit's domain.

Count only, by edge subdivision (`edge_subdivision.count_regions_fast`: about 9x faster than
`regions.enumerate_regions` on 2-64-64-64-1 nets, identical counts and pattern sets in
tests/test_edge_subdivision.py, and `enumerate_regions` itself wherever the net is not in general
position), on the models of `eval.expensive_seeds`, in one box for every seed of the unit so that
counts compare across seeds. Family `exact_regions` gives the same count with the boundary and
margins; a config lists one of the two.
"""

from __future__ import annotations

import math

from research.metrics import edge_subdivision
from research.metrics.family import EvalContext, register_family, row_pwl, unit_domain


@register_family("region_count", columns=(r"num_regions",))
def region_count_columns(ctx: EvalContext) -> list[dict]:
  """Exact region count of each expensive piecewise-linear model with 2-D input; NaN otherwise."""
  domain = unit_domain(ctx)
  metrics = []
  for i in range(len(ctx.rows)):
    pwl = row_pwl(ctx, i)
    if not ctx.expensive(i) or pwl is None or domain.shape[0] != 2:
      metrics.append(dict(num_regions=math.nan))
      continue
    kernels, biases = ctx.weights(i)
    metrics.append(dict(num_regions=float(edge_subdivision.count_regions_fast(kernels, biases, pwl, domain))))
  return metrics
