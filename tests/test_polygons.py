"""Tests of research.metrics.polygons: padded convex-polygon geometry."""

import numpy as np

from research.metrics import polygons as G


def _square_and_triangle():
  P = np.array([[[0.0, 0], [2, 0], [2, 2], [0, 2]], [[0.0, 0], [1, 0], [0, 1], [0, 0]]])
  return P, np.array([4, 3])


def test_areas_perimeters_centroids():
  P, nv = _square_and_triangle()
  np.testing.assert_allclose(G.areas(P, nv), [4.0, 0.5])
  np.testing.assert_allclose(G.perimeters(P, nv), [8.0, 2 + np.sqrt(2)])
  np.testing.assert_allclose(G.centroids(P, nv), [[1, 1], [1 / 3, 1 / 3]])
  np.testing.assert_array_equal(G.next_index(nv, 4), [[1, 2, 3, 0], [1, 2, 0, 0]])


def test_big_enough_takes_area_or_thickness():
  P, nv = _square_and_triangle()
  np.testing.assert_array_equal(G.big_enough(P, nv, 1.0, 1.0), [True, False])
  np.testing.assert_array_equal(G.big_enough(P, nv, 1.0, 0.1), [True, True])  # 0.5/3.41 >= 0.1
  np.testing.assert_array_equal(G.big_enough(P[:1] * [1, 1e-14], nv[:1], 1e-12, 1e-11), [False])


def test_clip_splits_a_square_and_keeps_orientation():
  P, nv = _square_and_triangle()
  f = P[..., 0] - 0.5  # the line x = 0.5
  (Pp, npos), (Pn, nneg) = G.clip(P, nv, f, np.full(2, 1e-12))
  np.testing.assert_allclose(G.areas(Pp, npos), [3.0, 0.125])
  np.testing.assert_allclose(G.areas(Pn, nneg), [1.0, 0.375])
  # On-line vertices go to both sides, no crossing is made at them.
  g = P[..., 0] - 2.0
  (Q, nq), = G.clip(P[:1], nv[:1], g[:1], np.full(1, 1e-12), sides=(-1,))
  assert nq[0] == 4 and np.isclose(G.areas(Q, nq)[0], 4.0)
