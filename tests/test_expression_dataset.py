"""The boundary-function data set: class = sign of a user's expression, parsed safely."""

import jax
import numpy as np
import pandas as pd
import pytest

from helpers import run_module
from research import datasets
from research.datasets import _expression

CIRCLE = "x**2 + y**2 - 0.5"
WAVE = "sin(3*x) - y"
# The same functions written in numpy by hand: the data set's labels are checked against these.
BY_HAND = {CIRCLE: lambda x, y: x ** 2 + y ** 2 - 0.5, WAVE: lambda x, y: np.sin(3 * x) - y}


def make(seed=0, **params):
  params = dict(dict(expression=CIRCLE, noise=0.0, num_train_per_class=300, num_test_per_class=200), **params)
  return datasets.make_dataset("boundary", jax.random.key(seed), **params)


@pytest.mark.parametrize("expression", [CIRCLE, WAVE])
def test_labels_are_the_sign_of_the_expression_and_balanced(expression):
  d = make(expression=expression)
  for x, y, n in ((d.x_train, d.y_train, 300), (d.x_test, d.y_test, 200)):
    # Labelled from the stored float32 coordinates: exact, even next to the boundary.
    value = BY_HAND[expression](x[:, 0].astype(np.float64), x[:, 1].astype(np.float64))
    np.testing.assert_array_equal(y, (value > 0).astype(np.int32))
    np.testing.assert_array_equal(d.truth(x), y)
    np.testing.assert_array_equal(np.bincount(y), [n, n])
    assert np.abs(x).max() <= 1.0  # uniform in the default box [-1, 1]^2
  # Uniform in the box: each class fills its part of the box (not only the boundary's neighbourhood).
  inside = d.x_train[d.y_train == 0] if expression == CIRCLE else d.x_train
  assert np.ptp(inside, axis=0).min() > 1.0


def test_default_expression_is_the_recorded_disk():
  d = datasets.make_dataset("boundary", jax.random.key(0), num_train_per_class=50)
  assert d.params["expression"] == CIRCLE
  np.testing.assert_array_equal(d.truth(np.array([[0.0, 0.0], [0.9, 0.0]])), [0, 1])


def test_box_half_width_and_noise():
  d = make(half_width=2.0, noise=0.1)
  assert np.abs(d.x_train).max() <= 2.1 + 1e-6 and np.abs(d.x_train).max() > 1.5
  np.testing.assert_allclose(d.domain, [[-2.1, 2.1], [-2.1, 2.1]], atol=1e-6)
  # Noise is added after labelling (labels stay the clean point's): some labels now disagree with
  # the sign at the noisy point, all of them near the boundary.
  value = BY_HAND[CIRCLE](d.x_train[:, 0].astype(np.float64), d.x_train[:, 1].astype(np.float64))
  wrong = (value > 0).astype(np.int32) != d.y_train
  assert wrong.any()
  r = np.linalg.norm(d.x_train[wrong], axis=1)
  assert np.all(np.abs(r - np.sqrt(0.5)) <= 0.1 * np.sqrt(2) + 1e-6)


def test_deterministic_per_seed():
  a, b, c = make(seed=3), make(seed=3), make(seed=4)
  np.testing.assert_array_equal(a.x_train, b.x_train)
  np.testing.assert_array_equal(a.x_test, b.x_test)
  assert not np.array_equal(a.x_train, c.x_train)
  assert not np.array_equal(a.x_train, a.x_test)  # train and test are independent draws


def test_truth_zero_set_is_the_boundary():
  d = make()
  angles = np.linspace(0, 2 * np.pi, 50, endpoint=False)
  ring = np.stack([np.cos(angles), np.sin(angles)], 1) * np.sqrt(0.5)
  np.testing.assert_array_equal(d.truth(ring * (1 - 1e-9)), 0)
  np.testing.assert_array_equal(d.truth(ring * (1 + 1e-9)), 1)
  wave = make(expression=WAVE)
  x = np.linspace(-1, 1, 41)
  curve = np.stack([x, np.sin(3 * x)], 1)
  np.testing.assert_array_equal(wave.truth(curve + [0, 1e-9]), 0)
  np.testing.assert_array_equal(wave.truth(curve - [0, 1e-9]), 1)
  grid = np.random.default_rng(0).uniform(-1, 1, (1000, 2))
  np.testing.assert_array_equal(wave.truth(grid), (BY_HAND[WAVE](grid[:, 0], grid[:, 1]) > 0).astype(int))


