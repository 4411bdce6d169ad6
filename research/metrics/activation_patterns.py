"""Exact number of distinct activation patterns among sampled points, in JAX (jit and vmap).

An activation pattern is the piece index of every hidden unit. `count_patterns` takes each
hidden layer's pre-activations at P points and the activation's breakpoints, packs every point's
pattern into uint32 words and counts the distinct rows of words exactly: the number of activation
regions holding at least one of the points, a lower bound on the regions of the sampled domain
(regions.py counts those exactly in 2-D). A smooth activation (breakpoints None) gives NaN;
`count_patterns_or_nan` also gives the reason.

Counting (`count_distinct_rows`): a point whose pattern equals that of an earlier neighbour (the
previous point, and on a row-major grid the three points of the row above) cannot add a new
pattern, so only the other points are kept (compacted to a fixed-size buffer, padded with copies
of point 0) and sorted lexicographically on every word, and the changes in sorted order counted.
On a 1024 x 1024 grid of a trained 2-64-64-64-1 net about 5% of the points remain, so the sort,
XLA's slowest step here (1.4 s for 10^6 rows of 6 words), shrinks twentyfold. No hashing: the
count is exact by construction. When more points remain than the buffer holds, the next larger
buffer (up to all P points) is used; the larger sorts run only when needed, under vmap too.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from research.metrics.pwl_networks import ActLike, common_breakpoints, to_pwl, undefined_reason

# Compacted-buffer sizes tried in turn, as fractions of the points (the last, 1, is every point).
BUFFER_FRACTIONS = (1 / 16, 1 / 4, 1.0)


# Bits per partial word: sums of distinct powers of two below 2^16 are exact in float32.
HALF_WORD = 16


def pattern_words(pre_activations: tuple[jax.Array, ...], breakpoints: tuple[float, ...]) -> list[jax.Array]:
  """Each point's pattern packed into uint32 words, (P,) each: bit_length(k) bits per unit, per layer.

  Each half word is a float32 sum of where(z >= t, 2^shift, 0) over its units and the breakpoints t
  (exact: integers below 2^16), then two halves make a uint32 word. Not the obvious integer
  version, sum((z >= t).astype(uint32) << shift): on AVX2 (no mask registers) XLA's CPU code for a
  comparison converted to a number is not vectorised, and that packing cost 1.5x the whole
  forward pass of a 2-64-64-64 net on an AMD EPYC (0.32 s against 0.20 s per model on a 1024^2
  grid); a select of float constants, reduced in float, costs a fifth of that (measured in
  research/benchmark/evaluation.py's grid pass).
  """
  # Packed over the unit axis of z.T: the model computes feature-major (research/models.py) and
  # hands out transposes, so z.T is its own layout and XLA drops both transposes; reducing z over
  # its minor axis instead made XLA copy every (points, units) tile into points-major order.
  bits = max(1, len(breakpoints).bit_length())  # piece indices run 0..k
  per_half = HALF_WORD // bits
  words = []
  for z in pre_activations:
    units = z.T
    halves = []
    for s in range(0, units.shape[0], per_half):
      chunk = units[s:s + per_half]
      # searchsorted(side="right") = number of breakpoints <= z, as PiecewiseLinear.piece_index:
      # piece << shift = the sum over the breakpoints passed of 2^shift.
      weights = (2.0 ** (np.arange(chunk.shape[0]) * bits)).astype(np.float32)[:, None]
      half = sum(jnp.sum(jnp.where(chunk >= t, weights, np.float32(0)), axis=0) for t in breakpoints)
      halves.append(half.astype(jnp.uint32))
    for i in range(0, len(halves), 2):
      words.append(halves[i] | (halves[i + 1] << HALF_WORD) if i + 1 < len(halves) else halves[i])
  return words


def grid_neighbours(row_length: int | None) -> tuple[int, ...]:
  """Offsets d of the earlier points (index - d) a point is compared with before the sort.

  Any positive offsets keep the count exact (a dropped point equals a point before it); these
  make the comparison catch most duplicates on a row-major grid: the left neighbour, and the
  up-right, up and up-left ones when the row length is known.
  """
  if row_length is None or row_length < 2:
    return (1,)
  return (1, row_length - 1, row_length, row_length + 1)


def _sorted_changes(words: list[jax.Array]) -> jax.Array:
  """Distinct rows of the given words: one lexicographic sort over all words, changes counted."""
  srt = jax.lax.sort(tuple(words), num_keys=len(words))
  change = jnp.zeros(srt[0].shape[0] - 1, bool)
  for w in srt:
    change = change | (w[1:] != w[:-1])
  return 1 + jnp.sum(change, dtype=jnp.int32)


def _only_if(needed: jax.Array, compute, otherwise: jax.Array) -> jax.Array:
  """compute() if `needed` else `otherwise`, with compute run only when needed.

  A while loop of at most one iteration rather than lax.cond: under vmap lax.cond evaluates both
  branches for every model, while the loop runs its body only if some model needs it.
  """
  # Built from `needed`, so inside shard_map the carry varies over the devices as the body's does.
  start = (needed, jnp.where(needed, otherwise, otherwise))
  return jax.lax.while_loop(lambda s: s[0], lambda s: (s[0] & False, compute()), start)[1]


def count_distinct_rows(words: list[jax.Array], neighbours: tuple[int, ...] = (1,)) -> jax.Array:
  """Exact number of distinct rows of the (P,) uint32 word arrays (int32, P >= 1).

  neighbours: offsets of the earlier points each point is compared with (grid_neighbours); a point
  equal to one of them is dropped before the sort, which leaves the count unchanged.
  """
  P = words[0].shape[0]
  keep = jnp.ones(P, bool)  # point 0 is always kept: it has no earlier neighbour
  for d in neighbours:
    if d < P:
      differs = functools.reduce(jnp.logical_or, [w[d:] != w[:-d] for w in words])
      keep = keep & jnp.concatenate([jnp.ones(d, bool), differs])
  kept = jnp.sum(keep, dtype=jnp.int32)
  sizes = sorted({max(1, min(P, int(P * f))) for f in BUFFER_FRACTIONS} | {P})
  count = jnp.int32(0)
  for i, size in enumerate(sizes):
    def compact_and_count(size=size):
      if size == P:
        return _sorted_changes(words)
      # Padded with point 0, which is always kept: a copy of a kept row adds no distinct row.
      idx = jnp.nonzero(keep, size=size, fill_value=0)[0]
      return _sorted_changes([w[idx] for w in words])
    fits = kept <= size
    smaller_fit = kept <= sizes[i - 1] if i else jnp.bool_(False)
    count = _only_if(fits & ~smaller_fit, compact_and_count, count)
  return count


@functools.partial(jax.jit, static_argnames=("breakpoints", "row_length"))
def count_patterns(pre_activations: tuple[jax.Array, ...], breakpoints: tuple[float, ...] | None,
                   row_length: int | None = None) -> jax.Array:
  """Exact number of distinct activation patterns among P points (int32; NaN if breakpoints=None)."""
  # pre_activations: one (P, H_l) array per hidden layer; breakpoints: the activation's, a static
  # hashable tuple (None for a smooth activation); row_length: the points are a row-major grid
  # with rows this long (only speeds the count up). Patterns are packed into uint32 words (6 words
  # for 192 ReLU units) and counted by count_distinct_rows, so memory is O(P * words) beyond the
  # inputs. Works under jit and vmap over a leading model axis.
  if breakpoints is None:
    return jnp.asarray(jnp.nan, jnp.float32)
  P = pre_activations[0].shape[0]
  if P == 0:
    return jnp.asarray(0, jnp.int32)
  if not breakpoints or not sum(z.shape[-1] for z in pre_activations):
    return jnp.asarray(1, jnp.int32)  # one piece everywhere: every point has the same pattern
  words = pattern_words(pre_activations, tuple(float(t) for t in breakpoints))
  return count_distinct_rows(words, grid_neighbours(row_length))


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
