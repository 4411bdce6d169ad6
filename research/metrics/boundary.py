"""Decision-region quality on a 2-D grid, on the host (numpy, scipy, scikit-learn, contourpy).

The grid predictions come from a jitted model elsewhere; this module only reads arrays.

Grid convention (make_grid): domain is (2, 2), [[x_low, x_high], [y_low, y_high]] (one row per
input dimension, as Dataset.domain). The grid has R x R cells; values are taken at cell centres.
A grid array g of shape (R, R) is indexed g[i, j] with row i <-> y (row 0 at y_low) and column j <->
x (column 0 at x_low), i.e. np.meshgrid(xs, ys, indexing="xy"); the flat points are row-major, so
g.ravel() lines up with the points. Show it with imshow(g, origin="lower", extent=...).

Region topology uses the standard digital-topology pairing (Rosenfeld): 8-connectivity for the
region and 4-connectivity for its complement. Take a ring of pixels touching only diagonally:
with 4/4 the ring falls apart into single pixels, yet the pixels inside are cut off from the outside;
with 8/8 the ring is one closed curve, yet the complement leaks out through its diagonal gaps. The
mixed pairing is the one for which a closed curve has exactly one inside and one outside (the
digital Jordan curve theorem), so component and hole counts are consistent. The same pairing is
used for every class, so where two classes touch only diagonally (a 2x2 checkerboard) both count as
connected across the corner and their counts need not be dual to each other; on grids fine enough
to resolve a decision boundary this is rare.
A hole is a component of the complement that does not touch the grid border: a region cut by the
edge of the domain does not enclose what lies beyond the edge.
"""

from __future__ import annotations

import warnings
from typing import Callable

import contourpy
import numpy as np
import scipy.ndimage
import scipy.special
import sklearn.metrics
import sklearn.neighbors

EIGHT = np.ones((3, 3), dtype=bool)
FOUR = scipy.ndimage.generate_binary_structure(2, 1)


def make_grid(domain: np.ndarray, resolution: int) -> tuple[np.ndarray, tuple[int, int]]:
  """(R*R, 2) cell centres of an R x R grid over domain, row-major (row <-> y), and (R, R)."""
  xs, ys = grid_axes(domain, resolution)
  gx, gy = np.meshgrid(xs, ys, indexing="xy")
  return np.stack([gx.ravel(), gy.ravel()], axis=1), (resolution, resolution)


