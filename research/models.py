"""Flax NNX MLP that returns its named intermediates, the initialisers it supports, and the
functions of one model that the engine and the metrics share (ModelSpec, init_model, forward,
loss_and_accuracy, predict, evaluate, evaluate_batch).

The forward pass returns (logits, intermediates) where intermediates = {"pre": (z_1, ..., z_L),
"act": (a_1, ..., a_L)}: every metric (sparsity, activation patterns, linear regions, topology per
layer) reads these, so no metric needs to know the model's code.

The leaky-family slope lives in the model as a non-trainable `Slope` variable, so models that
differ only in the slope have the same graph and are vmapped together; PReLU's slope is a `Param`.
A per-layer activation (`relu+leaky_relu:0.2`, research/activations.py) gives each hidden layer its
own function and its own slope variable (a `Param` for a prelu layer).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from research.activations import AnyActivation, LayerActivations, layers_of

Intermediates = dict[str, tuple[jax.Array, ...]]

# The numeric precisions a model can be trained in (config.model.dtypes): parameters, optimiser
# state and every forward and backward pass in that type. float64 needs jax_enable_x64, which the
# sweep turns on around a float64 unit only (research/jax_setup.precision).
DTYPES = {"float64": jnp.float64, "float32": jnp.float32, "bfloat16": jnp.bfloat16}

# Lu, Shin, Su, Karniadakis (2020): RAI draws each row of [W | b] from N(0, sigma^2 / fan_in) with
# this sigma, then replaces one random entry per row by a Beta(2, 1) draw (always positive).
RAI_SIGMA = 0.6007


class Slope(nnx.Variable):
  """Negative slope of the leaky family: a vmapped hyper-parameter, not trained."""


def _variance_scaling(scale: float, mode: str, distribution: str):
  init = jax.nn.initializers.variance_scaling(scale, mode, distribution)
  return lambda key, fan_in, fan_out: (init(key, (fan_in, fan_out), jnp.float32),
                                       jnp.zeros((fan_out,), jnp.float32))


def _rai(key, fan_in: int, fan_out: int):
  """Randomized asymmetric initialisation of one layer: returns (kernel (in,out), bias (out,))."""
  k_normal, k_pos, k_beta = jax.random.split(key, 3)
  # Explicit dtypes: with jax_enable_x64 on (a float64 unit) the defaults would draw 64-bit numbers,
  # and a float64 net must start from the weights of its float32 twin.
  scale = jnp.float32(RAI_SIGMA) / jnp.sqrt(jnp.float32(fan_in))
  # One row per output unit: the unit's fan_in weights followed by its bias.
  rows = scale * jax.random.normal(k_normal, (fan_out, fan_in + 1), jnp.float32)
  which = jax.random.randint(k_pos, (fan_out,), 0, fan_in + 1, jnp.int32)
  beta = jax.random.beta(k_beta, 2.0, 1.0, (fan_out,), jnp.float32)
  rows = rows.at[jnp.arange(fan_out, dtype=jnp.int32), which].set(beta)
  return rows[:, :fan_in].T, rows[:, fan_in]


# name -> (key, fan_in, fan_out) -> (kernel, bias). Zero bias except for RAI, which sets it.
INITIALISERS: dict[str, Callable] = {
    "he": _variance_scaling(2.0, "fan_in", "truncated_normal"),
    "he_normal": _variance_scaling(2.0, "fan_in", "normal"),
    "lecun": _variance_scaling(1.0, "fan_in", "truncated_normal"),
    "glorot": _variance_scaling(1.0, "fan_avg", "uniform"),
    "rai": _rai,
}


def get_initialiser(name: str) -> Callable:
  """The initialiser registered under `name`; raises ValueError listing the valid names."""
  if name not in INITIALISERS:
    raise ValueError(f"unknown initialiser {name!r}; valid initialisers: {', '.join(sorted(INITIALISERS))}")
  return INITIALISERS[name]


class Dense(nnx.Module):
  """A linear layer whose (kernel, bias) come from a named initialiser."""

  def __init__(self, fan_in: int, fan_out: int, init: str, *, rngs: nnx.Rngs):
    kernel, bias = get_initialiser(init)(rngs.params(), fan_in, fan_out)
    self.kernel = nnx.Param(kernel)
    self.bias = nnx.Param(bias)

  def __call__(self, x: jax.Array) -> jax.Array:
    """x (..., fan_in) -> (..., fan_out)."""
    # Explicit broadcast of the bias: the tests forbid implicit rank promotion.
    return x @ self.kernel[...] + jnp.expand_dims(self.bias[...], tuple(range(x.ndim - 1)))

  def feature_major(self, h: jax.Array) -> jax.Array:
    """h (fan_in, points) -> (fan_out, points): the same map with the points as the minor axis.

    The kernel is transposed once (it is small) behind an optimisation barrier, so XLA cannot fold
    the transpose back into the dot: both operands are then row-major, which XLA's fast CPU dot
    library (YNNPACK) requires, and so is the weight-gradient dot of the backward pass.
    """
    kernel_t = jax.lax.optimization_barrier(self.kernel[...].T)
    return kernel_t @ h + self.bias[...][:, None]


class MLP(nnx.Module):
  """input -> [Dense -> activation] x len(hidden_widths) -> Dense head.

  The head has one logit for two classes (binary cross-entropy) and num_classes logits otherwise.
  """

  def __init__(self, in_dim: int, hidden_widths: tuple[int, ...], num_classes: int,
               activation: AnyActivation, init: str, *, slope: jax.Array | float | None = None,
               rngs: nnx.Rngs):
    """`slope`: the model's slope where the engine varies it per model (a scalar, or one per layer
    for a per-layer activation); None takes the activation's own."""
    layers = layers_of(activation, len(hidden_widths))  # a per-layer spec of another depth raises
    self.activation = activation
    self.num_classes = num_classes
    widths = (in_dim, *hidden_widths)
    self.hidden = nnx.List([Dense(a, b, init, rngs=rngs) for a, b in zip(widths[:-1], widths[1:])])
    self.head = Dense(widths[-1], 1 if num_classes == 2 else num_classes, init, rngs=rngs)
    if isinstance(activation, LayerActivations):
      slopes = jnp.asarray(activation.slopes if slope is None else slope, jnp.float32)
      if slopes.shape != (len(layers),):
        raise ValueError(f"activation {activation.spec!r} needs one slope per layer ({len(layers)}), "
                         f"got shape {slopes.shape}")
      self.slopes = nnx.List([nnx.Param(slopes[i]) if a.kind.learned_slope else Slope(slopes[i])
                              for i, a in enumerate(layers)])
      return
    slope = jnp.asarray(activation.slope if slope is None else slope, jnp.float32)
    if activation.kind.learned_slope:
      # PReLU as in PyTorch's default: one learned slope per layer.
      self.slopes = nnx.List([nnx.Param(slope) for _ in hidden_widths])
    else:
      self.slope = Slope(slope)

  def layer_slopes(self) -> list[jax.Array]:
    if isinstance(self.activation, LayerActivations) or self.activation.kind.learned_slope:
      return [s[...] for s in self.slopes]
    return [self.slope[...]] * len(self.hidden)

  def layer_fns(self) -> list:
    return [a.kind.fn for a in layers_of(self.activation, len(self.hidden))]

  def __call__(self, x: jax.Array) -> tuple[jax.Array, Intermediates]:
    """x (..., in_dim) -> logits (..., outputs) and the intermediates, each (..., width).

    Computed feature-major: activations are (width, points), so the long points axis is the
    contiguous one and the element-wise passes (bias, activation, their gradients) run over whole
    vectors instead of rows of `width` floats; measured 1.14x the training throughput of the
    points-major layout at width 8 and 1.03x at width 64 (BENCHMARKS.md). The intermediates are
    transposed back for the metrics; training never reads them, so XLA drops those transposes.
    """
    lead, in_dim = x.shape[:-1], x.shape[-1]
    # The model computes in its parameters' precision whatever the input's (data are float32):
    # a bfloat16 net fed float32 points would otherwise compute in float32.
    h = x.reshape(-1, in_dim).T.astype(self.head.kernel.dtype)
    pre, act = [], []
    for layer, slope, fn in zip(self.hidden, self.layer_slopes(), self.layer_fns()):
      z = layer.feature_major(h)
      h = fn(z, slope)
      pre.append(z)
      act.append(h)
    points_major = lambda a: a.T.reshape(*lead, a.shape[0])
    return points_major(self.head.feature_major(h)), {"pre": tuple(map(points_major, pre)),
                                                      "act": tuple(map(points_major, act))}


