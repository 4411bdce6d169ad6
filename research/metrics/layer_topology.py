"""Betti numbers of each predicted class at the input and at every hidden layer (Naitzat et al.).

For every expensive model the network is run on its own training points, the points are split by
the class the network PREDICTS (as Naitzat, Zhitnikov, Lim did: the network's own view of its
classes), and topology.betti_per_layer gives (b0, ..., b_{D-1}) of each class's cloud at layer 0
(the input) and at the activations of every hidden layer, on the same subsample of inputs at every
layer. Betti numbers depend on k, the scale and the point count, so those come from the config and
are equal across everything a study compares.

Columns, with layer 0 = input and l = 1..L the hidden layers:
  betti{d}_c{c}_l{l}        Betti number d of predicted class c at layer l,
  layers_to_trivial_c{c}    first layer where class c reads (1, 0, ...) (NaN if no layer does),
  layers_to_trivial         first layer where every class does (NaN if none),
  layers_to_trivial_capped  the same with "never" counted as L + 1, so that a paired test keeps
                            the runs that never simplify instead of dropping them as NaN.
A class the network never predicts has NaN Betti numbers and never becomes trivial.
"""

from __future__ import annotations

import numpy as np
import threadpoolctl

from research.metrics import topology
from research.metrics.evaluation import EvalContext, register_family
from research.train import predict

# The clouds are small (<= a few thousand x 50): multithreaded BLAS only adds contention with XLA's
# threads and other jobs; one thread measured 2x faster on a loaded 2-core machine.
# Seed of the per-class subsample (topology.subsample); fixed so every model and layer sees the
# same rule, and reruns give the same Betti numbers.
SUBSAMPLE_SEED = 0


def betti_settings(config) -> dict:
  """k, scale and max_points from config.eval (topology.DEFAULT_* where absent)."""
  e = config.eval
  return dict(k=int(e.get("betti_k", topology.DEFAULT_K)),
              scale=float(e.get("betti_scale", topology.DEFAULT_SCALE)),
              max_points=int(e.get("betti_max_points", topology.DEFAULT_MAX_POINTS)))


def betti_dims(in_dim: int) -> int:
  """Highest Betti dimension computed: D - 1 for D-dimensional input (b2 needs 3-D input), at most 2."""
  return max(0, min(in_dim, 3) - 1)


def column_names(num_classes: int, num_layers: int, max_dim: int) -> list[str]:
  """Every column the family writes, in order (num_layers counts the input as layer 0)."""
  names = [f"betti{d}_c{c}_l{l}" for c in range(num_classes) for l in range(num_layers)
           for d in range(max_dim + 1)]
  names += [f"layers_to_trivial_c{c}" for c in range(num_classes)]
  return names + ["layers_to_trivial", "layers_to_trivial_capped"]


def topology_columns(layer_points: list[np.ndarray], predicted: np.ndarray, num_classes: int,
                     max_dim: int, k: int, scale: float, max_points: int, seed: int) -> dict:
  """The family's columns for one model, from its per-layer points and predicted classes."""
  num_layers = len(layer_points)
  out = dict.fromkeys(column_names(num_classes, num_layers, max_dim), float("nan"))
  per_layer = topology.betti_per_layer(layer_points, predicted, k, scale, max_dim, max_points, seed)
  target = (1,) + (0,) * max_dim
  for l, by_class in enumerate(per_layer):
    for c, betti in by_class.items():
      for d, b in enumerate(betti):
        out[f"betti{d}_c{c}_l{l}"] = float(b)
  present = sorted(per_layer[0]) if per_layer else []
  for c in present:
    first = topology.layers_to_trivial([{c: by_class[c]} for by_class in per_layer], target)
    out[f"layers_to_trivial_c{c}"] = float("nan") if first is None else float(first)
  # Every class must be predicted somewhere: a network that predicts one class everywhere has
  # "simplified" nothing, it has lost a class.
  if len(present) == num_classes:
    first = topology.layers_to_trivial(per_layer, target)
    out["layers_to_trivial"] = float("nan") if first is None else float(first)
  out["layers_to_trivial_capped"] = (float(num_layers) if np.isnan(out["layers_to_trivial"])
                                     else out["layers_to_trivial"])
  return out


@register_family("layer_topology")
def layer_topology_columns(ctx: EvalContext) -> list[dict]:
  """Betti numbers per predicted class at the input and every hidden layer (expensive models)."""
  s = betti_settings(ctx.config)
  in_dim = ctx.spec.in_dim
  max_dim = betti_dims(in_dim)
  num_classes = ctx.spec.num_classes
  num_layers = len(ctx.spec.hidden_widths) + 1
  nan_row = dict.fromkeys(column_names(num_classes, num_layers, max_dim), float("nan"))
  metrics = []
  for i in range(len(ctx.rows)):
    if not ctx.expensive(i):
      metrics.append(dict(nan_row))
      continue
    x = np.asarray(ctx.data(i).x_train)
    logits, inter = ctx.run(i, x)
    predicted = np.asarray(predict(logits))
    layers = [x, *[np.asarray(a) for a in inter["act"]]]
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
      metrics.append(topology_columns(layers, predicted, num_classes, max_dim, s["k"], s["scale"],
                                      s["max_points"], SUBSAMPLE_SEED))
  return metrics