def grid_axes(domain: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
  """Cell-centre coordinates along x (columns) and y (rows)."""
  domain = np.asarray(domain, dtype=np.float64)
  if domain.shape != (2, 2):
    raise ValueError(f"domain must be [[x_low, x_high], [y_low, y_high]], got shape {domain.shape}")
  if resolution < 1:
    raise ValueError(f"resolution must be >= 1, got {resolution}")
  centres = (np.arange(resolution) + 0.5) / resolution
  (x0, x1), (y0, y1) = domain
  return x0 + (x1 - x0) * centres, y0 + (y1 - y0) * centres


def grid_agreement(pred_labels: np.ndarray, truth_labels: np.ndarray) -> float:
  """Fraction of grid cells where the prediction equals the ground truth."""
  pred, truth = np.asarray(pred_labels), np.asarray(truth_labels)
  if pred.shape != truth.shape:
    raise ValueError(f"shapes differ: pred {pred.shape}, truth {truth.shape}")
  return float(np.mean(pred == truth))


def region_topology(mask: np.ndarray) -> tuple[int, int]:
  """(components, holes) of a boolean (R, R) region: 8-connected region, 4-connected complement."""
  mask = np.asarray(mask, dtype=bool)
  if mask.ndim != 2:
    raise ValueError(f"mask must be 2-D, got shape {mask.shape}")
  _, components = scipy.ndimage.label(mask, structure=EIGHT)
  background, n_background = scipy.ndimage.label(~mask, structure=FOUR)
  border = np.concatenate([background[0], background[-1], background[:, 0], background[:, -1]])
  touching = np.unique(border[border > 0])
  return int(components), int(n_background - len(touching))


def class_region_topology(pred_grid: np.ndarray, num_classes: int) -> dict[int, tuple[int, int]]:
  """{class: (components, holes)} of each class's region in an (R, R) label grid."""
  pred_grid = np.asarray(pred_grid)
  return {c: region_topology(pred_grid == c) for c in range(num_classes)}


def topology_matches(pred_topo: dict[int, tuple[int, int]], truth_topo: dict[int, tuple[int, int]]) -> bool:
  """True when every class has the same (components, holes); a missing class counts as (0, 0)."""
  classes = set(pred_topo) | set(truth_topo)
  return all(tuple(pred_topo.get(c, (0, 0))) == tuple(truth_topo.get(c, (0, 0))) for c in classes)


def accuracy_metrics(logits: np.ndarray, labels: np.ndarray) -> dict[str, float]:
  """Accuracy, balanced accuracy and mean cross-entropy (nats) of logits against integer labels.

  Binary models give logits of shape (N,) or (N, 1): the logit of class 1, predicted when > 0.
  Multi-class models give (N, C), C >= 2: argmax. The cross-entropy uses log-sigmoid / logsumexp
  forms that stay finite for logits of any size.
  """
  z = np.asarray(logits, dtype=np.float64)
  y = np.asarray(labels).reshape(-1).astype(np.int64)
  if z.ndim == 2 and z.shape[1] == 1:
    z = z[:, 0]
  if len(z) != len(y):
    raise ValueError(f"{len(z)} logits but {len(y)} labels")
  if z.ndim == 1:
    if not np.all((y == 0) | (y == 1)):
      raise ValueError("binary logits need labels in {0, 1}")
    pred = (z > 0).astype(np.int64)
    with np.errstate(invalid="ignore"):  # a diverged model's NaN logits: a NaN loss, recorded as such
      ce = np.logaddexp(0.0, z) - y * z  # -log sigmoid(z) for y = 1, -log(1 - sigmoid(z)) for y = 0
  elif z.ndim == 2:
    if y.min(initial=0) < 0 or y.max(initial=0) >= z.shape[1]:
      raise ValueError(f"labels must be in [0, {z.shape[1]}) for {z.shape[1]} logits")
    pred = np.argmax(z, axis=1)
    ce = scipy.special.logsumexp(z, axis=1) - z[np.arange(len(y)), y]
  else:
    raise ValueError(f"logits must be (N,), (N, 1) or (N, C), got shape {z.shape}")
  with warnings.catch_warnings():
    # Balanced accuracy is the mean recall over the classes in `labels`; a predicted class absent
    # from them is just a wrong prediction, not worth a warning on every evaluation.
    warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
    balanced = sklearn.metrics.balanced_accuracy_score(y, pred)
  return dict(accuracy=float(np.mean(pred == y)), balanced_accuracy=float(balanced),
              cross_entropy=float(np.mean(ce)))


def decision_contours(score_grid: np.ndarray, domain: np.ndarray, level: float = 0.0) -> list[np.ndarray]:
  """Polylines (each (P, 2) in input coordinates) where the (R, R) score grid crosses `level`.

  Pass the class-1 logit with level 0 (or the probability with level 0.5): linear interpolation of
  a smooth score places the contour to a small fraction of a cell. A hard 0/1 label grid at level
  0.5 also works but gives a jagged contour (45-degree and axis-aligned pieces) whose length is
  overestimated, by about 5% for a circle at any resolution. Contours live between the outermost
  cell centres: up to half a cell at the domain border is not seen. A closed polyline repeats its
  first point at the end.
  """
  score_grid = np.asarray(score_grid, dtype=np.float64)
  xs, ys = grid_axes(domain, score_grid.shape[1])
  if score_grid.shape != (len(ys), len(xs)) or score_grid.shape[0] != score_grid.shape[1]:
    raise ValueError(f"score grid must be square (R, R), got shape {score_grid.shape}")
  gen = contourpy.contour_generator(x=xs, y=ys, z=score_grid, line_type=contourpy.LineType.Separate)
  return [np.asarray(line) for line in gen.lines(level) if len(line) > 1]


def boundary_length_from_grid(score_grid: np.ndarray, domain: np.ndarray,
                              level: float = 0.0) -> tuple[float, int]:
  """(total length, number of polylines) of the decision contour; see decision_contours."""
  lines = decision_contours(score_grid, domain, level)
  length = sum(float(np.linalg.norm(np.diff(line, axis=0), axis=1).sum()) for line in lines)
  return length, len(lines)


def distances_to_boundary(points: np.ndarray, score_grid: np.ndarray, domain: np.ndarray,
                          level: float = 0.0) -> np.ndarray:
  """Distance of each (P, 2) point to the nearest vertex of the decision contour; inf if none.

  An estimate: contour vertices are about one cell apart, so a point at true distance d reads at
  most sqrt(d^2 + h^2 / 4) for cell size h, and the contour itself is only as good as the grid.
  """
  points = np.asarray(points, dtype=np.float64)
  lines = decision_contours(score_grid, domain, level)
  if not lines:
    return np.full(len(points), np.inf)
  tree = sklearn.neighbors.KDTree(np.concatenate(lines))
  return tree.query(points, k=1)[0][:, 0]


def margin_estimate(points: np.ndarray, score_grid: np.ndarray, domain: np.ndarray,
                    level: float = 0.0) -> dict[str, float]:
  """Mean and 10th percentile of distances_to_boundary: how far test points sit from the boundary."""
  d = distances_to_boundary(points, score_grid, domain, level)
  if len(d) == 0:
    return dict(mean=float("nan"), p10=float("nan"))
  return dict(mean=float(np.mean(d)), p10=float(np.percentile(d, 10)))


def noise_robustness(predict_fn: Callable[[np.ndarray], np.ndarray], points: np.ndarray,
                     labels: np.ndarray, sigmas: list[float], seed: int) -> np.ndarray:
  """Accuracy of predict_fn on points + sigma * z, z ~ N(0, I), for each sigma (one array).

  One z (drawn by np.random.default_rng(seed)) is shared by all sigmas: the accuracies then differ
  only through sigma, not through a new noise draw, and sigma = 0 is the clean accuracy.
  """
  points = np.asarray(points, dtype=np.float64)
  labels = np.asarray(labels).reshape(-1)
  z = np.random.default_rng(seed).standard_normal(points.shape)
  return np.array([np.mean(np.asarray(predict_fn(points + s * z)).reshape(-1) == labels)
                   for s in sigmas], dtype=np.float64)
