"""Array helpers of edge_subdivision.subdivide: edges cut into chains, chords, faces by sign words.

`chains` cuts segments at the vertices on them into consecutive sub-edges; `paired` pairs the
two crossings of a line with the boundary of each face into a chord (or says that a key does not
occur exactly twice: not general position); `pack` / `unpack` store which side of every line a
vertex lies on as uint64 words; `unique_rows` groups the sides of edges into faces by (layer-start
face, sign words) with one 64-bit hash sort, verified row by row; `patterns_of` rebuilds the
faces' activation patterns from each layer's sign words, on first use.
"""

from __future__ import annotations

import numpy as np


def _by_segment_then_key(seg, key, n):
  """np.lexsort((key, seg)) for segment ids below n: where they fit 16 bits, a sort by key then
  a stable one by segment, which numpy does by radix for 16-bit keys (about twice as fast)."""
  if n > 1 << 16:
    return np.lexsort((key, seg))
  by_key = np.argsort(key)
  return by_key[np.argsort(seg[by_key].astype(np.uint16), kind="stable")]


def chains(start, end, seg, key, vid):
  """Sub-edges of segments start[g] -> end[g] through interior vertices vid (on segment seg, at
  position key along it): (a, b, segment) of every piece, in order along each segment."""
  n = len(start)
  order = _by_segment_then_key(seg, key, n)
  g, v = seg[order], vid[order]
  first = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, bool)
  last = np.r_[g[1:] != g[:-1], True] if len(g) else np.zeros(0, bool)
  prev = np.where(first, start[g], np.r_[np.int64(0), v[:-1]] if len(v) else v)
  bare = np.flatnonzero(np.bincount(seg, minlength=n) == 0)
  a = np.concatenate([prev, v[last], start[bare]])
  b = np.concatenate([v, end[g[last]], end[bare]])
  return a, b, np.concatenate([g, g[last], bare])


def paired(keys: np.ndarray, values: np.ndarray):
  """Keys that must each occur exactly twice: (sorted distinct keys, first value, second value),
  or None if some key does not occur exactly twice."""
  # Not a stable sort (5x slower): which crossing of a pair comes first only orients the chord.
  order = np.argsort(keys)
  k, v = keys[order], values[order]
  if len(k) % 2 or (k[0::2] != k[1::2]).any() or (k[2::2] == k[1:-1:2]).any():
    return None
  return k[0::2], v[0::2], v[1::2]


def pack(bits: np.ndarray) -> np.ndarray:
  """Bool rows (n, L) as uint64 words (n, ceil(L / 64)), bit i of word w is column 64 w + i."""
  words = np.packbits(bits, axis=1, bitorder="little")
  pad = (-words.shape[1]) % 8
  if pad:
    words = np.pad(words, ((0, 0), (0, pad)))
  return np.ascontiguousarray(words).view(np.uint64)


def unpack(words: np.ndarray, L: int) -> np.ndarray:
  """The inverse of pack: bool rows (n, L)."""
  u8 = np.ascontiguousarray(words).view(np.uint8)
  return np.unpackbits(u8, axis=1, count=L, bitorder="little").astype(bool)


_HASH = np.random.default_rng(20230714).integers(1, 2 ** 63, 65, dtype=np.uint64) | np.uint64(1)


def unique_rows(f0: np.ndarray, words: np.ndarray):
  """Group rows by (f0, words): (group of each row, first row of each group, number of groups)."""
  # One sort by a 64-bit hash, then every row is compared with its neighbour in that order: exact
  # (on a collision, which has never been seen, the rows are sorted by all their words instead).
  if words.shape[1] < len(_HASH):
    with np.errstate(over="ignore"):
      key = f0.astype(np.uint64) * _HASH[-1]
      for i in range(words.shape[1]):
        key += (words[:, i] ^ (words[:, i] >> np.uint64(29))) * _HASH[i]
    order = np.argsort(key)
    ko = key[order]
    new = np.empty(len(ko), bool)
    new[:1] = True
    np.not_equal(ko[1:], ko[:-1], out=new[1:])
    # Rows of one hash, consecutive in this order, must have the same face and words: a change of
    # either between neighbours implies a change of hash (bool >: a change where the hash is equal).
    sorted_columns = (c[order] for c in [f0] + [words[:, i] for i in range(words.shape[1])])
    if not any(np.greater(c[1:] != c[:-1], new[1:]).any() for c in sorted_columns):
      gid = np.empty(len(f0), np.int64)
      gid[order] = np.cumsum(new) - 1
      return gid, order[new], int(new.sum())
  order = np.lexsort(tuple(words[:, i] for i in range(words.shape[1])) + (f0,))
  fo, wo = f0[order], words[order]
  new = np.r_[True, (fo[1:] != fo[:-1]) | (wo[1:] != wo[:-1]).any(1)]
  gid = np.empty(len(f0), np.int64)
  gid[order] = np.cumsum(new) - 1
  return gid, order[new], int(new.sum())


def patterns_of(hist, F: int, nb: int, faces: np.ndarray | None = None) -> np.ndarray:
  """Patterns (F, units) of the faces after the layers in hist (or only of `faces`), from each
  layer's sign words."""
  idx, cols = (np.arange(F) if faces is None else faces), []
  for anc, words, h in reversed(hist):
    if words is None:
      cols.append(np.zeros((len(idx), h), np.int8))
    else:
      bits = unpack(words[idx], h * nb)
      cols.append((bits if nb == 1 else bits.reshape(-1, h, nb).sum(2)).astype(np.int8))
    idx = anc[idx]
  return np.concatenate(cols[::-1], 1) if cols else np.zeros((len(idx), 0), np.int8)
