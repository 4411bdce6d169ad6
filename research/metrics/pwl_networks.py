"""Piecewise-linear MLPs as plain numpy arrays: which activation, which network, which class.

The shared ground of the exact region code (regions.py, segment_regions.py,
activation_patterns.py, edge_subdivision.py, decision_regions.py): an activation given as a spec
string, Activation, ActivationKind or PiecewiseLinear (`ActLike`) is resolved to its pieces
(`to_pwl`, None for a smooth one, for which `regions_defined` is False and `undefined_reason` says
why). A per-layer activation (`relu+leaky_relu:0.2`, a LayerActivations, or a tuple of one
PiecewiseLinear per hidden layer) resolves to a tuple of pieces, and None if any layer is smooth;
the region code reads each layer's pieces with `layer_pwls(pieces, num_hidden_layers)`. a network is `weights` (d_in, h1), ..., (h_L, d_out), `biases` (h1,), ..., (d_out,), checked
to chain and cast to float64 (`check_net`); a_l = act(a_{l-1} @ W_l + b_l) for hidden layers,
logits = a_L @ W_out + b_out (`forward_numpy`); binary head when d_out == 1 (class 1 iff logit >
0), argmax otherwise (`classes`); and a 2-D slice (u, v) of the input space is x = [u, v] @ E +
origin (`input_map`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from research.activations import (Activation, ActivationKind, LayerActivations, PiecewiseLinear,
                                  get_activation, parse_activation)

# One PiecewiseLinear for every layer, or one per hidden layer (first layer first).
Pieces = PiecewiseLinear | tuple[PiecewiseLinear, ...]
ActLike = Pieces | Activation | LayerActivations | ActivationKind | str | None

def _kind_of(act: ActLike) -> ActivationKind | None:
  """The registry entry behind a spec string or Activation (None for a bare PiecewiseLinear)."""
  if isinstance(act, Activation):
    return act.kind
  if isinstance(act, ActivationKind):
    return act
  if isinstance(act, str):
    return get_activation(act.partition(":")[0])  # unknown names raise: that is a config error
  return None


def regions_defined(act: ActLike) -> bool:
  """Whether linear regions exist for an activation (name, spec, Activation or PiecewiseLinear)."""
  if act is None:
    return False
  if isinstance(act, (PiecewiseLinear, tuple)):
    return True
  if isinstance(act, str) and "+" in act:
    act = parse_activation(act)
  if isinstance(act, LayerActivations):
    return act.layer_pwls() is not None
  return _kind_of(act).piecewise_linear


def _name_of(act: ActLike, name: str | None) -> str:
  if name is not None:
    return name
  if isinstance(act, (Activation, LayerActivations)):
    return act.spec
  if isinstance(act, ActivationKind):
    return act.name
  if isinstance(act, str):
    return act
  return "this activation" if act is None else "a piecewise-linear activation"


def undefined_reason(act: ActLike, name: str | None = None) -> str:
  """Why region counts are NaN for `act` ("" when they are defined)."""
  if regions_defined(act):
    return ""
  return f"linear regions are not defined for {_name_of(act, name)} (not piecewise linear)"


def to_pwl(act: ActLike) -> Pieces | None:
  """The pieces of `act` (a tuple of per-layer pieces for a per-layer activation), or None where
  any layer is smooth."""
  if act is None or isinstance(act, PiecewiseLinear):
    return act
  if isinstance(act, tuple):
    if not act or not all(isinstance(p, PiecewiseLinear) for p in act):
      raise ValueError(f"per-layer pieces must be a non-empty tuple of PiecewiseLinear, got {act!r}")
    return act
  if isinstance(act, str):
    act = parse_activation(act)  # leaky_relu without a slope raises: the slope is never defaulted
  if isinstance(act, LayerActivations):
    return act.layer_pwls()
  if isinstance(act, ActivationKind):
    if act.uses_slope and act.fixed_slope is None:
      raise ValueError(f"activation {act.name!r} needs a slope; pass an Activation or a spec string")
    return None if act.pwl is None else act.pwl(act.fixed_slope or 0.0)
  return act.pwl()


def layer_pwls(pieces: Pieces, num_layers: int) -> list[PiecewiseLinear]:
  """The pieces of each of `num_layers` hidden layers; raises if per-layer pieces do not fit."""
  if isinstance(pieces, PiecewiseLinear):
    return [pieces] * num_layers
  if len(pieces) != num_layers:
    raise ValueError(f"{len(pieces)} per-layer activations for a net with {num_layers} hidden layers")
  return list(pieces)


def common_breakpoints(pieces: Pieces | None) -> tuple[float, ...] | None:
  """The breakpoints every layer shares (activation patterns are read with them), else None."""
  if pieces is None or isinstance(pieces, PiecewiseLinear):
    return None if pieces is None else tuple(pieces.breakpoints)
  points = {tuple(p.breakpoints) for p in pieces}
  return points.pop() if len(points) == 1 else None


def check_net(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]):
  if len(weights) != len(biases) or not weights:
    raise ValueError(f"need as many weights as biases (>= 1), got {len(weights)} and {len(biases)}")
  ws = [np.asarray(w, np.float64) for w in weights]
  bs = [np.asarray(b, np.float64) for b in biases]
  for i, (w, b) in enumerate(zip(ws, bs)):
    if w.ndim != 2 or b.shape != (w.shape[1],) or (i and w.shape[0] != ws[i - 1].shape[1]):
      raise ValueError(f"layer {i}: weight {w.shape} and bias {b.shape} do not chain")
  return ws, bs


def forward_numpy(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], act: Pieces,
                  x: np.ndarray, return_patterns: bool = False):
  """Plain float64 forward pass: logits (N, d_out) and optionally the patterns (N, hidden units)."""
  ws, bs = check_net(weights, biases)
  a = np.asarray(x, np.float64)
  pats = []
  for w, b, act in zip(ws[:-1], bs[:-1], layer_pwls(act, len(ws) - 1)):
    z = a @ w + b
    pats.append(act.piece_index(z))
    a = act(z)
  logits = a @ ws[-1] + bs[-1]
  if return_patterns:
    return logits, (np.concatenate(pats, 1) if pats else np.zeros((len(a), 0), np.int64))
  return logits


def classes(logits: np.ndarray) -> np.ndarray:
  """Predicted classes (N,): logit > 0 for a binary head (d_out == 1), argmax otherwise."""
  if logits.shape[1] == 1:
    return (logits[:, 0] > 0).astype(np.int64)
  return np.argmax(logits, 1)


def input_map(d_in: int, plane) -> tuple[np.ndarray, np.ndarray]:
  """(E (2, d_in), origin (d_in,)) with x = [u, v] @ E + origin."""
  if plane is None:
    if d_in != 2:
      raise ValueError(f"input dimension is {d_in}; pass plane=(origin, e1, e2) to pick a 2-D slice")
    return np.eye(2), np.zeros(2)
  origin, e1, e2 = (np.asarray(p, np.float64) for p in plane)
  if not origin.shape == e1.shape == e2.shape == (d_in,):
    raise ValueError(f"plane vectors must have shape ({d_in},), got {origin.shape}, {e1.shape}, {e2.shape}")
  return np.stack([e1, e2]), origin
