"""Disentanglement metrics on representations whose answer is known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from research.metrics import separability as sep


def _relu(z):
  return np.maximum(z, 0.0)


def _square(seed, n=1000):
  return np.random.default_rng(seed).uniform(-1, 1, (n, 2))


def test_relu_collapses_a_half_plane_to_a_point():
  x = _square(0)
  features = _relu(x @ np.array([[1.0], [0.0]]))  # one unit, w = (1, 0)
  expected = np.count_nonzero(x[:, 0] < 0) / len(x)  # every x < 0 maps to 0; x > 0 stay distinct
  assert 0.4 < expected < 0.6
  assert sep.collapse_fraction(features, tol=1e-9) == expected
  assert sep.numerical_rank(features) == 1
  # LeakyReLU is injective: nothing collapses.
  leaky = np.where(x @ np.array([[1.0], [0.0]]) > 0, x[:, :1], 0.2 * x[:, :1])
  assert sep.collapse_fraction(leaky, tol=1e-9) == 0.0


def test_collapse_tolerance_is_max_abs():
  f = np.array([[0.0, 0.0], [0.09, 0.09], [1.0, 1.0], [1.0, 1.2]])
  # Points 0 and 1 are 0.09 apart in max-abs (0.127 Euclidean); 2 and 3 are 0.2 apart.
  assert sep.collapse_fraction(f, tol=0.1) == 0.5
  assert sep.collapse_fraction(f, tol=0.05) == 0.0
  assert sep.collapse_fraction(f, tol=0.25) == 1.0
  assert sep.collapse_fraction(f[:1], tol=1.0) == 0.0


def test_numerical_rank_by_hand():
  x = _square(1)
  # Units (1,0) and (2,0): relu(2 x1) = 2 relu(x1), so the two features are proportional: rank 1.
  assert sep.numerical_rank(_relu(x @ np.array([[1.0, 2.0], [0.0, 0.0]]))) == 1
  # Units (1,0) and (-1,0): relu(x1) and relu(-x1) are not affinely related (their difference is x1,
  # their sum |x1|): rank 2, although the input direction x2 is lost.
  assert sep.numerical_rank(_relu(x @ np.array([[1.0, -1.0], [0.0, 0.0]]))) == 2
  # Three units (1,0), (0,1), (1,1): linearly the third is the sum of the first two (rank 2); the
  # ReLU breaks that dependence (rank 3).
  w = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
  assert sep.numerical_rank(x @ w) == 2
  assert sep.numerical_rank(_relu(x @ w)) == 3
  # A dead layer: every input maps to one point, rank 0 (centring removes the constant offset).
  dead = _relu(x @ np.array([[1.0, 1.0], [1.0, 1.0]]) - 5.0) + 3.0
  assert sep.numerical_rank(dead) == 0
  assert sep.collapse_fraction(dead, tol=1e-9) == 1.0
  # rtol is relative to the largest singular value: a 1e-8 direction counts only with a smaller rtol.
  thin = np.c_[x[:, 0], 1e-8 * x[:, 1]]
  assert sep.numerical_rank(thin) == 1
  assert sep.numerical_rank(thin, rtol=1e-10) == 2


def test_linear_probe_separable_blobs_and_xor():
  rng = np.random.default_rng(2)
  n = 400
  y = np.repeat([0, 1], n // 2)
  blobs = rng.normal(0, 0.5, (n, 2)) + np.where(y[:, None] == 1, 3.0, -3.0)
  assert sep.linear_probe_accuracy(blobs, y, seed=0) >= 0.98
  corners = rng.choice([-1.0, 1.0], size=(n, 2))
  xor = corners + rng.normal(0, 0.2, (n, 2))
  y_xor = (corners[:, 0] * corners[:, 1] > 0).astype(int)
  assert abs(sep.linear_probe_accuracy(xor, y_xor, seed=0) - 0.5) <= 0.15
  # The product feature makes XOR linearly separable: the probe must then see it.
  lifted = np.c_[xor, xor[:, 0] * xor[:, 1]]
  assert sep.linear_probe_accuracy(lifted, y_xor, seed=0) >= 0.95


def test_linear_probe_constant_features_returns_majority_rate():
  y = np.r_[np.zeros(70, int), np.ones(30, int)]
  acc = sep.linear_probe_accuracy(np.zeros((100, 4)), y, seed=0)
  assert acc == pytest.approx(0.7, abs=0.02)  # stratified 30-point test set: 21 of 30
  assert sep.linear_probe_accuracy(np.full(100, 2.5), y, seed=1) == pytest.approx(0.7, abs=0.02)


def test_class_separation_ratio():
  rng = np.random.default_rng(3)
  a, b = rng.normal(0, 1, (300, 5)), rng.normal(0, 1, (300, 5))
  y = np.r_[np.zeros(300, int), np.ones(300, int)]
  assert sep.class_separation_ratio(np.r_[a, b], y) == pytest.approx(1.0, abs=0.1)
  far = sep.class_separation_ratio(np.r_[a, b + 20.0], y)
  assert far > 5.0
  # Subsampling above max_points is deterministic and close to the full value.
  sub = sep.class_separation_ratio(np.r_[a, b + 20.0], y, max_points=200, seed=4)
  assert sub == sep.class_separation_ratio(np.r_[a, b + 20.0], y, max_points=200, seed=4)
  assert sub == pytest.approx(far, rel=0.15)


def test_class_separation_ratio_by_hand():
  # Class 0 at 0 and 1, class 1 at 10 and 11 (1-D): within pairs 1, 1; between 10, 11, 9, 10.
  f = np.array([0.0, 1.0, 10.0, 11.0])
  y = np.array([0, 0, 1, 1])
  assert sep.class_separation_ratio(f, y) == pytest.approx(10.0)
  assert sep.class_separation_ratio(np.array([0.0, 0.0, 1.0, 1.0]), y) == float("inf")
  assert np.isnan(sep.class_separation_ratio(f, np.zeros(4, int)))
  with pytest.raises(ValueError):
    sep.class_separation_ratio(f, y[:3])
