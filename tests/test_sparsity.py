import jax
import jax.numpy as jnp
import numpy as np
import pytest

from research.metrics import sparsity


def test_inactive_and_dead_fractions_by_hand():
  z1 = jnp.array([[1.0, -1.0, 0.0], [2.0, -3.0, 1.0]])  # unit 1 dead; unit 2 inactive once
  z2 = jnp.array([[-1.0], [-2.0]])  # the whole layer is dead
  np.testing.assert_allclose(sparsity.inactive_fraction((z1, z2)), [3 / 6, 1.0])
  np.testing.assert_allclose(sparsity.dead_units((z1, z2)), [1 / 3, 1.0])
  assert bool(sparsity.dead_layer((z1, z2)))
  assert not bool(sparsity.dead_layer((z1,)))


def test_hoyer_sparsity_extremes():
  one_hot = jnp.eye(4)
  flat = jnp.ones((3, 4))
  np.testing.assert_allclose(sparsity.hoyer_sparsity((one_hot, flat)), [1.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("width,depth", [(2, 5), (3, 10), (4, 3)])
def test_born_dead_single_input_matches_closed_form(width, depth):
  n = 20000
  estimate = float(sparsity.born_dead_probability(width, depth, "he_normal", jnp.ones((1, 2)), n,
                                                  jax.random.key(width * 100 + depth)))
  exact = sparsity.born_dead_closed_form(width, depth)
  assert abs(estimate - exact) < 4 * np.sqrt(exact * (1 - exact) / n) + 1e-3


def test_born_dead_over_a_domain_falls_with_width_and_rai_helps():
  grid = jnp.stack(jnp.meshgrid(jnp.linspace(-1, 1, 20), jnp.linspace(-1, 1, 20)), -1).reshape(-1, 2)
  he = [float(sparsity.born_dead_probability(w, 10, "he_normal", grid, 3000, jax.random.key(w)))
        for w in (3, 5, 10)]
  rai = float(sparsity.born_dead_probability(3, 10, "rai", grid, 3000, jax.random.key(3)))
  # Lu et al. report roughly 60%, over 10% and under 1% for 10-layer nets of widths 3, 5, 10.
  assert he[0] > he[1] > he[2]
  assert 0.4 < he[0] < 0.75 and he[2] < 0.01
  assert rai < he[0] / 2
