"""Betti numbers of point clouds, computed the way Naitzat, Zhitnikov, Lim (JMLR 2020) did.

For a point cloud X (a class's points at one layer):
  1. build an unweighted k-nearest-neighbour graph and symmetrise it (i ~ j when either is among
     the other's k nearest neighbours),
  2. take hop-count distances on that graph (disconnected pairs get a finite value above the scale),
  3. build the Vietoris-Rips complex of that metric at ONE fixed scale (in hops) and read off its
     Betti numbers with ripser: Betti_k = #points of the dimension-k diagram with birth <= s < death.

Hop distances make the result invariant to how much a layer stretches or shrinks space, which is
why Naitzat et al. used them: a layer that scales everything by 100 leaves the graph unchanged.

Defaults used by the topology study: DEFAULT_K = 14 neighbours (Naitzat used k about 14) and
DEFAULT_SCALE = 3 hops. Scale 1 is the clique complex of the kNN graph and keeps many small spurious
1-cycles from sampling noise (a uniform disk of 300 points reads b1 = 1..6); scale 2 still leaves
spurious 2-cycles on a sphere sample (b2 = 2 or 3 in 3 of 5 samples of 300 points); at scale 3 all
the synthetic shapes of tests/test_topology.py (circle, two circles, disk, nine disks, square with
nine holes, sphere, solid torus) give their true Betti numbers in 20 of 20 random samples. A hole
survives only if it is several hops across, so the square with nine holes needs about 1000 points
(600 points read b1 = 3..5). Betti numbers depend on k, scale and sampling density: compare them
only at equal k, scale and point count.

Cost. The Rips complex at scale s is the flag (clique) complex of the graph G_s joining points at
most s hops apart. Ripser's cost grows fast with the clique sizes of G_s (dimension 2 needs all
3-simplices), and hidden-layer clouds in 15-50 dimensions have kNN graphs of small hop diameter, so
G_s is nearly complete: without reduction 300 Gaussian points in R^15 take ~30 s with max_dim=2.
Two reductions:
  * Strong collapse (exact): a vertex v whose closed neighbourhood in G_s lies inside that of a
    neighbour u is "dominated"; deleting it from a flag complex is a strong collapse, which keeps
    the homotopy type (Boissonnat, Pritam, Pareek, "Strong collapse for persistence", ESA 2018), so
    Betti numbers are unchanged. A near-complete G_s collapses to a handful of vertices.
  * Subsampling (approximate): clouds larger than `max_points` are subsampled without replacement
    by np.random.default_rng(seed), so the same (cloud, max_points, seed) always gives the same
    subsample. Subsampling lowers the density, so keep max_points equal across compared clouds.
Measured at k=14, scale 3 on two shared CPU cores: 300 points of any test shape, or of a 15-D
Gaussian, take 0.02-0.5 s with max_dim 1 or 2. The collapse does not help where G_s is neither
sparse nor nearly complete, and max_dim 2 then explodes: a 3-D ball of 1000 points ~6 s, 500
Gaussian points in R^4 ~40 s, 1000 points in R^4..R^6 over a minute; 300 points in R^15 at scale 2
(not 3) ~100 s, so the cost is not monotone in the scale. With max_dim 2 keep max_points at a few
hundred; max_dim 1 takes 1-10 s for 1000 points (worst for Gaussian clouds in R^4..R^6).
"""

from __future__ import annotations

import numpy as np
import ripser
import scipy.sparse.csgraph
import sklearn.neighbors

DEFAULT_K = 14
DEFAULT_SCALE = 3.0
DEFAULT_MAX_POINTS = 1000


def subsample(points: np.ndarray, max_points: int | None, seed: int) -> np.ndarray:
  """Deterministic subsample of at most `max_points` rows (np.random.default_rng(seed), no replacement)."""
  points = np.asarray(points)
  if max_points is None or len(points) <= max_points:
    return points
  idx = np.random.default_rng(seed).choice(len(points), size=max_points, replace=False)
  return points[np.sort(idx)]  # sorted keeps the original order, so results don't hinge on it


def hop_distances(points: np.ndarray, k: int) -> np.ndarray:
  """Hop counts on the symmetrised unweighted k-NN graph; unreachable pairs are np.inf."""
  n = len(points)
  graph = sklearn.neighbors.kneighbors_graph(points, n_neighbors=min(k, n - 1),
                                             mode="connectivity", include_self=False)
  graph = graph.maximum(graph.T)
  return scipy.sparse.csgraph.shortest_path(graph, method="D", directed=False, unweighted=True)


