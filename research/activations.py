"""Activation registry.

Every activation is an entry of one dict; a name that is not a key raises with the valid names
(a silent fallback would make every comparison in this project meaningless).

Activations are named in configs by a *spec* string, `name` or `name:arg`:
  relu, leaky_relu:0.01, prelu:0.25, tanh, ...
One activation per hidden layer is spelt by joining layer specs with `+`, first layer first:
  relu+leaky_relu:0.2+tanh   (a depth-3 net: ReLU, then LeakyReLU(0.2), then tanh)
`+` rather than `/` or `,` because specs end up in file names, CSV cells and `--config.x=a,b`
lists, where `/` is a path and `,` separates list items. Such a spec fits one depth only (the
config check says so before compiling); a plain spec applies to every layer of any depth and
keeps its own graph, so a plain `relu` net and a `relu+relu` net are trained by different programs
(the same numbers, tested). `parse_activation` returns an `Activation` for a plain spec and a
`LayerActivations` for a per-layer one; `layers_of(act, depth)` gives either as one Activation per
layer. Each layer's slope comes from its own spec; a model's slope is never given anywhere else
(research/model_batch.py refuses a second one).
ReLU and LeakyReLU are one parametric family `leaky(x, slope)` (slope 0.0 is ReLU), so models
that differ only in the slope share one compiled program with the slope vmapped as an array; per
layer, nets whose layers are of the same families (e.g. relu+leaky_relu:0.2 and
leaky_relu:0.1+relu, family `leaky+leaky`) share one program with a vector of slopes.
The slope of leaky_relu and the initial slope of prelu are never defaulted: library defaults
differ (0.01 in JAX/PyTorch, 0.2 in TensorFlow, PReLU 0.25) and silently change results.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np


@dataclasses.dataclass(frozen=True)
class PiecewiseLinear:
  """f(x) = slopes[i] * x + intercepts[i] on the i-th piece between sorted breakpoints.

  There are len(breakpoints) + 1 pieces; piece 0 is (-inf, breakpoints[0]).
  """

  breakpoints: tuple[float, ...]
  slopes: tuple[float, ...]
  intercepts: tuple[float, ...]

  def __post_init__(self):
    if len(self.slopes) != len(self.breakpoints) + 1 or len(self.intercepts) != len(self.slopes):
      raise ValueError(f"PiecewiseLinear needs len(breakpoints)+1 pieces, got {self}")
    if list(self.breakpoints) != sorted(self.breakpoints):
      raise ValueError(f"breakpoints must be sorted, got {self.breakpoints}")

  def piece_index(self, x: np.ndarray) -> np.ndarray:
    """Index of the piece that each x falls in (a point on a breakpoint goes to the right piece)."""
    return np.searchsorted(np.asarray(self.breakpoints), x, side="right")

  def __call__(self, x: np.ndarray) -> np.ndarray:
    i = self.piece_index(x)
    return np.asarray(self.slopes)[i] * x + np.asarray(self.intercepts)[i]


@dataclasses.dataclass(frozen=True)
class ActivationKind:
  """A registry entry: how to compute the activation and what we know about its shape.

  fn(x, slope) -> y. `slope` is the vmapped scalar of the leaky family (and the learned slope of
  prelu); activations that do not use it ignore it, so every model has the same call signature.
  """

  name: str
  fn: Callable[[jax.Array, jax.Array], jax.Array]
  family: str  # models with the same family, widths and depth share one compiled program
  uses_slope: bool  # takes a slope from the spec (leaky_relu, prelu)
  learned_slope: bool  # the slope is a trained parameter (prelu)
  pwl: Callable[[float], PiecewiseLinear] | None  # slope -> pieces; None for smooth functions
  fixed_slope: float | None = None  # relu is the leaky family at slope 0

  @property
  def piecewise_linear(self) -> bool:
    return self.pwl is not None


def leaky(x, slope):
  """max(x, 0) + slope * min(x, 0): slope 0 is ReLU, slope 1 is the identity."""
  return jnp.where(x >= 0, x, slope * x)


def _leaky_pwl(slope: float) -> PiecewiseLinear:
  return PiecewiseLinear((0.0,), (float(slope), 1.0), (0.0, 0.0))


def _ignore_slope(f):
  return lambda x, slope: f(x)


ACTIVATIONS: dict[str, ActivationKind] = {
    "relu": ActivationKind("relu", leaky, "leaky", False, False, _leaky_pwl, fixed_slope=0.0),
    "leaky_relu": ActivationKind("leaky_relu", leaky, "leaky", True, False, _leaky_pwl),
    "prelu": ActivationKind("prelu", leaky, "prelu", True, True, _leaky_pwl),
    "elu": ActivationKind("elu", _ignore_slope(jax.nn.elu), "elu", False, False, None),
    "gelu": ActivationKind("gelu", _ignore_slope(jax.nn.gelu), "gelu", False, False, None),
    "silu": ActivationKind("silu", _ignore_slope(jax.nn.silu), "silu", False, False, None),
    "softplus": ActivationKind("softplus", _ignore_slope(jax.nn.softplus), "softplus", False, False, None),
    "tanh": ActivationKind("tanh", _ignore_slope(jnp.tanh), "tanh", False, False, None),
    "sigmoid": ActivationKind("sigmoid", _ignore_slope(jax.nn.sigmoid), "sigmoid", False, False, None),
    "hard_tanh": ActivationKind(
        "hard_tanh", _ignore_slope(jax.nn.hard_tanh), "hard_tanh", False, False,
        lambda s: PiecewiseLinear((-1.0, 1.0), (0.0, 1.0, 0.0), (-1.0, 0.0, 1.0))),
    "abs": ActivationKind("abs", _ignore_slope(jnp.abs), "abs", False, False,
                          lambda s: PiecewiseLinear((0.0,), (-1.0, 1.0), (0.0, 0.0))),
    "identity": ActivationKind("identity", lambda x, slope: x, "identity", False, False,
                               lambda s: PiecewiseLinear((), (1.0,), (0.0,))),
}


def get_activation(name: str) -> ActivationKind:
  """The registry entry for `name`; raises ValueError listing the valid names."""
  if name not in ACTIVATIONS:
    raise ValueError(f"unknown activation {name!r}; valid activations: {', '.join(sorted(ACTIVATIONS))}")
  return ACTIVATIONS[name]


@dataclasses.dataclass(frozen=True)
class Activation:
  """A parsed activation spec: the registry entry plus its (explicit) slope."""

  kind: ActivationKind
  slope: float  # 0.0 where the activation has no slope (it is then ignored)
  spec: str  # canonical spec string, e.g. "leaky_relu:0.01"

  @property
  def name(self) -> str:
    return self.kind.name

  @property
  def family(self) -> str:
    return self.kind.family

  def pwl(self) -> PiecewiseLinear | None:
    return None if self.kind.pwl is None else self.kind.pwl(self.slope)


def _parse_one(spec: str) -> Activation:
  """Parses `name` or `name:slope`. Raises ValueError naming the bad value and valid choices."""
  if not isinstance(spec, str):
    raise ValueError(f"activation spec must be a string like 'relu' or 'leaky_relu:0.01', got {spec!r}")
  name, sep, arg = spec.partition(":")
  kind = get_activation(name)
  if kind.uses_slope:
    if not sep:
      raise ValueError(
          f"activation {name!r} needs an explicit slope, e.g. '{name}:0.01' (defaults differ between "
          "libraries: 0.01 in JAX/PyTorch, 0.2 in TensorFlow, 0.25 for PReLU)")
    try:
      slope = float(arg)
    except ValueError:
      raise ValueError(f"activation {spec!r}: slope {arg!r} is not a number") from None
    if not np.isfinite(slope) or not 0.0 <= slope <= 1.0:
      raise ValueError(f"activation {spec!r}: slope must be finite and in [0, 1], got {slope}")
    return Activation(kind, slope, f"{name}:{slope:g}")
  if sep:
    raise ValueError(f"activation {name!r} takes no ':' argument, got {spec!r}")
  return Activation(kind, 0.0 if kind.fixed_slope is None else kind.fixed_slope, name)


def leaky_family(slopes) -> list[Activation]:
  """One leaky_relu activation per slope (slope 0 is ReLU): a batch of one compiled family."""
  return [parse_activation(f"leaky_relu:{float(s):.10g}") for s in np.asarray(slopes).ravel()]


LAYER_SEP = "+"


@dataclasses.dataclass(frozen=True)
class LayerActivations:
  """A parsed per-layer spec `a+b+...`: one Activation per hidden layer, first layer first."""

  layers: tuple[Activation, ...]
  spec: str  # canonical, each layer's spec canonical, e.g. "relu+leaky_relu:0.2"

  @property
  def depth(self) -> int:
    return len(self.layers)

  @property
  def name(self) -> str:
    return LAYER_SEP.join(a.name for a in self.layers)

  @property
  def family(self) -> str:
    # Same per-layer families = same graph; the slopes are then a vmapped (depth,) vector.
    return LAYER_SEP.join(a.family for a in self.layers)

  @property
  def slopes(self) -> tuple[float, ...]:
    return tuple(a.slope for a in self.layers)

  @property
  def slope(self) -> float:
    """The layers' common slope, NaN where they differ (the results table's `slope` column)."""
    return self.slopes[0] if len(set(self.slopes)) == 1 else float("nan")

  def pwl(self) -> None:
    """None: there is no one set of pieces for every layer; see `layer_pwls`."""
    return None

  def layer_pwls(self) -> tuple[PiecewiseLinear, ...] | None:
    """The pieces of each layer, or None if any layer is smooth."""
    pieces = tuple(a.pwl() for a in self.layers)
    return None if any(p is None for p in pieces) else pieces


AnyActivation = Activation | LayerActivations


def parse_activation(spec: str) -> AnyActivation:
  """Parses `name`, `name:slope` or a per-layer `spec+spec+...`; raises ValueError naming the bad
  part and the valid forms."""
  if isinstance(spec, str) and LAYER_SEP in spec:
    parts = spec.split(LAYER_SEP)
    if len(parts) < 2 or not all(parts):
      raise ValueError(f"per-layer activation spec {spec!r} has an empty layer; valid form: one "
                       f"spec per hidden layer joined by '{LAYER_SEP}', e.g. 'relu+leaky_relu:0.2+tanh'")
    layers = tuple(_parse_one(p) for p in parts)
    return LayerActivations(layers, LAYER_SEP.join(a.spec for a in layers))
  return _parse_one(spec)


def layers_of(act: AnyActivation, depth: int) -> tuple[Activation, ...]:
  """The activation of each of `depth` hidden layers; raises ValueError if a per-layer spec has
  another number of layers."""
  if isinstance(act, LayerActivations):
    if act.depth != depth:
      raise ValueError(f"activation {act.spec!r} has {act.depth} layers but the net has depth {depth}; "
                       f"give one spec per hidden layer ({depth} joined by '{LAYER_SEP}') or one plain spec")
    return act.layers
  return (act,) * depth
