"""Layer-by-layer separability of the training data: linear probes, collapse, rank, separation.

For every expensive model the network is run on its training points and, at layer 0 (the input)
and at the activations of every hidden layer l = 1..L, research.metrics.separability gives
  probe_acc_l{l}    held-out accuracy of a logistic-regression probe on the TRUE labels,
  collapse_l{l}     fraction of inputs glued to another input (within eval.collapse_tol, max-abs),
  rank_l{l}         numerical rank (affine dimension) of the representation,
  separation_l{l}   mean between-class / mean within-class distance,
and the same four at the last hidden layer as probe_acc_last, collapse_last, rank_last,
separation_last (so that a hypothesis can name one column whatever the depth).
Layer indices count the input as 0, so hidden layer l here is the core family's `_l{l-1}`.
"""

from __future__ import annotations

import numpy as np
import threadpoolctl

from research.metrics import separability
from research.metrics.evaluation import EvalContext, register_family

QUANTITIES = ("probe_acc", "collapse", "rank", "separation")
# Activations are float32: two distinct inputs that a layer keeps apart differ by far more than
# this, while inputs glued by a ReLU (all units of a layer at 0) coincide exactly.
DEFAULT_COLLAPSE_TOL = 1e-6
# Rounding in a float32 forward pass leaves singular values near 1e-7 of the largest; 1e-4 counts
# only directions that the network really keeps.
DEFAULT_RANK_RTOL = 1e-4
PROBE_SEED = 0  # the probe's train/test split: the same for every model and layer


def probe_settings(config) -> dict:
  """collapse_tol and rank_rtol from config.eval (the defaults above where absent)."""
  e = config.eval
  return dict(collapse_tol=float(e.get("collapse_tol", DEFAULT_COLLAPSE_TOL)),
              rank_rtol=float(e.get("rank_rtol", DEFAULT_RANK_RTOL)))


def column_names(num_layers: int) -> list[str]:
  """Every column the family writes (num_layers counts the input as layer 0)."""
  return ([f"{q}_l{l}" for l in range(num_layers) for q in QUANTITIES]
          + [f"{q}_last" for q in QUANTITIES])


def probe_columns(layer_points: list[np.ndarray], labels: np.ndarray, collapse_tol: float,
                  rank_rtol: float, seed: int = PROBE_SEED) -> dict:
  """The family's columns for one model, from its per-layer points and the true labels."""
  out = {}
  for l, pts in enumerate(layer_points):
    pts = np.asarray(pts, np.float64)
    out[f"probe_acc_l{l}"] = separability.linear_probe_accuracy(pts, labels, seed)
    out[f"collapse_l{l}"] = separability.collapse_fraction(pts, collapse_tol)
    out[f"rank_l{l}"] = float(separability.numerical_rank(pts, rank_rtol))
    out[f"separation_l{l}"] = separability.class_separation_ratio(pts, labels, seed=seed)
  last = len(layer_points) - 1
  for q in QUANTITIES:
    out[f"{q}_last"] = out[f"{q}_l{last}"]
  return out


@register_family("probes", columns=(r"(probe_acc|collapse|rank|separation)_(l\d+|last)",))
def probe_family_columns(ctx: EvalContext) -> list[dict]:
  """Linear-probe accuracy, collapse, rank and class separation per layer (expensive models)."""
  s = probe_settings(ctx.config)
  num_layers = len(ctx.spec.hidden_widths) + 1
  nan_row = dict.fromkeys(column_names(num_layers), float("nan"))
  metrics = []
  for i in range(len(ctx.rows)):
    if not ctx.expensive(i):
      metrics.append(dict(nan_row))
      continue
    data = ctx.data(i)
    x = np.asarray(data.x_train)
    _, inter = ctx.run(i, x)
    layers = [x, *[np.asarray(a) for a in inter["act"]]]
    # Small problems (a few thousand x <= 64): BLAS and OpenMP threads only fight XLA's threads
    # and other jobs; one thread measured 5x faster on 2 loaded cores.
    with threadpoolctl.threadpool_limits(limits=1):
      metrics.append(probe_columns(layers, data.y_train, s["collapse_tol"], s["rank_rtol"]))
  return metrics