def dense_weights(params) -> tuple[list[jax.Array], list[jax.Array]]:
  """(kernels, biases) of hidden layers then head, from an MLP's Param state (for exact metrics)."""
  layers = [params["hidden"][i] for i in sorted(params["hidden"].keys())] + [params["head"]]
  return [l["kernel"][...] for l in layers], [l["bias"][...] for l in layers]


# ----------------------------------------------------------------------------- one model's functions

@dataclasses.dataclass(frozen=True)
class ModelSpec:
  """What fixes the compiled graph: shapes, activation family and initialiser."""

  in_dim: int
  hidden_widths: tuple[int, ...]
  num_classes: int
  # Names the family (the program); a batch's models each bring their own activation and so their
  # slope (ModelBatch.activations), which is what they are trained with.
  activation: AnyActivation
  init: str
  dtype: str = "float32"  # a key of DTYPES: parameters, optimiser state and arithmetic

  def build(self, key: jax.Array, slope: jax.Array | float | None = None) -> MLP:
    return MLP(self.in_dim, self.hidden_widths, self.num_classes, self.activation, self.init,
               slope=slope, rngs=nnx.Rngs(params=key))


def cast_floats(tree, dtype: str):
  """`tree` with every floating-point leaf in `dtype` (a key of DTYPES); other leaves as they are."""
  target = DTYPES[dtype]
  return jax.tree.map(lambda a: a.astype(target) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree)