def dominated_vertex_collapse(adjacency: np.ndarray) -> np.ndarray:
  """Indices of vertices left after repeatedly deleting dominated vertices of the flag complex.

  adjacency is a symmetric boolean (N, N) matrix with a True diagonal (closed neighbourhoods).
  v is dominated by a neighbour u != v when N[v] is a subset of N[u]. Each pass finds the dominated
  pairs once and then deletes vertices one at a time, each only while a dominator is still
  present: deleting other vertices keeps N[v] inside N[u] within what remains, so every deletion
  is a strong collapse of the complex left by the previous ones. (Twins, N[u] == N[v], dominate
  each other; the second of a pair is kept because its dominator is already gone.)
  """
  alive = np.arange(len(adjacency))
  while len(alive) > 1:
    a = adjacency[np.ix_(alive, alive)]
    af = a.astype(np.float32)  # counts <= N < 2**24 are exact in float32; BLAS is much faster
    common = af @ af.T  # |N[v] & N[u]|
    dominated_by = (common == a.sum(axis=1)[:, None]) & a
    np.fill_diagonal(dominated_by, False)
    removed = np.zeros(len(alive), bool)
    for v in np.flatnonzero(dominated_by.any(axis=1)):
      if np.any(dominated_by[v] & ~removed):
        removed[v] = True
    if not removed.any():
      break
    alive = alive[~removed]
  return alive


def betti_numbers(points: np.ndarray, k: int, scale: float, max_dim: int = 1,
                  max_points: int | None = DEFAULT_MAX_POINTS, seed: int = 0,
                  collapse: bool = True) -> tuple[int, ...]:
  """Betti numbers (b0, ..., b_max_dim) of the Rips complex at `scale` hops on the k-NN graph.

  collapse=False skips the (exact) strong collapse; it exists to check that the collapse is exact.
  """
  points = np.asarray(points, dtype=np.float64)
  if points.ndim != 2:
    raise ValueError(f"points must be (N, D), got shape {points.shape}")
  if k < 1 or scale < 0 or max_dim < 0:
    raise ValueError(f"need k >= 1, scale >= 0, max_dim >= 0; got k={k}, scale={scale}, max_dim={max_dim}")
  n = len(points)
  if n == 0:
    return (0,) * (max_dim + 1)
  if n == 1:
    return (1,) + (0,) * max_dim
  points = subsample(points, max_points, seed)
  dist = hop_distances(points, k)
  if collapse:
    keep = dominated_vertex_collapse(dist <= scale)
    dist = dist[np.ix_(keep, keep)]
  # Any finite value above the scale works: with thresh=scale ripser never adds those edges.
  dist[~np.isfinite(dist)] = scale + 1.0
  # thresh=scale truncates the filtration at the scale, so classes alive there end with death=inf
  # and ripser never builds the (much larger) complexes beyond it.
  dgms = ripser.ripser(dist, distance_matrix=True, maxdim=max_dim, thresh=scale)["dgms"]
  return tuple(int(np.sum((d[:, 0] <= scale) & (d[:, 1] > scale))) for d in dgms)


def betti_per_layer(layer_points: list[np.ndarray], labels: np.ndarray, k: int, scale: float,
                    max_dim: int, max_points: int | None, seed: int) -> list[dict[int, tuple[int, ...]]]:
  """For each layer's (N, H) representation, the Betti numbers of every class's points."""
  labels = np.asarray(labels).reshape(-1)
  classes = [int(c) for c in np.unique(labels)]
  out = []
  for layer, pts in enumerate(layer_points):
    pts = np.asarray(pts)
    if len(pts) != len(labels):
      raise ValueError(f"layer {layer} has {len(pts)} points but there are {len(labels)} labels")
    # Same seed for every layer: each layer sees the same subsample of the same inputs.
    out.append({c: betti_numbers(pts[labels == c], k, scale, max_dim, max_points, seed) for c in classes})
  return out


def layers_to_trivial(betti_by_layer: list[dict[int, tuple[int, ...]]],
                      target: tuple[int, ...] = (1, 0)) -> int | None:
  """First layer index where every class has Betti numbers `target` (padded with zeros); else None."""
  for layer, by_class in enumerate(betti_by_layer):
    if all(_pad(b, len(target)) == _pad(target, len(b)) for b in by_class.values()):
      return layer
  return None


def _pad(betti: tuple[int, ...], n: int) -> tuple[int, ...]:
  """Pads with zeros to length n, so (1, 0) and (1, 0, 0) compare equal."""
  return tuple(betti) + (0,) * max(0, n - len(betti))
