import jax.numpy as jnp
import numpy as np
import pytest

from research.activations import ACTIVATIONS, get_activation, leaky, parse_activation


def test_unknown_name_lists_valid_names():
  with pytest.raises(ValueError, match="valid activations: abs, elu, gelu"):
    get_activation("leakyrelu")


@pytest.mark.parametrize("spec", ["leaky_relu", "prelu"])
def test_slope_is_never_defaulted(spec):
  with pytest.raises(ValueError, match="needs an explicit slope"):
    parse_activation(spec)


@pytest.mark.parametrize("spec", ["leaky_relu:abc", "leaky_relu:-0.1", "leaky_relu:nan", "tanh:0.1", "relu:0.2"])
def test_bad_arguments_raise(spec):
  with pytest.raises(ValueError, match="activation"):
    parse_activation(spec)


def test_relu_is_leaky_family_at_slope_zero():
  relu, lk = parse_activation("relu"), parse_activation("leaky_relu:0.01")
  assert relu.family == lk.family == "leaky"
  x = jnp.linspace(-3, 3, 101)
  np.testing.assert_array_equal(relu.kind.fn(x, relu.slope), jnp.maximum(x, 0))
  np.testing.assert_allclose(lk.kind.fn(x, lk.slope), np.where(x >= 0, x, 0.01 * x), rtol=1e-6)
  # The slope is a traced array: the same function serves every slope (vmapped in training).
  np.testing.assert_allclose(leaky(x, jnp.float32(1.0)), x)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_piecewise_linear_declaration_matches_function(name):
  kind = get_activation(name)
  act = parse_activation(f"{name}:0.2" if kind.uses_slope else name)
  x = np.linspace(-4, 4, 1001)
  y = np.asarray(kind.fn(jnp.asarray(x), jnp.float32(act.slope)))
  pwl = act.pwl()
  if pwl is None:
    # A smooth function is not affine on any two adjacent intervals around 0.
    second_diff = y[2:] - 2 * y[1:-1] + y[:-2]
    assert np.abs(second_diff).max() > 1e-6
  else:
    np.testing.assert_allclose(pwl(x), y, atol=1e-6)

