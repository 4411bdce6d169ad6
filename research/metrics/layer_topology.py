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
                            the runs that never simplify instead of dropping them as NaN,
  betti_total_l{l}          sum of every Betti number of every class at layer l (the total
                            topological complexity; (1, 0) per class is the floor),
  betti_total_mean          mean of betti_total_l{l} over the hidden layers: lower when the
                            Betti numbers fall sooner, and finite when no layer is trivial.
A class the network never predicts has NaN Betti numbers; the all-class columns (layers_to_trivial*,
betti_total*) are then NaN too: such a network has lost a class, not simplified it.
Models below config.eval.betti_min_train_acc (default 0: none) get NaN: Naitzat et al. discard
runs that do not fit the training data, so their Betti numbers are not worth computing.
"""

from __future__ import annotations

import numpy as np
import threadpoolctl

from research.metrics import topology
from research.metrics.family import EvalContext, register_family
from research.validation import check_float, check_int, fail
from research.models import predict

# Seed of the per-class subsample (topology.subsample); fixed so every model and layer sees the
# same rule, and reruns give the same Betti numbers.
SUBSAMPLE_SEED = 0


KNOBS = ("betti_k", "betti_scale", "betti_max_points", "betti_min_train_acc")


def validate(eval_config) -> None:
  """The family's knobs, set in the config (no defaults: each changes the Betti numbers; Naitzat
  et al. use k about 14, see configs/topology.py)."""
  for field in KNOBS:
    if field not in eval_config:
      fail(f"eval.{field}", None, "must be set when eval.metrics lists 'layer_topology' (see configs/topology.py)")
  check_int("eval.betti_k", eval_config.betti_k, 1, 1000)
  check_float("eval.betti_scale", eval_config.betti_scale, 0.0, strict=True, high=100.0)
  check_int("eval.betti_max_points", eval_config.betti_max_points, 10, 100_000)
  check_float("eval.betti_min_train_acc", eval_config.betti_min_train_acc, 0.0, high=1.0)


def betti_settings(config) -> dict:
  """k, scale, max_points and min_train_acc from config.eval (checked by `validate`)."""
  e = config.eval
  return dict(k=int(e.betti_k), scale=float(e.betti_scale), max_points=int(e.betti_max_points),
              min_train_acc=float(e.betti_min_train_acc))


def betti_dims(in_dim: int) -> int:
  """Highest Betti dimension computed: D - 1 for D-dimensional input (b2 needs 3-D input), at most 2."""
  return max(0, min(in_dim, 3) - 1)


def column_names(num_classes: int, num_layers: int, max_dim: int) -> list[str]:
  """Every column the family writes, in order (num_layers counts the input as layer 0)."""
  names = [f"betti{d}_c{c}_l{l}" for c in range(num_classes) for l in range(num_layers)
           for d in range(max_dim + 1)]
  names += [f"layers_to_trivial_c{c}" for c in range(num_classes)]
  names += [f"betti_total_l{l}" for l in range(num_layers)]
  return names + ["layers_to_trivial", "layers_to_trivial_capped", "betti_total_mean"]


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
  # not simplified anything, it has lost a class (and the totals would count one class only).
  if len(present) < num_classes:
    return out
  first = topology.layers_to_trivial(per_layer, target)
  out["layers_to_trivial"] = float("nan") if first is None else float(first)
  out["layers_to_trivial_capped"] = float(num_layers) if first is None else float(first)
  for l, by_class in enumerate(per_layer):
    out[f"betti_total_l{l}"] = float(sum(sum(b) for b in by_class.values()))
  if num_layers > 1:
    out["betti_total_mean"] = float(np.mean([out[f"betti_total_l{l}"] for l in range(1, num_layers)]))
  return out


@register_family("layer_topology", columns=(
    r"betti\d+_c\d+_l\d+", r"layers_to_trivial_c\d+", r"layers_to_trivial",
    r"layers_to_trivial_capped", r"betti_total_l\d+", r"betti_total_mean"), validate=validate)
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
    if not ctx.expensive(i) or ctx.result.final["train_acc"][i] < s["min_train_acc"]:
      metrics.append(dict(nan_row))
      continue
    x = np.asarray(ctx.data(i).x_train)
    logits, inter = ctx.run(i, x)
    predicted = np.asarray(predict(logits))
    layers = [x, *[np.asarray(a) for a in inter["act"]]]
    # Small clouds (<= a few thousand x 50): BLAS and OpenMP threads (sklearn's neighbour search)
    # only fight XLA's threads and other jobs; one thread measured 2-10x faster on 2 loaded cores.
    with threadpoolctl.threadpool_limits(limits=1):
      metrics.append(topology_columns(layers, predicted, num_classes, max_dim, s["k"], s["scale"],
                                      s["max_points"], SUBSAMPLE_SEED))
  return metrics
