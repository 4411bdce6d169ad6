"""One trained MLP as plain arrays, for the views: what each layer computes over the input plane.

The views draw models from in-memory weights (`make_net(kernels, biases, activation)`), so they
work on a workdir's saved weights (loading.py) and on weights a caller holds (research/api.py)
alike. Kernels are (fan_in, fan_out), hidden layers then the head, as research.models.dense_weights
returns them; `activation` is one spec for every hidden layer ("relu", "leaky_relu:0.01") or a
sequence of specs, one per hidden layer. The forward pass is numpy float64 with the registry's own
activation functions, so a heat map shows what the model computes, not a re-implementation.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import jax.numpy as jnp
import numpy as np

from research.activations import Activation, parse_activation
from research.metrics import boundary, regions
from research.metrics.pwl_networks import check_net, classes


@dataclasses.dataclass(frozen=True)
class Net:
  """A 2-D-input MLP: float64 weights, one activation (and slope) per hidden layer."""

  kernels: tuple[np.ndarray, ...]  # (fan_in, fan_out) per layer, hidden layers then the head
  biases: tuple[np.ndarray, ...]
  activations: tuple[Activation, ...]  # one per hidden layer
  slopes: tuple[float, ...]  # the slope each hidden layer uses (PReLU: its learned slope)

  @property
  def widths(self) -> tuple[int, ...]:
    return tuple(k.shape[1] for k in self.kernels[:-1])

  @property
  def num_classes(self) -> int:
    out = self.kernels[-1].shape[1]
    return 2 if out == 1 else out

  def pwl(self):
    """The one piecewise-linear activation of every hidden layer, or None (smooth, or mixed)."""
    specs = {(a.spec, s) for a, s in zip(self.activations, self.slopes)}
    if len(specs) != 1 or self.activations[0].pwl() is None:
      return None
    act = self.activations[0]
    return act.kind.pwl(self.slopes[0]) if act.kind.learned_slope else act.pwl()


def layer_activations(activation, depth: int) -> tuple[Activation, ...]:
  """One Activation per hidden layer from a spec ("relu", or per layer "relu+tanh"), an Activation,
  or a sequence of `depth` specs; raises naming the specs and the depth when they do not fit."""
  if isinstance(activation, str):
    activation = parse_activation(activation)
  if hasattr(activation, "layers"):  # a per-layer spec (research.activations.LayerActivations)
    activation = list(activation.layers)
  elif isinstance(activation, Activation):
    activation = [activation] * depth
  acts = [a if isinstance(a, Activation) else parse_activation(a) for a in activation]
  if len(acts) != depth or not all(isinstance(a, Activation) for a in acts):
    raise ValueError(f"activation: {len(acts)} specs {[a.spec for a in acts]} for {depth} hidden "
                     f"layers; give one spec, or one per hidden layer")
  return tuple(acts)


def make_net(kernels: Sequence, biases: Sequence, activation, slopes: Sequence[float] | None = None) -> Net:
  """A Net from (kernels, biases) of hidden layers then head; raises naming a bad shape or spec.

  `slopes`: per hidden layer, only for activations with a learned slope (PReLU); otherwise each
  layer uses its spec's slope.
  """
  ws, bs = check_net(kernels, biases)
  if ws[0].shape[0] != 2:
    raise ValueError(f"kernels[0] has fan_in {ws[0].shape[0]}; the views draw models of 2-D input only")
  if len(ws) < 2:
    raise ValueError("kernels: need at least one hidden layer and the head")
  acts = layer_activations(activation, len(ws) - 1)
  if slopes is None:
    slopes = [a.slope for a in acts]
  slopes = tuple(float(s) for s in np.ravel(slopes))
  if len(slopes) != len(acts):
    raise ValueError(f"slopes: {len(slopes)} values for {len(acts)} hidden layers")
  return Net(tuple(ws), tuple(bs), acts, slopes)


def hidden(net: Net, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
  """(pre-activations per layer, activations per layer, logits) at points x (N, 2), float64."""
  a = np.asarray(x, np.float64)
  pre, act = [], []
  for w, b, kind, slope in zip(net.kernels[:-1], net.biases[:-1], net.activations, net.slopes):
    z = a @ w + b
    a = apply_activation(kind, slope, z)
    pre.append(z)
    act.append(a)
  return pre, act, a @ net.kernels[-1] + net.biases[-1]


def apply_activation(act: Activation, slope: float, z: np.ndarray) -> np.ndarray:
  """act(z) in float64: by its pieces where piecewise linear (exact), else the registry's function."""
  if act.kind.pwl is not None:
    return act.kind.pwl(slope)(z)
  return np.asarray(act.kind.fn(jnp.asarray(z, jnp.float32), slope), np.float64)


def predicted_class(net: Net, x: np.ndarray) -> np.ndarray:
  """(N,) predicted class at points x: logit > 0 for a binary head, argmax otherwise."""
  return classes(hidden(net, x)[2])


def score(logits: np.ndarray) -> np.ndarray:
  """(N,) what the boundary is the zero level of: the logit (binary), top minus runner-up otherwise."""
  if logits.shape[1] == 1:
    return logits[:, 0]
  top2 = np.sort(logits, 1)[:, -2:]
  return top2[:, 1] - top2[:, 0]


def grid(domain, resolution: int) -> tuple[np.ndarray, tuple[int, int]]:
  """(R*R, 2) cell centres over the domain box, row-major with rows along y (boundary.make_grid)."""
  return boundary.make_grid(np.asarray(domain, np.float64), resolution)


def exact_regions(net: Net, domain) -> regions.Regions | None:
  """Exact activation regions and decision boundary on the domain box (regions.enumerate_regions);
  None where regions are not defined (a smooth activation, or different ones per layer)."""
  pwl = net.pwl()
  if pwl is None:
    return None
  return regions.enumerate_regions(list(net.kernels), list(net.biases), pwl, np.asarray(domain, np.float64))


def accuracy(net: Net, x: np.ndarray, y: np.ndarray) -> float:
  """Fraction of points (x, y) the net classifies correctly."""
  return float(np.mean(predicted_class(net, x) == np.asarray(y)))
