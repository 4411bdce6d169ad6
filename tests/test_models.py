import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from research.activations import parse_activation
from research.models import INITIALISERS, MLP, RAI_SIGMA, dense_weights, get_initialiser


def make(act="relu", widths=(5, 7), num_classes=2, init="he", seed=0):
  return MLP(2, widths, num_classes, parse_activation(act), init, rngs=nnx.Rngs(params=seed))


def test_forward_returns_named_intermediates():
  model = make(widths=(5, 7, 3))
  x = jax.random.normal(jax.random.key(1), (11, 2))
  logits, inter = model(x)
  assert logits.shape == (11, 1)
  assert [z.shape for z in inter["pre"]] == [(11, 5), (11, 7), (11, 3)]
  # act = activation(pre), and the head reads the last activation.
  for z, a in zip(inter["pre"], inter["act"]):
    np.testing.assert_allclose(a, np.maximum(z, 0))
  np.testing.assert_allclose(logits, inter["act"][-1] @ model.head.kernel[...] + model.head.bias[...][None], rtol=1e-6)


def test_multiclass_head_and_leaky_slope():
  model = make("leaky_relu:0.2", num_classes=3)
  logits, inter = model(jnp.ones((4, 2)))
  assert logits.shape == (4, 3)
  z = inter["pre"][0]
  np.testing.assert_allclose(inter["act"][0], np.where(z >= 0, z, 0.2 * z), rtol=1e-6)


def test_prelu_slope_is_a_trained_parameter_and_leaky_slope_is_not():
  prelu = nnx.state(make("prelu:0.25"), nnx.Param)
  assert "slopes" in prelu and float(prelu["slopes"][0][...]) == pytest.approx(0.25)
  assert "slope" not in nnx.state(make("leaky_relu:0.01"), nnx.Param)


def test_unknown_initialiser_lists_valid_names():
  with pytest.raises(ValueError, match="valid initialisers: glorot, he"):
    get_initialiser("kaiming")


def test_he_variance():
  kernel, bias = INITIALISERS["he_normal"](jax.random.key(0), 400, 300)
  assert np.var(np.asarray(kernel)) == pytest.approx(2 / 400, rel=0.03)
  assert not np.any(np.asarray(bias))


def test_rai_has_one_positive_beta_entry_per_row():
  fan_in, fan_out = 6, 4000
  kernel, bias = INITIALISERS["rai"](jax.random.key(0), fan_in, fan_out)
  rows = np.concatenate([np.asarray(kernel).T, np.asarray(bias)[:, None]], axis=1)  # (out, in+1)
  # The Beta(2, 1) entry is the one that is not a small normal draw: its density is 2x on (0, 1),
  # mean 2/3. Identify it as each row's largest entry (normal entries have sd 0.25 here).
  top = rows.max(axis=1)
  assert np.all(top > 0) and np.all(top < 1)
  assert top.mean() > 0.6
  rest = np.sort(rows, axis=1)[:, :-1].ravel()
  assert np.std(rest) < RAI_SIGMA / np.sqrt(fan_in) * 1.05
  # Each position of the row (weights and the bias) is chosen for replacement.
  assert len(set(np.argmax(rows, axis=1))) == fan_in + 1


def test_dense_weights_match_the_forward_pass():
  model = make(widths=(4, 4))
  kernels, biases = dense_weights(nnx.state(model, nnx.Param))
  x = np.random.default_rng(0).normal(size=(9, 2))
  a = x
  for k, b in zip(kernels[:-1], biases[:-1]):
    a = np.maximum(a @ np.asarray(k) + np.asarray(b), 0)
  logits = a @ np.asarray(kernels[-1]) + np.asarray(biases[-1])
  np.testing.assert_allclose(logits, model(jnp.asarray(x, jnp.float32))[0], rtol=1e-5, atol=1e-6)
