"""Exact number of distinct activation patterns among sampled points, in JAX (jit and vmap).

An activation pattern is the piece index of every hidden unit. `count_patterns` takes each
hidden layer's pre-activations at P points and the activation's breakpoints, packs every point's
pattern into uint32 words, sorts them lexicographically in one multi-key sort and counts the
changes: the number of activation regions holding at least one of the points, a lower bound on
the regions of the sampled domain (regions.py counts those exactly in 2-D). A smooth activation
(breakpoints None) gives NaN; `count_patterns_or_nan` also gives the reason.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from research.metrics.pwl_networks import ActLike, common_breakpoints, to_pwl, undefined_reason


def _pattern_words(pre_activations: tuple[jax.Array, ...], breakpoints: tuple[float, ...]):
  """Each point's pattern packed into uint32 words: bit_length(k) bits per unit, per layer."""
  bits = max(1, len(breakpoints).bit_length())  # piece indices run 0..k
  per_word = 32 // bits
  words = []
  for z in pre_activations:
    for s in range(0, z.shape[-1], per_word):
      chunk = z[:, s:s + per_word]
      # searchsorted(side="right") = number of breakpoints <= z, as PiecewiseLinear.piece_index.
      idx = sum((chunk >= t).astype(jnp.uint32) for t in breakpoints)
      shifts = jnp.arange(chunk.shape[1], dtype=jnp.uint32) * bits
      words.append(jnp.sum(idx << shifts[None, :], axis=1, dtype=jnp.uint32))  # disjoint bits: sum == or
  return words


def _count_distinct_rows(words: list[jax.Array]) -> jax.Array:
  srt = jax.lax.sort(tuple(words), num_keys=len(words))  # one lexicographic sort over all words
  change = jnp.zeros(srt[0].shape[0] - 1, bool)
  for w in srt:
    change = change | (w[1:] != w[:-1])
  return 1 + jnp.sum(change, dtype=jnp.int32)


@functools.partial(jax.jit, static_argnames="breakpoints")
def count_patterns(pre_activations: tuple[jax.Array, ...],
                   breakpoints: tuple[float, ...] | None) -> jax.Array:
  """Exact number of distinct activation patterns among P points (int32; NaN if breakpoints=None)."""
  # pre_activations: one (P, H_l) array per hidden layer; breakpoints: the activation's, a static
  # hashable tuple (None for a smooth activation). Patterns are packed into uint32 words (6 words
  # for 192 ReLU units), sorted lexicographically in one multi-key sort and changes counted, so
  # memory is O(P * words) beyond the inputs. Works under jit and vmap over a leading model axis.
  if breakpoints is None:
    return jnp.asarray(jnp.nan, jnp.float32)
  P = pre_activations[0].shape[0]
  if P == 0:
    return jnp.asarray(0, jnp.int32)
  if not breakpoints or not sum(z.shape[-1] for z in pre_activations):
    return jnp.asarray(1, jnp.int32)  # one piece everywhere: every point has the same pattern
  return _count_distinct_rows(_pattern_words(pre_activations, tuple(float(t) for t in breakpoints)))


def count_patterns_or_nan(pre_activations: tuple[jax.Array, ...], act: ActLike,
                          activation_name: str | None = None) -> tuple[jax.Array, str]:
  """(count_patterns, "") or (NaN, reason) for a smooth activation."""
  pwl = to_pwl(act)
  if pwl is None:
    return jnp.asarray(jnp.nan, jnp.float32), undefined_reason(act, activation_name)
  breakpoints = common_breakpoints(pwl)  # per-layer pieces: the breakpoints every layer shares
  if breakpoints is None:
    return jnp.asarray(jnp.nan, jnp.float32), "the layers' activations have different breakpoints"
  return count_patterns(pre_activations, breakpoints), ""