def host_floats(a):
  """Host array `a` with bfloat16 widened to float32 (exact): .npz files and numpy's statistics
  know no bfloat16."""
  return a.astype(jnp.float32) if a.dtype == DTYPES["bfloat16"] else a


def init_model(spec: ModelSpec, seed: jax.Array, slope: jax.Array):
  """Initial (params, rest) of one model: the init key is derived from its seed alone.

  Drawn in float32 whatever `spec.dtype`, then cast, so the nets of every precision start from
  the same weights (pairing; the initialisers name their dtypes, so x64 changes no draw). float32 ->
  float64 is exact; float32 -> bfloat16 rounds each weight (and the leaky slope: 0.01 becomes
  0.01001) to 8 significant bits, which is part of what training in bfloat16 means.
  """
  model = spec.build(jax.random.fold_in(jax.random.key(seed), 0), slope)
  _, params, rest = nnx.split(model, nnx.Param, ...)
  return cast_floats(params, spec.dtype), cast_floats(rest, spec.dtype)


def graphdef_of(spec: ModelSpec):
  """The static graph of a model, obtained without allocating its weights."""
  return nnx.graphdef(nnx.eval_shape(lambda: spec.build(jax.random.key(0))))


def forward(graphdef, params, rest, x):
  """Logits and intermediates of one model."""
  return nnx.merge(graphdef, params, rest)(x)


def loss_and_accuracy(logits: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Mean cross-entropy and accuracy; a single logit means binary classification."""
  if logits.shape[-1] == 1:
    z = logits[..., 0]
    loss = optax.sigmoid_binary_cross_entropy(z, y.astype(z.dtype)).mean()
    pred = (z > 0).astype(y.dtype)
  else:
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    pred = jnp.argmax(logits, axis=-1).astype(y.dtype)
  return loss, (pred == y).mean(dtype=jnp.float32)  # float32 also with x64 on


def predict(logits: jax.Array) -> jax.Array:
  """Predicted class from logits (binary head: logit > 0)."""
  if logits.shape[-1] == 1:
    return (logits[..., 0] > 0).astype(jnp.int32)
  return jnp.argmax(logits, axis=-1).astype(jnp.int32)


def evaluate(graphdef, params, rest, x, y):
  """(loss, accuracy) of one model on (x, y)."""
  logits, _ = forward(graphdef, params, rest, x)
  return loss_and_accuracy(logits, y)


@functools.partial(jax.jit, static_argnames=("graphdef",))
def evaluate_batch(params, rest, x_all, y_all, data_index, *, graphdef):
  """(loss, accuracy) per model, each on its own data instance."""
  return jax.vmap(lambda p, r, i: evaluate(graphdef, p, r, x_all[i], y_all[i]))(
      params, rest, data_index)
