"""Betti numbers of synthetic shapes with known topology (Naitzat-style kNN hop-distance Rips)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from research.metrics import topology as T

K, S = T.DEFAULT_K, T.DEFAULT_SCALE


def _circle(rng, n, radius=1.0, noise=0.03, centre=(0.0, 0.0)):
  t = rng.uniform(0, 2 * np.pi, n)
  return np.c_[radius * np.cos(t), radius * np.sin(t)] + np.asarray(centre) + rng.normal(0, noise, (n, 2))


def _disk(rng, n, radius=1.0, centre=(0.0, 0.0)):
  t = rng.uniform(0, 2 * np.pi, n)
  r = radius * np.sqrt(rng.uniform(0, 1, n))  # sqrt: uniform in area
  return np.c_[r * np.cos(t), r * np.sin(t)] + np.asarray(centre)


def _grid_centres(spacing=2.0):
  g = np.array([-1.0, 0.0, 1.0]) * spacing
  return np.array([(a, b) for a in g for b in g])


def _square_with_holes(rng, n, radius=0.6, half=3.0):
  """Uniform points of [-half, half]^2 minus nine disks of `radius` on a 3x3 grid (rejection)."""
  centres = _grid_centres()
  x = rng.uniform(-half, half, (4 * n, 2))
  keep = np.min(np.linalg.norm(x[:, None] - centres[None], axis=-1), axis=1) > radius
  assert keep.sum() >= n
  return x[keep][:n]


def _sphere(rng, n):
  x = rng.normal(size=(n, 3))
  return x / np.linalg.norm(x, axis=1, keepdims=True)


def _solid_torus(rng, n, big=2.0, small=0.5):
  """Uniform-ish points of a thick ring: core circle of radius `big`, tube of radius `small`."""
  t, p = rng.uniform(0, 2 * np.pi, (2, n))
  r = small * np.sqrt(rng.uniform(0, 1, n))
  ring = big + r * np.cos(p)
  return np.c_[ring * np.cos(t), ring * np.sin(t), r * np.sin(p)]


SHAPES = {
    "circle": (lambda r: _circle(r, 200), 1, (1, 1)),
    "two_circles": (lambda r: np.r_[_circle(r, 200), _circle(r, 200, centre=(3.0, 0.0))], 1, (2, 2)),
    "disk": (lambda r: _disk(r, 300), 1, (1, 0)),
    "nine_disks": (lambda r: np.concatenate([_disk(r, 40, 0.6, c) for c in _grid_centres()]), 1, (9, 0)),
    "square_nine_holes": (lambda r: _square_with_holes(r, 1000), 1, (1, 9)),
    "sphere": (lambda r: _sphere(r, 300), 2, (1, 0, 1)),
    "solid_torus": (lambda r: _solid_torus(r, 400), 2, (1, 1, 0)),
}


@pytest.mark.parametrize("name", SHAPES)
def test_known_shapes(name):
  make, max_dim, want = SHAPES[name]
  for seed in range(2):
    assert T.betti_numbers(make(np.random.default_rng(seed)), K, S, max_dim) == want, (name, seed)


def test_wrong_scale_sees_spurious_holes():
  # The tests above can fail: at scale 1 (the clique complex of the kNN graph) sampling noise in a
  # disk leaves small 1-cycles that the default scale fills.
  disk = _disk(np.random.default_rng(0), 300)
  assert T.betti_numbers(disk, K, 1.0)[1] > 0
  assert T.betti_numbers(disk, K, S) == (1, 0)


def test_invariant_to_rescaling_and_translation():
  x = _circle(np.random.default_rng(1), 200)
  assert T.betti_numbers(1e3 * x + 7.0, K, S) == T.betti_numbers(x, K, S) == (1, 1)


def test_strong_collapse_is_exact():
  rng = np.random.default_rng(2)
  clouds = [_circle(rng, 150, noise=0.1), _sphere(rng, 150), np.round(rng.normal(size=(150, 2)), 1),
            np.maximum(rng.normal(size=(150, 3)) @ rng.normal(size=(3, 5)), 0.0)]
  for x in clouds:
    for k, s in [(5, 1.0), (8, 2.0), (K, S)]:
      assert T.betti_numbers(x, k, s, 2) == T.betti_numbers(x, k, s, 2, collapse=False)


def test_collapse_of_complete_graph_and_cycle():
  assert len(T.dominated_vertex_collapse(np.ones((6, 6), bool))) == 1
  n = 8  # a cycle graph: no vertex is dominated
  a = np.eye(n, dtype=bool) | np.roll(np.eye(n, dtype=bool), 1, 1) | np.roll(np.eye(n, dtype=bool), -1, 1)
  assert len(T.dominated_vertex_collapse(a)) == n


def test_high_dimensional_cloud_is_fast():
  # Hidden layers give clouds whose kNN graph has a small hop diameter; without the collapse this
  # takes ~30 s with max_dim=2.
  x = np.random.default_rng(3).normal(size=(300, 15))
  start = time.perf_counter()
  assert T.betti_numbers(x, K, S, 2) == (1, 0, 0)
  assert time.perf_counter() - start < 5.0


def test_subsampling_is_deterministic():
  x = _circle(np.random.default_rng(4), 500)
  a = T.subsample(x, 200, seed=5)
  np.testing.assert_array_equal(a, T.subsample(x, 200, seed=5))
  assert len(a) == 200 and not np.array_equal(a, T.subsample(x, 200, seed=6))
  assert T.subsample(x, None, 0) is x or np.array_equal(T.subsample(x, None, 0), x)
  assert T.betti_numbers(x, K, S, max_points=200, seed=5) == (1, 1)


def test_degenerate_inputs():
  assert T.betti_numbers(np.zeros((0, 2)), K, S, 2) == (0, 0, 0)
  assert T.betti_numbers(np.zeros((1, 2)), K, S) == (1, 0)
  assert T.betti_numbers(np.zeros((50, 3)), K, S, 2) == (1, 0, 0)  # all points glued together
  with pytest.raises(ValueError):
    T.betti_numbers(np.zeros(5), K, S)


def test_betti_per_layer_and_layers_to_trivial():
  rng = np.random.default_rng(6)
  x = np.r_[_circle(rng, 200), _disk(rng, 200, 0.3, (4.0, 0.0))]
  labels = np.r_[np.zeros(200, int), np.ones(200, int)]
  w = np.array([[1.0, 0.5], [-0.3, 1.2]])  # invertible: tanh(x W) is a homeomorphism onto its image
  layers = [x, np.tanh(0.5 * x @ w), np.maximum(x[:, :1] - 2.0, 0.0)]  # last: 1-D, not injective
  betti = T.betti_per_layer(layers, labels, K, S, 1, None, 0)
  assert betti[0] == betti[1] == {0: (1, 1), 1: (1, 0)}
  assert betti[2] == {0: (1, 0), 1: (1, 0)}
  assert T.layers_to_trivial(betti) == 2
  assert T.layers_to_trivial(betti[:2]) is None
  assert T.layers_to_trivial([{0: (1, 0, 0)}], target=(1, 0)) == 0
  with pytest.raises(ValueError):
    T.betti_per_layer([x[:10]], labels, K, S, 1, None, 0)


def test_naitzat_d1_reads_its_betti_numbers_at_the_study_setting():
  # The paper's D-I: the disks (9, 0), the square with nine holes (1, 9). configs/topology.py reads
  # them with Naitzat's kNN graph (13 neighbours besides the point itself) and Rips scale (2 hops)
  # at 600 points per class; at k = 13 and 3 hops the holes fill in (a check with teeth).
  import jax

  from configs.topology import get_config
  from research.datasets import make_dataset
  e = get_config().eval
  assert (e.betti_k, e.betti_scale, e.betti_max_points) == (13, 2.0, 600)
  filled = 0
  for seed in range(3):
    ds = make_dataset("d1", jax.random.key(seed), num_train_per_class=600, num_test_per_class=10)
    disks, square = (ds.x_train[ds.y_train == c] for c in (0, 1))
    assert T.betti_numbers(disks, 13, 2.0, max_points=600) == (9, 0)
    assert T.betti_numbers(square, 13, 2.0, max_points=600) == (1, 9)
    filled += T.betti_numbers(square, 13, 3.0, max_points=600)[1] < 9
  assert filled >= 2
