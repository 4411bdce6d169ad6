"""Layer-by-layer disentanglement of a representation, on host numpy / scikit-learn.

For a layer's features (N, H) of N distinct inputs:
  linear_probe_accuracy   held-out accuracy of a standardised logistic regression: how linearly
                          separable the classes are at this layer,
  collapse_fraction       fraction of inputs glued to another input (a ReLU layer can map a whole
                          half-space to one point; an injective layer such as LeakyReLU cannot),
  numerical_rank          dimension of the affine span of the representation,
  class_separation_ratio  mean between-class / mean within-class pairwise distance.
"""

from __future__ import annotations

import numpy as np
import scipy.spatial.distance
import sklearn.linear_model
import sklearn.model_selection
import sklearn.neighbors
import sklearn.pipeline
import sklearn.preprocessing

DEFAULT_MAX_SEPARATION_POINTS = 2000


def linear_probe_accuracy(features: np.ndarray, labels: np.ndarray, seed: int,
                          test_fraction: float = 0.3) -> float:
  """Held-out accuracy of StandardScaler + LogisticRegression on a stratified split seeded by `seed`."""
  x = _as_2d(features)
  y = np.asarray(labels).reshape(-1)
  if len(x) != len(y):
    raise ValueError(f"{len(x)} feature rows but {len(y)} labels")
  x_tr, x_te, y_tr, y_te = sklearn.model_selection.train_test_split(
      x, y, test_size=test_fraction, stratify=y, random_state=seed)
  classes, counts = np.unique(y_tr, return_counts=True)
  majority = classes[np.argmax(counts)]
  # A dead layer (all features constant) carries no information: the best a probe can do is guess
  # the majority class. LogisticRegression also refuses a single-class training set.
  if len(classes) < 2 or np.all(np.ptp(x_tr, axis=0) == 0):
    return float(np.mean(y_te == majority))
  probe = sklearn.pipeline.make_pipeline(
      sklearn.preprocessing.StandardScaler(),
      sklearn.linear_model.LogisticRegression(max_iter=2000, random_state=seed))
  probe.fit(x_tr, y_tr)
  return float(probe.score(x_te, y_te))


def collapse_fraction(features: np.ndarray, tol: float) -> float:
  """Fraction of inputs whose features lie within `tol` (max-abs / Chebyshev) of another input's.

  Inputs are assumed distinct, so any such coincidence is a collapse made by the network.
  """
  x = _as_2d(features)
  if len(x) < 2:
    return 0.0
  tree = sklearn.neighbors.KDTree(x, metric="chebyshev")
  # Every point is within tol of itself, so a count above 1 means a distinct input coincides.
  counts = tree.query_radius(x, r=tol, count_only=True)
  return float(np.mean(counts > 1))


def numerical_rank(features: np.ndarray, rtol: float = 1e-6) -> int:
  """Rank of the centred features: singular values above rtol * the largest one.

  Centring makes this the dimension of the affine span, so a constant offset (a bias) does not add
  one: a layer mapping every input to one point has rank 0, a line has rank 1.
  """
  x = _as_2d(features).astype(np.float64)
  centred = x - x.mean(axis=0, keepdims=True)
  s = np.linalg.svd(centred, compute_uv=False)
  if s.size == 0 or s[0] == 0:
    return 0
  return int(np.sum(s > rtol * s[0]))


def class_separation_ratio(features: np.ndarray, labels: np.ndarray,
                           max_points: int = DEFAULT_MAX_SEPARATION_POINTS, seed: int = 0) -> float:
  """Mean Euclidean distance over pairs from different classes / over distinct pairs of one class.

  > 1: classes are further apart than their own spread; about 1: classes are mixed. Above
  `max_points`, a subsample drawn by np.random.default_rng(seed) without replacement is used
  (the pairwise distance matrix is quadratic). Returns inf when every within-class distance is 0
  and some between-class distance is not (fully collapsed, separated classes), nan with one class.
  """
  x = _as_2d(features).astype(np.float64)
  y = np.asarray(labels).reshape(-1)
  if len(x) != len(y):
    raise ValueError(f"{len(x)} feature rows but {len(y)} labels")
  if len(x) > max_points:
    idx = np.sort(np.random.default_rng(seed).choice(len(x), size=max_points, replace=False))
    x, y = x[idx], y[idx]
  if len(np.unique(y)) < 2:
    return float("nan")
  d = scipy.spatial.distance.squareform(scipy.spatial.distance.pdist(x))
  same = y[:, None] == y[None, :]
  off_diag = ~np.eye(len(y), dtype=bool)
  within = d[same & off_diag]
  between = d[~same]
  if within.size == 0:
    return float("nan")  # every class has one point: no within-class spread to compare to
  w, b = within.mean(), between.mean()
  if w == 0:
    return float("inf") if b > 0 else float("nan")
  return float(b / w)


def _as_2d(features: np.ndarray) -> np.ndarray:
  """(N,) -> (N, 1); (N, H) unchanged."""
  x = np.asarray(features)
  if x.ndim == 1:
    return x[:, None]
  if x.ndim != 2:
    raise ValueError(f"features must be (N, H), got shape {x.shape}")
  return x
