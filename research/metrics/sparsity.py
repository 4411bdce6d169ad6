"""Sparsity and dying: which units are inactive, where, and how often networks are born dead.

Pure JAX functions of one model's intermediates (vmap them over models). "Inactive" means a
pre-activation <= 0: the zero regime of ReLU and the negative regime of every other activation
(for LeakyReLU the unit still passes a gradient there; "dead" is about the regime, and for ReLU
it also means no gradient).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from flax import nnx

from research.activations import parse_activation
from research.models import MLP


def inactive_counts(pre: tuple[jax.Array, ...]) -> jax.Array:
  """(L,) int32 number of (point, unit) pairs per layer with pre-activation <= 0.

  Counts add up over disjoint sets of points, so a pass over a grid in tiles sums them.
  """
  # On z.T, the model's own feature-major layout (see activation_patterns.pattern_words); a
  # select rather than the comparison summed as a number, which XLA does not vectorise on AVX2
  # (a 2-64-64-64 model's forward pass with the count on a 1024^2 grid: 0.88 s summing the
  # comparison, 0.22 s with the select, 0.19-0.25 s the forward pass alone; AMD EPYC).
  return jnp.stack([jnp.sum(jnp.where(z.T <= 0, 1, 0), dtype=jnp.int32) for z in pre])


def inactive_units(pre: tuple[jax.Array, ...]) -> tuple[jax.Array, ...]:
  """Per layer, (H_l,) bool: the unit is inactive on every one of the given points.

  Over disjoint sets of points these combine with logical AND (the tiles of a grid pass).
  """
  # The largest value <= 0 (a NaN propagates and fails the test, as in all(z <= 0)): one
  # comparison per unit after a max, not a comparison per (point, unit) reduced by all(), the kind
  # XLA does not vectorise on AVX2 (see inactive_counts; this one was not timed apart).
  return tuple(jnp.max(z.T, axis=1, initial=-jnp.inf) <= 0 for z in pre)  # no points: True


def inactive_fraction(pre: tuple[jax.Array, ...]) -> jax.Array:
  """(L,) fraction of (point, unit) pairs per layer with pre-activation <= 0."""
  return fraction_of_pairs(inactive_counts(pre), tuple(z.size for z in pre))


def fraction_of_pairs(counts: jax.Array, pairs: tuple[int, ...]) -> jax.Array:
  """(L,) counts of (point, unit) pairs as fractions of each layer's number of pairs (P x H_l)."""
  return jnp.stack([counts[i] / n for i, n in enumerate(pairs)]).astype(jnp.float32)


def dead_units(pre: tuple[jax.Array, ...]) -> jax.Array:
  """(L,) fraction of units per layer that are inactive on every one of the given points."""
  return dead_fraction(inactive_units(pre))


def dead_fraction(inactive: tuple[jax.Array, ...]) -> jax.Array:
  """(L,) fraction of each layer's units that inactive_units marks."""
  return jnp.stack([jnp.mean(u) for u in inactive])


def hoyer_sparsity(act: tuple[jax.Array, ...]) -> jax.Array:
  """(L,) mean over points of Hoyer's (sqrt(n) - |a|_1/|a|_2) / (sqrt(n) - 1): 1 = one-hot, 0 = flat.

  A point whose activation vector is all zero counts as maximally sparse (1).
  """
  out = []
  for a in act:
    n = a.shape[-1]
    l1 = jnp.sum(jnp.abs(a), axis=-1)
    l2 = jnp.sqrt(jnp.sum(a * a, axis=-1))
    ratio = jnp.where(l2 > 0, l1 / jnp.where(l2 > 0, l2, 1.0), 0.0)
    out.append(jnp.mean((jnp.sqrt(n) - ratio) / (jnp.sqrt(n) - 1.0)) if n > 1 else jnp.float32(jnp.nan))
  return jnp.stack(out)


def dead_layer(pre: tuple[jax.Array, ...]) -> jax.Array:
  """True when some hidden layer is inactive on every point: the output is then constant.

  This is Lu et al.'s "born dead" event when evaluated at initialisation over the input domain.
  """
  return jnp.any(jnp.stack([jnp.all(z <= 0) for z in pre]))


def born_dead_closed_form(width: int, depth: int) -> float:
  """Lu et al.: for one input, zero bias and symmetric weights, P(some layer all-zero)."""
  return 1.0 - (1.0 - 2.0 ** -width) ** depth


# Jitted: eagerly, every op of the vmapped init and forward pass dispatched (and compiled) alone
# (tests/test_sparsity.py's domain test: 12.5 s eager, 9.7 s jitted, on 2 cores).
@functools.partial(jax.jit, static_argnames=("width", "depth", "init", "num_inits", "in_dim"))
def born_dead_probability(width: int, depth: int, init: str, points: jax.Array,
                          num_inits: int, key: jax.Array, in_dim: int | None = None) -> jax.Array:
  """Fraction of `num_inits` random ReLU networks (one vmapped call) with a dead layer on `points`.

  With `points` a single input this estimates the closed form; with a grid of the input domain
  it estimates the born-dead probability over the domain, which has no closed form.
  """
  relu = parse_activation("relu")
  in_dim = points.shape[-1] if in_dim is None else in_dim

  def one(k):
    model = MLP(in_dim, (width,) * depth, 2, relu, init, rngs=nnx.Rngs(params=k))
    _, inter = model(points)
    return dead_layer(inter["pre"])

  return jnp.mean(jax.vmap(one)(jax.random.split(key, num_inits)))
