"""Tests of research.datasets: the registry contract, reference formulas, ground truth, topology."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest
from scipy import ndimage
from scipy.sparse.csgraph import connected_components
from sklearn.datasets import make_moons
from sklearn.neighbors import radius_neighbors_graph

from research.datasets import (DATASETS, Dataset, dataset_param_names, make_dataset, register,
                               validate_dataset_params)

ALL = sorted(DATASETS)
SMALL = dict(num_train_per_class=40, num_test_per_class=30)


def _key(seed: int = 0) -> jax.Array:
  return jax.random.key(seed)


def _components(x: np.ndarray, radius: float) -> int:
  graph = radius_neighbors_graph(x, radius, mode="connectivity")
  return connected_components(graph, directed=False)[0]


def test_registry_holds_every_module():
  assert set(ALL) >= {"spirals", "rings", "xor", "moons", "blobs", "d1", "d2", "d3"}


@pytest.mark.parametrize("name", ALL)
def test_contract_shapes_dtypes_balance_domain_params(name):
  ds = make_dataset(name, _key(), noise=0.1, **SMALL)
  k = ds.num_classes
  assert ds.name == name
  for x, y, n in ((ds.x_train, ds.y_train, 40), (ds.x_test, ds.y_test, 30)):
    assert x.dtype == np.float32 and y.dtype == np.int32
    assert x.shape == (k * n, ds.domain.shape[0]) and y.shape == (k * n,)
    np.testing.assert_array_equal(np.bincount(y, minlength=k), [n] * k)
    assert np.all(x >= ds.domain[:, 0]) and np.all(x <= ds.domain[:, 1])
    labels = ds.truth(x)
    assert labels.shape == y.shape and labels.min() >= 0 and labels.max() < k
  assert list(ds.params)[:len(dataset_param_names(name))] == dataset_param_names(name)
  assert ds.params["noise"] == 0.1 and ds.params["num_train_per_class"] == 40
  json.dumps(ds.params)  # goes into config.json


@pytest.mark.parametrize("name", ALL)
def test_same_key_same_data_different_key_different_data(name):
  a = make_dataset(name, _key(3), noise=0.1, **SMALL)
  b = make_dataset(name, _key(3), noise=0.1, **SMALL)
  c = make_dataset(name, _key(4), noise=0.1, **SMALL)
  for field in ("x_train", "y_train", "x_test", "y_test"):
    np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
  assert not np.array_equal(a.x_train, c.x_train)
  assert not np.array_equal(a.x_test, c.x_test)
  assert not np.array_equal(a.x_train[: len(a.x_test)], a.x_test)  # independent splits


def test_raw_and_typed_keys_give_the_same_data():
  a = make_dataset("rings", jax.random.key(7), **SMALL)
  b = make_dataset("rings", jax.random.PRNGKey(7), **SMALL)
  np.testing.assert_array_equal(a.x_train, b.x_train)
  np.testing.assert_array_equal(a.x_test, b.x_test)


TRUTH_CASES = [(name, {}) for name in ALL] + [
    ("spirals", dict(num_arms=3)), ("spirals", dict(num_arms=6, turns=3.0)),
    ("rings", dict(num_rings=5)), ("d3", dict(num_shells=4)),
    ("d3", dict(num_shells=2, radii=((0.5, 1.0), (1.2, 1.4)))),
]


@pytest.mark.parametrize("name,params", TRUTH_CASES)
def test_truth_equals_labels_at_noise_zero(name, params):
  ds = make_dataset(name, _key(1), num_train_per_class=300, num_test_per_class=300, **params)
  np.testing.assert_array_equal(ds.truth(ds.x_train), ds.y_train)
  np.testing.assert_array_equal(ds.truth(ds.x_test), ds.y_test)


# --- spirals --------------------------------------------------------------------------------------


def _playground_spiral(n: int, num_arms: int, turns: float) -> np.ndarray:
  """Playground formula at the midpoints i + 0.5 (see spirals.py), written out independently."""
  rows = []
  for arm in range(num_arms):
    for i in range(n):
      s = (i + 0.5) / n
      r = 5.0 * s
      t = turns * 2.0 * np.pi * s + 2.0 * np.pi * arm / num_arms
      rows.append((r * np.sin(t), r * np.cos(t)))
  return np.array(rows, np.float64).astype(np.float32)


@pytest.mark.parametrize("num_arms,turns", [(2, 1.75), (3, 1.0)])
def test_spiral_training_points_equal_the_formula(num_arms, turns):
  ds = make_dataset("spirals", _key(), num_train_per_class=97, num_arms=num_arms, turns=turns)
  np.testing.assert_array_equal(ds.x_train, _playground_spiral(97, num_arms, turns))
  np.testing.assert_array_equal(ds.y_train, np.repeat(np.arange(num_arms), 97))
  # Two arms with dt = 0 and pi are the Playground's: arm 1 is arm 0 rotated by pi.
  if num_arms == 2:
    np.testing.assert_allclose(ds.x_train[97:], -ds.x_train[:97], atol=1e-5)


def test_spiral_noise_is_uniform_plus_minus_noise():
  clean = make_dataset("spirals", _key(), num_train_per_class=500)
  noisy = make_dataset("spirals", _key(), num_train_per_class=500, noise=0.3)
  delta = (noisy.x_train - clean.x_train).astype(np.float64)
  assert np.abs(delta).max() <= 0.3 + 1e-5
  assert np.abs(delta).max() > 0.29  # the full range is used: U(-1, 1), not something narrower
  assert abs(np.abs(delta).mean() - 0.15) < 0.01  # E|U(-0.3, 0.3)| = 0.15


@pytest.mark.parametrize("num_arms", [2, 3, 5])
def test_k_arm_spirals_give_k_classes(num_arms):
  ds = make_dataset("spirals", _key(), num_arms=num_arms, **SMALL)
  assert ds.num_classes == num_arms
  np.testing.assert_array_equal(np.bincount(ds.y_train), [40] * num_arms)
  np.testing.assert_array_equal(np.bincount(ds.truth(ds.x_train), minlength=num_arms),
                                [40] * num_arms)


@pytest.mark.parametrize("num_arms", [2, 4, 6])
def test_spiral_truth_near_the_centre_where_arms_meet(num_arms):
  ds = make_dataset("spirals", _key(), num_arms=num_arms, num_train_per_class=1000)
  assert np.linalg.norm(ds.x_train, axis=1).min() > 0  # no shared origin point in the data
  s = np.array([1e-4, 1e-3, 5e-4, 0.01])
  for arm in range(num_arms):
    r, t = 5.0 * s, 1.75 * 2.0 * np.pi * s + 2.0 * np.pi * arm / num_arms
    points = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    np.testing.assert_array_equal(ds.truth(points), arm)
  assert ds.truth(np.zeros((1, 2)))[0] == 0  # the origin is on every arm: arm 0 by convention


# --- rings and the other 2-D sets -----------------------------------------------------------------


def _circle_points(radii: np.ndarray, num_angles: int = 16) -> np.ndarray:
  angles = np.linspace(0.0, 2.0 * np.pi, num_angles, endpoint=False)
  return np.array([(r * np.cos(a), r * np.sin(a)) for r in radii for a in angles])


def test_rings_truth_regions_match_the_playground():
  ds = make_dataset("rings", _key(), **SMALL)
  cases = {0: [0.0, 0.1, 1.0, 2.49, 2.6, 2.99], 1: [3.01, 3.4, 3.51, 4.0, 4.99, 5.5, 20.0]}
  for label, radii in cases.items():
    np.testing.assert_array_equal(ds.truth(_circle_points(np.array(radii))), label)
  r_train = np.linalg.norm(ds.x_train.astype(np.float64), axis=1)
  assert r_train[ds.y_train == 0].max() <= 2.5 + 1e-5
  assert r_train[ds.y_train == 1].min() >= 3.5 - 1e-5 and r_train[ds.y_train == 1].max() <= 5 + 1e-5


def test_rings_with_custom_radii_alternate_labels():
  radii = ((1.0, 2.0), (3.0, 4.0), (5.0, 6.0))
  ds = make_dataset("rings", _key(), num_rings=3, radii=radii, **SMALL)
  expect = {0.5: 0, 1.5: 0, 2.4: 0, 2.6: 1, 3.5: 1, 4.6: 0, 5.5: 0, 9.0: 0}
  for r, label in expect.items():
    np.testing.assert_array_equal(ds.truth(_circle_points(np.array([r]))), label)
  r0 = np.linalg.norm(ds.x_train[ds.y_train == 0].astype(np.float64), axis=1)
  assert np.any(r0 < 2.0) and np.any(r0 > 5.0)  # class 0 owns both the inner and the outer ring


def test_moons_training_points_equal_sklearn():
  ds = make_dataset("moons", _key(), num_train_per_class=60)
  x_ref, y_ref = make_moons(n_samples=120, shuffle=False, noise=None)
  np.testing.assert_allclose(ds.x_train, x_ref, atol=1e-6)
  np.testing.assert_array_equal(ds.y_train, y_ref)


@pytest.mark.parametrize("name", [n for n in ALL if n != "moons"])
def test_noise_is_uniform_plus_minus_noise_on_clean_points(name):
  clean = make_dataset(name, _key(), **SMALL)
  noisy = make_dataset(name, _key(), noise=0.2, **SMALL)
  delta = np.abs((noisy.x_test - clean.x_test).astype(np.float64))
  assert delta.max() <= 0.2 + 1e-5 and delta.max() > 0.15


def test_moons_noise_is_gaussian_like_sklearn():
  clean = make_dataset("moons", _key(), num_train_per_class=500)
  noisy = make_dataset("moons", _key(), num_train_per_class=500, noise=0.1)
  delta = (noisy.x_train - clean.x_train).astype(np.float64)
  assert abs(delta.std() - 0.1) < 0.01 and np.abs(delta).max() > 0.25  # beyond 2.5 std: not uniform


def test_xor_and_blobs_truth():
  xor = make_dataset("xor", _key(), **SMALL)
  np.testing.assert_array_equal(xor.truth(np.array([[1.0, 2.0], [-1.0, -2.0], [1.0, -2.0],
                                                    [-1.0, 2.0]])), [1, 1, 0, 0])
  assert np.abs(xor.x_train).min() >= 0.3 - 1e-6  # the Playground padding keeps points off the axes
  blobs = make_dataset("blobs", _key(), **SMALL)
  np.testing.assert_array_equal(blobs.truth(np.array([[-0.1, 9.0], [0.1, -9.0]])), [0, 1])


# --- Naitzat et al. -------------------------------------------------------------------------------


def test_d1_is_naitzats_grid_of_nine_disks_on_a_circle():
  # Their generator (topnn_framework raw_circles_generator.py), recomputed here from its numbers:
  # grid np.arange(-10, 10, 0.19)^2, disks of radius 1.3 at 7 (cos, sin)(2 pi j / 8) and the
  # origin, points 1.3 to 1.8 from a centre removed.
  axis = np.arange(-10, 10, 0.19)
  grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
  centres = [(7 * np.cos(2 * np.pi * j / 8), 7 * np.sin(2 * np.pi * j / 8)) for j in range(8)]
  r = np.min(np.linalg.norm(grid[:, None] - np.array(centres + [(0.0, 0.0)])[None], axis=2), axis=1)
  expected = {0: 0.1 * grid[r < 1.3], 1: 0.1 * grid[r >= 1.8]}
  ds = make_dataset("d1", _key(), num_train_per_class=1000, num_test_per_class=300)
  for c in (0, 1):
    train, test = ds.x_train[ds.y_train == c], ds.x_test[ds.y_test == c]
    assert len(train) == 1000 and len(test) == 300
    both = np.concatenate([train, test]).astype(np.float64)
    # Every point is one of their grid points of that class, none twice (train, test disjoint).
    nearest = np.min(np.linalg.norm(both[:, None] - expected[c][None], axis=2), axis=1)
    assert nearest.max() < 1e-6
    assert len(np.unique(np.round(both, 6), axis=0)) == len(both)
  x0 = ds.x_train[ds.y_train == 0].astype(np.float64)
  assert _components(x0, 0.05) == 9  # disks 0.5 * 2 * 0.1 = 0.1 apart at least; grid step 0.019
  who = np.argmin(np.linalg.norm(x0[:, None] - 0.1 * np.array(centres + [(0.0, 0.0)])[None], axis=2), axis=1)
  assert np.all(np.bincount(who, minlength=9) > 60)  # every disk populated, the centre one too
  assert _components(ds.x_train[ds.y_train == 1].astype(np.float64), 0.1) == 1  # 1000 of 8706
  np.testing.assert_array_equal(ds.domain, [[-1.0, 1.0], [-1.0, 1.0]])

  # The ground truth, rasterised: class 1 is one piece with nine holes; class 0 nine pieces.
  g = np.linspace(-1.0, 1.0, 401)
  xx, yy = np.meshgrid(g, g)
  class1 = ds.truth(np.stack([xx.ravel(), yy.ravel()], axis=1)).reshape(xx.shape) == 1
  assert ndimage.label(class1)[1] == 1 and ndimage.label(~class1)[1] == 9
  background, count = ndimage.label(~class1)
  border = np.unique(np.concatenate([background[0], background[-1], background[:, 0], background[:, -1]]))
  assert len(set(range(1, count + 1)) - set(border)) == 9  # all nine are holes
  # Margin points (1.3 to 1.8 from a centre) go to the nearer region: the boundary is at 1.55.
  probe = 0.1 * np.array([[1.5, 0.0], [0.0, -1.54], [1.56, 0.0], [7.0, 1.7]])
  np.testing.assert_array_equal(ds.truth(probe), [0, 0, 1, 1])


def test_d1_asks_for_no_more_points_than_its_grid_has():
  # Checked with the other parameters, before anything is generated.
  with pytest.raises(ValueError, match="d1: num_train_per_class \\+ num_test_per_class = 1400 .* 1344"):
    validate_dataset_params("d1", dict(num_train_per_class=1200, num_test_per_class=200))
  validate_dataset_params("d1", dict(num_train_per_class=1144, num_test_per_class=200))


def test_d2_nine_linked_ring_pairs():
  ds = make_dataset("d2", _key(), num_train_per_class=3000, num_test_per_class=10)
  centres = 4.5 * np.array([(i, j, 0) for i in (-1, 0, 1) for j in (-1, 0, 1)], np.float64)
  for c, offset, normal in ((0, -0.5, 2), (1, 0.5, 1)):
    x = ds.x_train[ds.y_train == c].astype(np.float64)
    assert _components(x, 0.35) == 9  # linked rings are 1 - 2 * 0.25 = 0.5 apart
    ring_centres = centres + np.array([offset, 0.0, 0.0])
    q = x[:, None, :] - ring_centres[None]
    height = q[..., normal]
    in_plane = np.sqrt(np.sum(q * q, axis=2) - height**2)
    to_core = np.hypot(in_plane - 1.0, height).min(axis=1)
    assert to_core.max() <= 0.25 + 1e-5  # inside a solid torus of tube radius 0.25
    which = np.hypot(in_plane - 1.0, height).argmin(axis=1)
    # Every torus is a whole ring (first Betti number 1): all angular sectors around it are filled.
    plane_axes = [a for a in range(3) if a != normal]
    for t in range(9):
      qt = q[which == t, t][:, plane_axes]
      sectors = np.floor((np.arctan2(qt[:, 1], qt[:, 0]) + np.pi) / (2 * np.pi) * 12).astype(int)
      assert len(np.unique(np.minimum(sectors, 11))) == 12
  # Gap points go to the nearer core: the boundary is mid-way. From the class-1 ring's centre (a
  # point of the class-0 core) the class-1 core is 1 away along z.
  core0 = centres[4] + np.array([0.5, 0.0, 0.0])
  along = np.array([[0.0, 0.0, z] for z in (0.3, 0.45, 0.55, 0.7)])
  np.testing.assert_array_equal(ds.truth(core0 + along), [0, 0, 1, 1])
  # Linked: each class-1 ring threads the hole of its class-0 ring (and the reverse).
  x0, x1 = ds.x_train[ds.y_train == 0], ds.x_train[ds.y_train == 1]
  for centre in centres:
    q1 = x1 - (centre + [-0.5, 0.0, 0.0])
    assert np.any((np.abs(q1[:, 2]) < 0.25) & (np.hypot(q1[:, 0], q1[:, 1]) < 0.5))
    q0 = x0 - (centre + [0.5, 0.0, 0.0])
    assert np.any((np.abs(q0[:, 1]) < 0.25) & (np.hypot(q0[:, 0], q0[:, 2]) < 0.5))


def test_d3_nested_shells():
  ds = make_dataset("d3", _key(), num_train_per_class=6000, num_test_per_class=10)
  x0, x1 = ds.x_train[ds.y_train == 0], ds.x_train[ds.y_train == 1]
  # Gaps between layers are 0.5; only 8% of class 0 lies in the ball, hence the many points.
  assert _components(x0, 0.35) == 2  # the ball and the outer shell
  assert _components(x1, 0.35) == 1
  r0, r1 = np.linalg.norm(x0, axis=1), np.linalg.norm(x1, axis=1)
  assert np.all((r0 <= 1.0 + 1e-5) | ((r0 >= 2.5 - 1e-5) & (r0 <= 3.0 + 1e-5)))
  assert np.all((r1 >= 1.5 - 1e-5) & (r1 <= 2.0 + 1e-5))
  # Uniform by volume: the ball holds 1 / (1 + 27 - 15.625) of class 0.
  assert abs(np.mean(r0 <= 1.0) - 1.0 / 12.375) < 0.02
  np.testing.assert_array_equal(ds.truth(np.array([[0, 0, 1.2], [0, 0, 1.3], [2.3, 0, 0],
                                                   [2.2, 0, 0], [0, 9.0, 0]])), [0, 1, 0, 1, 0])


# --- validation -----------------------------------------------------------------------------------


def test_unknown_name_lists_valid_names():
  with pytest.raises(ValueError, match="spiral") as info:
    make_dataset("spiral", _key())
  assert ", ".join(sorted(DATASETS)) in str(info.value)
  with pytest.raises(ValueError, match=", ".join(sorted(DATASETS))):
    validate_dataset_params("nope", {})
  with pytest.raises(ValueError, match="valid data sets"):
    dataset_param_names("nope")


def test_unknown_parameter_lists_valid_parameters():
  with pytest.raises(ValueError, match="'nosie'") as info:
    make_dataset("spirals", _key(), nosie=0.1)
  for param in ("num_train_per_class", "num_test_per_class", "noise", "num_arms", "turns"):
    assert param in str(info.value)
  assert dataset_param_names("spirals") == ["num_train_per_class", "num_test_per_class", "noise",
                                            "num_arms", "turns"]


BAD = [
    ("spirals", dict(noise=-0.1), "noise", "-0.1"),
    ("spirals", dict(noise=float("nan")), "noise", "nan"),
    ("rings", dict(num_train_per_class=0), "num_train_per_class", "0"),
    ("xor", dict(num_test_per_class=-3), "num_test_per_class", "-3"),
    ("moons", dict(num_train_per_class=2.0), "num_train_per_class", "2.0"),
    ("blobs", dict(num_train_per_class=True), "num_train_per_class", "True"),
    ("spirals", dict(num_arms=1), "num_arms", "1"),
    ("spirals", dict(turns=0.0), "turns", "0.0"),
    ("rings", dict(num_rings=1), "num_rings", "1"),
    ("rings", dict(radii=((0, 3), (2, 5))), "radii", "(2, 5)"),
    ("rings", dict(radii=((0, 1), (2, 3), (4, 5))), "radii", "num_rings=2"),
    ("d3", dict(radii=((1, 0.5), (2, 3), (4, 5))), "radii", "(1, 0.5)"),
    ("xor", dict(padding=-1.0), "padding", "-1.0"),
    ("blobs", dict(std=1.0), "std", "1.0"),
    ("d1", dict(grid_step=1.5), "grid_step", "1.5"),
    ("d1", dict(circle_radius=4.0), "circle_radius", "4.0"),
    ("d1", dict(half_width=8.5), "half_width", "8.5"),
    ("d1", dict(margin=0.0), "margin", "0.0"),
    ("d1", dict(scale=-1.0), "scale", "-1.0"),
    ("d2", dict(tube_radius=0.6), "tube_radius", "0.6"),
    ("d2", dict(spacing=3.0), "spacing", "3.0"),
]


@pytest.mark.parametrize("name,params,param,value", BAD)
def test_bad_values_raise_before_generation(name, params, param, value):
  with pytest.raises(ValueError, match=param) as info:
    validate_dataset_params(name, params)
  assert value in str(info.value) and name in str(info.value)
  # key=None would fail inside jax.random: a ValueError naming the parameter proves nothing was
  # generated before the check.
  with pytest.raises(ValueError, match=param):
    make_dataset(name, None, **params)


def test_good_values_pass_validation():
  validate_dataset_params("rings", dict(num_rings=3, radii=((0, 1), (2, 3), (4, 5)), noise=0.5))
  validate_dataset_params("d2", dict(tube_radius=0.4, spacing=4.0))
  ds = make_dataset("spirals", _key(), num_train_per_class=np.int64(5), noise=np.float32(0.5),
                    num_test_per_class=5)
  assert ds.x_train.shape == (10, 2) and type(ds.params["num_train_per_class"]) is int
  json.dumps(ds.params)  # numpy scalars from a sweep still serialise


def test_registration_rejects_generators_the_validator_cannot_resolve():
  def positional(key, noise=0.0, num_train_per_class=1, num_test_per_class=1):
    raise AssertionError("never called")

  with pytest.raises(TypeError, match="keyword-only|signature"):
    register("bad_signature")(positional)
  assert "bad_signature" not in DATASETS


def test_dataset_rejects_wrong_dtypes():
  x = np.zeros((4, 2), np.float64)
  y = np.zeros(4, np.int32)
  with pytest.raises(ValueError, match="float32"):
    Dataset("t", x, y, x.astype(np.float32), y, 2, np.zeros((2, 2)), None, {})
