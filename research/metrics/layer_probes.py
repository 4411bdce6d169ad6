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
from research.metrics.family import EvalContext, register_family
from research.validation import check_float, fail

QUANTITIES = ("probe_acc", "collapse", "rank", "separation")
# Activations are float32: two distinct inputs that a layer keeps apart differ by far more than
# this, while inputs glued by a ReLU (all units of a layer at 0) coincide exactly.
PROBE_SEED = 0  # the probe's train/test split: the same for every model and layer


def validate(eval_config) -> None:
  """The family's knobs, set in the config (no defaults: they change the numbers). A sensible
  rank_rtol is 1e-4: float32 rounding leaves singular values near 1e-7 of the largest."""
  for field in ("collapse_tol", "rank_rtol"):
    if field not in eval_config:
      fail(f"eval.{field}", None, "must be set when eval.metrics lists 'probes' (see configs/sparsity.py)")
  check_float("eval.collapse_tol", eval_config.collapse_tol, 0.0, high=1.0)
  check_float("eval.rank_rtol", eval_config.rank_rtol, 0.0, strict=True, high=1.0)


def probe_settings(config) -> dict:
  """collapse_tol and rank_rtol from config.eval (checked by `validate`)."""
  return dict(collapse_tol=float(config.eval.collapse_tol), rank_rtol=float(config.eval.rank_rtol))


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


@register_family("probes", columns=(r"(probe_acc|collapse|rank|separation)_(l\d+|last)",), validate=validate)
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
