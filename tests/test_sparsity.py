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


# ------------------------------------------------------------------------------------------------
# count_patterns: the neighbour filter and compacted sorts against np.unique over sign rows

from research.metrics import activation_patterns as AP


def _relu_net_pre(seed: int, x: np.ndarray, widths=(2, 40, 40, 40)):
  rng = np.random.default_rng(seed)
  pre, h = [], x
  for a, b in zip(widths[:-1], widths[1:]):
    z = h @ rng.normal(0, 1 / np.sqrt(a), (a, b)) + rng.normal(0, 0.3, b)
    pre.append(z.astype(np.float32))
    h = np.maximum(z, 0)
  return pre


def _unique_sign_rows(pre) -> int:
  return len(np.unique(np.concatenate([z >= 0 for z in pre], 1), axis=0))


@pytest.mark.parametrize("seed", [0, 1])
def test_count_patterns_on_a_grid_equals_np_unique(seed):
  n = 96
  axis = np.linspace(-2, 2, n)
  grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)  # row-major, rows of n points
  pre = _relu_net_pre(seed, grid)
  want = _unique_sign_rows(pre)
  assert want > 100
  z = tuple(map(jnp.asarray, pre))
  assert int(AP.count_patterns(z, (0.0,), row_length=n)) == want
  assert int(AP.count_patterns(z, (0.0,))) == want


def test_count_patterns_with_many_duplicates_in_shuffled_order():
  # 50 distinct patterns repeated over 20,000 points in random order: the neighbour filter drops
  # almost nothing useful, duplicates are everywhere, and the count must still be exactly 50.
  rng = np.random.default_rng(3)
  base = rng.normal(size=(50, 70)).astype(np.float32)
  rows = base[rng.integers(0, 50, 20_000)]
  z = (jnp.asarray(rows[:, :30]), jnp.asarray(rows[:, 30:]))
  assert _unique_sign_rows([rows]) == 50
  assert int(AP.count_patterns(z, (0.0,))) == 50
  assert int(AP.count_patterns(z, (0.0,), row_length=100)) == 50


@pytest.mark.parametrize("distinct", [10, 3_000, 9_000])
def test_every_buffer_size_counts_exactly(distinct):
  # All-distinct neighbours beyond 1/16 and 1/4 of the points force the larger buffers.
  rng = np.random.default_rng(distinct)
  base = rng.normal(size=(distinct, 40)).astype(np.float32)
  rows = base[np.concatenate([np.arange(distinct), rng.integers(0, distinct, 10_000 - distinct)])]
  rows = rows[rng.permutation(len(rows))]
  want = _unique_sign_rows([rows])
  got = AP.count_distinct_rows(AP.pattern_words((jnp.asarray(rows),), (0.0,)))
  assert int(got) == want
  # Under vmap the same (the larger sorts run for the batch if any model needs them).
  stacked = jnp.asarray(np.stack([rows, rows[::-1]]))
  vm = jax.jit(jax.vmap(lambda r: AP.count_patterns((r,), (0.0,))))(stacked)
  assert vm.tolist() == [want, want]


def test_tiled_sparsity_partials_match_the_whole():
  rng = np.random.default_rng(0)
  z = (jnp.asarray(rng.normal(size=(60, 5)) - 1.0), jnp.asarray(rng.normal(size=(60, 3)) - 3.0))
  halves = [tuple(a[s] for a in z) for s in (slice(0, 30), slice(30, 60))]
  counts = sum(sparsity.inactive_counts(h) for h in halves)
  np.testing.assert_array_equal(sparsity.fraction_of_pairs(counts, (300, 180)), sparsity.inactive_fraction(z))
  units = [a & b for a, b in zip(*(sparsity.inactive_units(h) for h in halves))]
  np.testing.assert_array_equal(sparsity.dead_fraction(units), sparsity.dead_units(z))


@pytest.mark.parametrize("num_breakpoints", [1, 3, 5])  # 1, 2 and 3 bits per unit
def test_pattern_words_keep_every_piece_index_apart(num_breakpoints):
  # Values exactly on the breakpoints and NaN included: the words must tell apart exactly the rows
  # whose piece indices (searchsorted right, NaN in piece 0 as z >= t is False) differ, for bit
  # widths that do and do not divide the 16-bit half words, and unit counts around word sizes.
  rng = np.random.default_rng(num_breakpoints)
  breakpoints = tuple(float(t) for t in np.sort(rng.choice(np.arange(-4, 5), num_breakpoints, replace=False)))
  pieces = np.array([breakpoints[0] - 1, *breakpoints], np.float32)  # one value in each piece
  layers = (1, 5, 16, 17, 33, 70)  # units per layer, around the word sizes
  units = sum(layers)
  # Random rows, and every single-unit change of a few of them to every other piece: packing
  # that let two units share a bit would merge some of those.
  choices = np.array([*breakpoints, *rng.normal(0, 3, 6), np.nan], np.float32)
  rows = [rng.choice(choices, (40, units))]
  for base in rows[0][:3]:
    changed = np.repeat(base[None], units * len(pieces), 0)
    changed[np.arange(len(changed)), np.repeat(np.arange(units), len(pieces))] = np.tile(pieces, units)
    rows.append(changed)
  rows = np.concatenate(rows)
  rows = rows[rng.permutation(len(rows))]
  piece = np.where(np.isnan(rows), 0, np.searchsorted(np.array(breakpoints), rows, side="right"))
  want = len(np.unique(piece, axis=0))
  pre = tuple(jnp.asarray(z) for z in np.split(rows, np.cumsum(layers)[:-1], axis=1))
  assert int(AP.count_patterns(pre, breakpoints)) == want, breakpoints


def test_inactive_counts_and_units_on_zeros_and_nan():
  z = np.array([[0.0, -1.0, 2.0, np.nan], [-0.0, -3.0, 0.0, -1.0], [-2.0, 0.5, 0.0, -1.0]], np.float32)
  np.testing.assert_array_equal(sparsity.inactive_counts((jnp.asarray(z),)), [np.sum(z <= 0)])
  np.testing.assert_array_equal(sparsity.inactive_units((jnp.asarray(z),))[0], np.all(z <= 0, axis=0))
  assert sparsity.inactive_units((jnp.zeros((0, 3)),))[0].tolist() == [True] * 3  # all() of nothing
