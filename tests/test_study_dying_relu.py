"""The dying-ReLU study: born-dead estimates against theory and the models' own initialisers, and
the quick variant end to end, as a user runs it."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from configs.dying_relu import get_config
from research.metrics import sparsity
from research.models import INITIALISERS
from research.studies import dying_relu
from research.validation import ConfigError

from helpers import run_module


def _counts(init, width, depth, num_inits, seed, per_side=3):
  points = dying_relu.domain_grid(1.0, per_side)
  return dying_relu.born_dead_counts(np.random.default_rng(seed), num_inits, points,
                                     np.array([1.0, 1.0], np.float32), width=width, max_depth=depth,
                                     init=init, inits_per_call=500)


def test_single_input_estimate_matches_closed_form_at_every_depth():
  n = 4000
  counts = _counts("he_normal", 3, 10, n, seed=1)
  estimate = counts[1] / n
  exact = np.array([sparsity.born_dead_closed_form(3, d) for d in range(1, 11)])
  # 4 binomial standard errors: a correct sampler fails this about once in 16,000 runs per depth.
  np.testing.assert_array_less(np.abs(estimate - exact), 4 * np.sqrt(exact * (1 - exact) / n) + 1e-9)


def test_domain_death_implies_single_input_death_and_grows_with_depth():
  counts = _counts("rai", 3, 10, 1000, seed=2)
  # (1, 1) is a grid point: a layer dead on the whole grid is dead there, network by network.
  assert np.all(counts[0] <= counts[1])
  assert np.all(np.diff(counts, axis=1) >= 0)  # born dead at depth L stays dead at L + 1


def test_flags_on_hand_made_weights():
  points = jnp.array([[1.0, 0.5], [0.5, 1.0]])
  w1 = jnp.ones((1, 2, 2))  # layer 1 alive on positive inputs
  b1 = jnp.zeros((1, 2))
  w = jnp.stack([-jnp.ones((2, 2)), jnp.ones((2, 2))])[None]  # layer 2 dead, so layer 3 too
  b = jnp.zeros((1, 2, 2))
  flags = dying_relu.born_dead_flags(w1, b1, w, b, points, jnp.array([1.0, 1.0]))
  np.testing.assert_array_equal(flags[0], [[False, True, True], [False, True, True]])
  flags = dying_relu.born_dead_flags(-w1, b1, w, b, points, jnp.array([1.0, 1.0]))
  assert bool(flags.all())  # dead from layer 1 on


@pytest.mark.parametrize("init", ["he_normal", "rai"])
def test_host_initialisers_match_the_models(init):
  """Same weight and bias distributions as research.models' own initialisers (two-sample KS)."""
  n, fan_in, fan_out = 20000, 3, 4
  kernel, bias = dying_relu.HOST_INITIALISERS[init](np.random.default_rng(0), (n,), fan_in, fan_out)
  theirs = jax.vmap(lambda k: INITIALISERS[init](k, fan_in, fan_out))(jax.random.split(jax.random.key(0), n))
  assert kernel.shape == theirs[0].shape and bias.shape == theirs[1].shape
  for ours, model in ((kernel, theirs[0]), (bias, theirs[1])):
    if np.all(ours == 0):  # He: zero bias
      assert np.all(np.asarray(model) == 0)
      continue
    # p < 1e-4 happens once in 10,000 runs when the distributions agree.
    assert scipy.stats.ks_2samp(ours.ravel(), np.asarray(model).ravel()).pvalue > 1e-4


def test_rai_below_he_at_width_3_depth_10_near_lu_et_al():
  config = get_config("quick").born_dead
  config.widths, config.depths, config.num_inits = (3,), (10,), 1500
  table = dying_relu.born_dead_table(config, seed=0).set_index(["init", "place"])
  he = table.loc[("he_normal", "domain"), "p_born_dead"]
  rai = table.loc[("rai", "domain"), "p_born_dead"]
  assert 0.45 < he < 0.75  # Lu et al. report about 60% for 10-layer width-3 networks
  assert rai < he / 3


@pytest.mark.parametrize("section,field,value,fragment", [
    ("born_dead", "num_inits", 0, "born_dead.num_inits"),
    ("born_dead", "inits", ("xavier",), "valid born-dead initialisers"),
    ("born_dead", "lu_depth", 7, "born_dead.lu_depth"),
    ("born_dead", "single_input", (1.0,), "born_dead.single_input"),
    ("model", "widths", (0,), "model.widths"),  # the sweep part: research.validation's checks
    ("optim", "learning_rates", (-0.1,), "optim.learning_rates"),
])
def test_bad_values_are_refused(section, field, value, fragment):
  config = get_config("quick")
  config[section][field] = value
  with pytest.raises(ConfigError, match=fragment):
    dying_relu.validate(config)


def run(*args, timeout=600):
  return run_module("experiments.dying_relu", *args, timeout=timeout)


def test_bad_config_exits_2_with_one_line_before_any_compute(tmp_path):
  fragment = "born_dead.num_inits"
  out = run("--config", "configs/dying_relu.py:quick", "--workdir", str(tmp_path),
            "--config.born_dead.num_inits=0", timeout=120)
  assert out.returncode == 2, (out.stdout, out.stderr)
  lines = [line for line in out.stderr.splitlines() if line.strip()]
  assert len(lines) == 1 and fragment in lines[0], out.stderr
  assert not (tmp_path / "trained").exists() and not (tmp_path / "born_dead.csv").exists()