def test_whitelisted_functions_evaluate_with_numpy():
  f = _expression.parse_expression("max(abs(x), abs(y)) - pi/8 + 0*exp(-x**2) + 0*arctan2(y, x)")
  np.testing.assert_allclose(f(np.array([0.1, 1.0]), np.array([-0.3, 0.0])),
                             [0.3 - np.pi / 8, 1.0 - np.pi / 8])
  assert _expression.parse_expression("-x**2")(2.0, 0.0) == -4.0  # unary minus binds like Python


UNSAFE = {
    "__import__('os')": "function '__import__'",
    "x.__class__": "attribute access '.__class__'",
    "open(x)": "function 'open'",
    "lambda: x": "lambda",
    "[x]": "list '[x]'",
    "'a'": "string",
    "9**9**9": "exponent '9**9'",
    "x**y": "exponent 'y'",
    "z + x": "name 'z'",
    "x[0]": "subscript",
    "x % 2": "operator Mod",
    "x < y": "Compare",
    "x if y else 1": "IfExp",
    "(lambda: 1)()": "calling",
    "sin(x, y)": "sin takes 1 argument",
    "f'{x}'": "JoinedStr",
    "True + x": "constant 'True'",
    "x +": "syntax error",
    "x; import os": "syntax error",
    "x" + " + x" * 200: "at most",
}


@pytest.mark.parametrize("text", sorted(UNSAFE))
def test_unsafe_expressions_are_one_line_errors_naming_the_token_and_the_allowed_ones(text):
  with pytest.raises(ValueError) as e:
    datasets.validate_dataset_params("boundary", dict(expression=text))
  msg = str(e.value)
  assert "\n" not in msg and "expression" in msg and UNSAFE[text] in msg, msg
  if "at most" not in msg:
    assert "allowed: numbers, x, y" in msg and "sin" in msg


def test_constant_sign_undefined_and_missing_expressions_are_rejected():
  for params, fragment in [(dict(expression="x**2 + y**2 + 1"), "constant sign"),
                           (dict(expression="x - 5"), "constant sign"),
                           (dict(expression="x - 0.5", half_width=0.25), "constant sign"),
                           (dict(expression="log(x) - y"), "not finite"),
                           (dict(expression=3), "non-empty string"),
                           (dict(expression=CIRCLE, half_width=0.0), "half_width")]:
    with pytest.raises(ValueError, match=fragment) as e:
      datasets.validate_dataset_params("boundary", params)
    assert "\n" not in str(e.value)


def test_relu_vs_leaky_runs_on_an_expression_with_a_per_layer_activation(tmp_path):
  """The README example: a study on the boundary data set through the command line."""
  out = run_module(
      "experiments.relu_vs_leaky", "--config", "configs/relu_vs_leaky.py:quick",
      "--config.data.names=boundary", f"--config.data.params.boundary.expression={WAVE}",
      "--config.model.activations=('relu','relu+leaky_relu:0.2','leaky_relu:0.2+relu')", "--config.num_seeds=2",
      "--config.optim.num_steps=100", "--config.eval.checkpoint_steps=(0,100)",
      "--workdir", str(tmp_path))
  assert out.returncode == 0, out.stderr[-3000:]
  results = pd.read_csv(tmp_path / "results.csv")
  assert set(results["dataset"]) == {"boundary"}
  assert list(results["activation"].unique()) == ["relu", "relu+leaky_relu:0.2", "leaky_relu:0.2+relu"]
  assert (tmp_path / "report.html").is_file()  # figures and report drawn for per-layer specs too
  assert (results["test_acc"] > 0.6).all()  # the wave is learnable in 100 steps at width 8
  mixed = results[(results["activation"] == "relu+leaky_relu:0.2") & (results["seed"] == 0)]
  assert mixed["num_regions"].iloc[0] > 1  # counted exactly: every layer is piecewise linear
