"""Metric family `exact_regions`: exact linear regions, the exact decision boundary and margins
(piecewise-linear nets with 2-D input; a grid contour estimate otherwise)."""

from __future__ import annotations

import numpy as np

from research.metrics import boundary, regions
from research.metrics.family import EvalContext, register_family, row_pwl


@register_family("exact_regions", columns=(r"num_regions", r"boundary_length", r"boundary_pieces",
                                           r"margin_mean", r"margin_p10"))
def exact_region_columns(ctx: EvalContext) -> list[dict]:
  """Exact linear regions and decision boundary (piecewise-linear, 2-D input), margins.

  Margins: distance of each test point to the exact boundary segments for piecewise-linear nets,
  to the grid contour otherwise (an estimate, see boundary.distances_to_boundary).
  """
  first = ctx.instances[0]
  metrics = []
  for i in range(len(ctx.rows)):
    if not ctx.expensive(i) or first.x_train.shape[1] != 2:
      metrics.append({})
      continue
    data = ctx.data(i)
    kernels, biases = ctx.weights(i)
    r = regions.enumerate_regions(kernels, biases, row_pwl(ctx, i), np.asarray(data.domain),
                                  activation_name=ctx.spec.activation.name)
    if np.isfinite(r.num_regions):
      d = _distance_to_segments(data.x_test, r.boundary_segments)
      if ctx.rows[i]["seed"] == ctx.config.eval.plot_seed:  # polygons for the region figure
        ctx.arrays[f"regions_{i}_vertices"] = np.concatenate(r.polygons).astype(np.float32)
        ctx.arrays[f"regions_{i}_offsets"] = np.cumsum([0] + [len(p) for p in r.polygons])
        ctx.arrays[f"regions_{i}_boundary"] = r.boundary_segments.astype(np.float32)
      m = dict(num_regions=float(r.num_regions), boundary_length=float(r.boundary_length),
               boundary_pieces=float(r.boundary_pieces))
    else:
      score = ctx.core["grid_score"][i].reshape(ctx.grid_shape)
      d = boundary.distances_to_boundary(data.x_test, score, data.domain)
      length, pieces = boundary.boundary_length_from_grid(score, data.domain)
      m = dict(num_regions=float("nan"), boundary_length=length, boundary_pieces=float(pieces))
    m.update(margin_mean=float(np.mean(d)), margin_p10=float(np.percentile(d, 10)))
    metrics.append(m)
  return metrics




def _distance_to_segments(points: np.ndarray, segments: np.ndarray) -> np.ndarray:
  """Exact Euclidean distance of each point to the nearest of the (S, 2, 2) segments."""
  if len(segments) == 0:
    return np.full(len(points), np.inf)
  a, b = segments[:, 0], segments[:, 1]  # (S, 2)
  ab = b - a
  p = np.asarray(points, np.float64)[:, None, :]  # (P, 1, 2)
  t = np.clip(np.sum((p - a) * ab, -1) / np.maximum(np.sum(ab * ab, -1), 1e-300), 0.0, 1.0)
  closest = a + t[..., None] * ab
  return np.sqrt(np.min(np.sum((p - closest) ** 2, -1), axis=1))
