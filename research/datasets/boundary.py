"""Data defined by a boundary function: class 1 where a user's expression in x and y is > 0.

  data.names = ("boundary",)
  data.params = {"boundary": {"expression": "sin(3*x) - y"}}
  --config.data.names=boundary --config.data.params.boundary.expression='sin(3*x) - y'

Without an expression it is DEFAULT_EXPRESSION, a disk of radius sqrt(0.5) (the Playground's
circle data as a boundary function), so the set works alone like every other; the resolved
expression is in the data set's params.

The expression is parsed safely (research/datasets/_expression.py: numbers, x, y, pi, e,
+ - * / **, unary minus, parentheses and a whitelist of numpy functions; never `eval`). It lives in
data.params rather than in the data set spec because specs name files and its `*` and `/` do not
belong in file names; the unit hash covers data.params, so another expression is another unit.

Points are uniform in the box [-half_width, half_width]^2 (default [-1, 1]^2); class 0 where the
expression is <= 0, class 1 where it is > 0, each drawn by rejection from the box so the classes
are exactly balanced. A point's class is that of its float32 coordinates, the ones stored, so
truth(x) equals the labels exactly at noise 0. Noise is U(-1, 1) * noise per coordinate after labelling, and labels stay the
clean point's (as rings and the Playground-like sets here). Ground truth labels any point by the
sign of the expression, so the true class boundary drawn from it is the expression's zero set.

Checked before anything is generated, on a 401 x 401 grid of the box widened by the noise: the
expression is finite everywhere there (no log of a negative number), and each class covers at
least MIN_CLASS_FRACTION of the box (a sign that is constant, or almost, gives no second class).
"""

from __future__ import annotations

import functools

import jax
import numpy as np

from research.datasets import Dataset, _common, register
from research.datasets._expression import parse_expression

DEFAULT_EXPRESSION = "x**2 + y**2 - 0.5"
MIN_CLASS_FRACTION = 1e-3
_CHECK_GRID = 401


def _stored(points: np.ndarray) -> np.ndarray:
  """The points as they are stored (float32), back in float64 for the expression."""
  return np.asarray(points, np.float32).astype(np.float64)


@functools.lru_cache(maxsize=64)
def _compiled(expression: str):
  return parse_expression(expression, field="expression")


def _box_grid(half: float) -> tuple[np.ndarray, np.ndarray]:
  u = np.linspace(-half, half, _CHECK_GRID)
  return np.meshgrid(u, u)


def _check(*, expression, half_width, noise, **_) -> None:
  f = _compiled(expression)
  half = _common.check_float("half_width", half_width, low=0.0, low_open=True, high=1e6)
  x, y = _box_grid(half + noise)  # the box and what noise can reach
  values = f(x, y)
  bad = ~np.isfinite(values)
  if bad.any():
    i = np.flatnonzero(bad.ravel())[0]
    raise ValueError(f"expression {expression!r} is not finite at (x, y) = ({x.ravel()[i]:.3g}, "
                     f"{y.ravel()[i]:.3g}) of the box [-{half + noise:g}, {half + noise:g}]^2 (box "
                     "and noise); choose one defined on the whole box, or a smaller half_width")
  x, y = _box_grid(half)
  positive = float((f(x, y) > 0).mean())
  for c, share in ((0, 1.0 - positive), (1, positive)):
    if share < MIN_CLASS_FRACTION:
      sign = "<= 0" if c == 0 else "> 0"
      raise ValueError(f"expression {expression!r} has a constant sign on the box [-{half:g}, {half:g}]^2: "
                       f"class {c} (expression {sign}) covers {share:.2%} of it, at least "
                       f"{MIN_CLASS_FRACTION:.1%} is needed; change the expression or half_width")


@register("boundary", check=_check)
def boundary(key: jax.Array, *, num_train_per_class: int = 250, num_test_per_class: int = 250,
             noise: float = 0.0, expression: str = DEFAULT_EXPRESSION, half_width: float = 1.0) -> Dataset:
  """Two classes split by the zero set of `expression` in the box [-half_width, half_width]^2."""
  f = _compiled(expression)
  low, high = np.full(2, -half_width), np.full(2, half_width)
  splits = []
  for split_key, n in zip(_common.split_train_test(key), (num_train_per_class, num_test_per_class)):
    parts = []
    for c, class_key in enumerate(jax.random.split(split_key, 2)):
      draw_key, noise_key = jax.random.split(class_key)
      positive = lambda p: f(*_stored(p).T) > 0
      inside = (lambda p: ~positive(p)) if c == 0 else positive
      points = _stored(_common.rejection_sample(draw_key, n, low, high, inside))
      parts.append(points + _common.box_noise(noise_key, points.shape, noise))
    splits.append(_common.stack_classes(parts))
  (x_train, y_train), (x_test, y_test) = splits
  domain = _common.domain_box(low, high, noise, x_train, x_test)

  def truth(points: np.ndarray) -> np.ndarray:
    p = np.asarray(points, np.float64)
    return (f(p[:, 0], p[:, 1]) > 0).astype(np.int32)

  return Dataset("boundary", x_train, y_train, x_test, y_test, 2, domain, truth,
                 {"half_width": float(half_width)})
