"""research.api: the public API, checked against the study's own run and independent computations."""

import math
from pathlib import Path

import matplotlib
import matplotlib.figure
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from configs.common import sweep_config
from research import api, sweep, train
from research._api_models import default_config
from research.metrics import edge_subdivision
from research.metrics.pwl_networks import forward_numpy

SMALL = dict(widths=[6], depths=[2], num_seeds=3, num_steps=60, num_train_per_class=30,
             num_test_per_class=30, grid_resolution=24)


@pytest.fixture(scope="module")
def models():
  return api.train("spirals", ["relu", "leaky_relu:0.01"], **SMALL)


def docstring_example() -> list[str]:
  """The code lines of research.api's module docstring example."""
  block = api.__doc__.split("decision boundaries:\n\n", 1)[1].split("\n\n", 1)[0]
  return [line[4:] for line in block.splitlines()]


def test_the_docstring_example_is_at_most_six_lines_and_runs(tmp_path, monkeypatch):
  lines = docstring_example()
  assert 1 < len(lines) <= 6 and all(line.strip() for line in lines)
  monkeypatch.chdir(tmp_path)
  scope = {}
  exec("\n".join(lines), scope)  # exactly the documented lines
  m = scope["models"]
  assert len(m) == 8
  assert sorted(m.results.groupby("activation")["seed"].apply(tuple)) == [(0, 1, 2, 3)] * 2
  # 2000 full-batch Adam steps separate spirals well above chance (measured 0.99 on every model).
  assert m.results["test_acc"].min() > 0.9
  image = matplotlib.image.imread(tmp_path / "boundaries.png")
  assert image.shape[0] >= 1.8 * image.shape[1]  # 4 rows (seeds) of 2 panels (activations)


def test_the_readme_shows_the_same_example():
  readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
  assert "\n".join("    " + line for line in docstring_example()) in readme


def test_the_api_lists_about_ten_documented_names():
  assert 10 <= len(api.__all__) <= 12
  for name in api.__all__:
    obj = getattr(api, name)
    assert obj.__doc__ and obj.__doc__.strip(), name
    assert f"{name}" in api.__doc__, f"{name} is not in the module docstring"


def test_api_config_has_every_field_of_a_study_config():
  def keys(c, prefix=""):
    return {prefix + k for k in c.keys()} | {x for k in c.keys() if hasattr(c[k], "keys") and k != "params"
                                             for x in keys(c[k], f"{prefix}{k}.")}
  study = keys(sweep_config("x")) | {"num_seeds", "data.names", "model.activations", "model.widths",
                                     "model.depths"}
  assert keys(default_config()) == study
  # and the same values where both have them
  ours, theirs = default_config().to_dict(), sweep_config("x").to_dict()
  for group in ("data", "model", "optim", "eval"):
    for k, v in theirs[group].items():
      assert ours[group][k] == v, f"{group}.{k}"


def test_train_equals_the_study_and_load_workdir_gives_the_same_models(models, tmp_path):
  config = models.config
  summary = sweep.run_sweep(config, str(tmp_path), progress=False)
  assert summary.num_models == len(models) == 6
  loaded = api.load_workdir(tmp_path)
  results = pd.read_csv(tmp_path / "results.csv")
  timing = ["wall_time_s", "compile_time_s"]
  pd.testing.assert_frame_equal(models.results.drop(columns=timing), results.drop(columns=timing),
                                check_dtype=False, check_like=True)
  pd.testing.assert_frame_equal(models.results.drop(columns=timing), loaded.results.drop(columns=timing))
  pd.testing.assert_frame_equal(models.curves, loaded.curves)
  for i in range(len(models)):
    (k1, b1), (k2, b2) = models.weights(i), loaded.weights(i)
    assert len(k1) == len(k2) == 3
    for a, b in zip(k1 + b1, k2 + b2):
      np.testing.assert_array_equal(a, b)
  curves = pd.read_csv(tmp_path / "curves.csv")
  np.testing.assert_allclose(models.curves["test_loss"], curves["test_loss"], rtol=1e-6)


def test_each_seed_draws_its_data_once_for_every_activation(models):
  rows = models.results
  for i in range(len(models)):
    seed = int(rows["seed"][i])
    drawn = api.load_dataset("spirals", seed=seed, num_train_per_class=30, num_test_per_class=30)
    np.testing.assert_array_equal(models.data(i).x_train, drawn.x_train)
  relu0, leaky0 = rows.index[(rows["seed"] == 0)]
  assert not np.array_equal(models.data(relu0).x_train, models.data(int(rows.index[rows["seed"] == 1][0])).x_train)
  np.testing.assert_array_equal(models.data(relu0).x_train, models.data(leaky0).x_train)


def test_evaluate_adds_a_family_and_regions_agree_with_edge_subdivision(models):
  evaluated = api.evaluate(models, "exact_regions")
  assert "num_regions" not in models.results and "num_regions" in evaluated.results
  for i in range(len(models)):
    r = api.regions(models, i)
    kernels, biases = models.weights(i)
    fast = edge_subdivision.count_regions_fast(kernels, biases, models.pwl(i), models.data(i).domain)
    assert r.num_regions == fast == evaluated.results["num_regions"][i]
    (x0, x1), (y0, y1) = models.data(i).domain
    assert math.isclose(r.areas.sum(), (x1 - x0) * (y1 - y0), rel_tol=1e-9)  # a tiling of the domain


def test_plot_boundaries_draws_what_the_weights_predict(models):
  fig = api.plot_boundaries(models, resolution=40)
  assert isinstance(fig, matplotlib.figure.Figure)
  axes = [ax for ax in fig.axes if ax.get_visible()]
  assert len(axes) == len(models)
  for i, ax in enumerate(_by_model(models, axes)):
    shown = np.asarray(ax.images[0].get_array())
    kernels, biases = models.weights(i)
    domain = np.asarray(models.data(i).domain)
    xs = domain[0, 0] + (domain[0, 1] - domain[0, 0]) * (np.arange(40) + 0.5) / 40
    ys = domain[1, 0] + (domain[1, 1] - domain[1, 0]) * (np.arange(40) + 0.5) / 40
    gx, gy = np.meshgrid(xs, ys)
    logits = forward_numpy(kernels, biases, models.pwl(i), np.stack([gx.ravel(), gy.ravel()], 1))
    expected = (logits[:, 0] > 0).reshape(40, 40)
    assert np.mean(shown == expected) > 0.995  # float32 vs float64 near the boundary only


def _by_model(models, axes):
  """The visible panels in model order (titles name activation and seed)."""
  found = {}
  for ax in axes:
    act, seed = ax.get_title().split("\n")[0].rsplit(", seed ", 1)
    found[(act, int(seed))] = ax
  return [found[(r["activation"], r["seed"])] for _, r in models.results.iterrows()]


def test_plot_regions_draws_each_region(models):
  fig = api.plot_regions(models, [0, 3])
  axes = [ax for ax in fig.axes if ax.get_visible()]
  assert len(axes) == 2
  counts = sorted(len(c.get_paths()) for ax in axes for c in ax.collections if isinstance(c, PolyCollection))
  assert counts == sorted(api.regions(models, i).num_regions for i in (0, 3))


def test_plot_hidden_units_marks_the_dead_units(models):
  num_marked = 0
  for i in range(len(models)):  # relu and leaky_relu models
    fig = api.plot_hidden_units(models, i, resolution=32)
    panels = {ax.get_gid(): ax for ax in fig.axes if (ax.get_gid() or "").startswith("unit ")}
    assert len(panels) == 6 * 2  # every unit of both hidden layers
    # The rule by hand, in float64 numpy: off (pre-activation <= 0) on the plane grid and the
    # training points, and dead where the activation is then zero too (ReLU, not LeakyReLU).
    kernels, biases = models.weights(i)
    domain = np.asarray(models.data(i).domain)
    xs = domain[0, 0] + (domain[0, 1] - domain[0, 0]) * (np.arange(32) + 0.5) / 32
    ys = domain[1, 0] + (domain[1, 1] - domain[1, 0]) * (np.arange(32) + 0.5) / 32
    gx, gy = np.meshgrid(xs, ys)
    a = np.concatenate([np.stack([gx.ravel(), gy.ravel()], 1), models.data(i).x_train.astype(np.float64)])
    slope = models.results["slope"][i]
    train_dead = []
    for layer, (w, b) in enumerate(zip(kernels[:-1], biases[:-1])):
      z = a @ w + b
      a = np.where(z >= 0, z, slope * z)
      off = (z <= 0).all(axis=0)
      expected = off & (a == 0).all(axis=0)
      marked = [any(t.get_text() == "dead" for t in panels[f"unit l{layer} u{j}"].texts) for j in range(6)]
      assert marked == expected.tolist(), (i, layer)
      num_marked += sum(marked)
      train_dead.append((z[32 * 32:] <= 0).all(axis=0))
      assert not (expected & ~train_dead[-1]).any()  # a marked unit is dead on the data too
    # the training-point rule by hand is the dead_fraction column
    assert np.mean(np.concatenate(train_dead)) == pytest.approx(models.results["dead_fraction"][i])
  assert num_marked > 0  # these small ReLU nets have dead units: the marks were tested


def test_plot_curves_draws_one_line_per_model(models):
  fig = api.plot_curves(models, "train_acc")
  lines = fig.axes[0].get_lines()
  assert len(lines) == len(models)
  first = models.curves[models.curves["model"] == 0]
  np.testing.assert_array_equal(lines[0].get_ydata(), first["train_acc"])


def test_verdict_pairs_by_seed(models):
  h = api.Hypothesis(claim="ReLU reaches a higher test accuracy than LeakyReLU(0.01)", study="relu_vs_leaky",
                     factor="activation", treatment="relu", control="leaky_relu:0.01", metric="test_acc",
                     direction="greater", min_effect=0.01, conditions={"dataset": ["spirals"]}, num_seeds=3)
  result = api.verdict(models, h, n_boot=200)
  r = models.results.set_index(["activation", "seed"])["test_acc"]
  by_hand = np.mean([r["relu", s] - r["leaky_relu:0.01", s] for s in range(3)])
  assert result.cells["n"].tolist() == [3]
  assert math.isclose(result.cells["mean_diff"][0], by_hand, abs_tol=1e-12)
  assert result.verdict in ("SUPPORTED", "SMALLER THAN CLAIMED", "REFUTED", "INCONCLUSIVE")


@pytest.mark.parametrize("call,fragment", [
    (lambda: api.train("spirall", ["relu"]), "valid data sets: "),
    (lambda: api.train("spirals", ["relux"]), "valid activations: "),
    (lambda: api.train("spirals", ["leaky_relu"]), "needs an explicit slope"),
    (lambda: api.train("spirals", ["leaky_relu:0.01"], slopes=[0.2]), "slope given twice"),
    (lambda: api.train("spirals", ["relu", "tanh"], slopes=[0.2]), "activations with a slope: leaky_relu, prelu"),
    (lambda: api.train("spirals", ["relu+leaky_relu"], slopes=[0.2]), "is per layer: slopes=.* single activations"),
    (lambda: api.train("spirals", ["relu"], nosie=0.2), "valid settings: "),
    (lambda: api.train("spirals", ["relu"], widths=[0]), "config.model.widths"),
    (lambda: api.load_dataset("moonz"), "valid data sets: "),
])
def test_mistakes_raise_before_anything_compiles(call, fragment):
  traces = train.TRACE_COUNT["train_chunk"]
  with pytest.raises(ValueError, match=fragment) as e:
    call()
  assert "\n" not in str(e.value)
  assert train.TRACE_COUNT["train_chunk"] == traces


def test_mistakes_on_trained_models_name_the_valid_choices(models):
  with pytest.raises(ValueError, match="valid metric families: .*exact_regions"):
    api.evaluate(models, "exact_region")
  with pytest.raises(ValueError, match=r"valid: 0\.\.5"):
    api.plot_regions(models, [6])
  with pytest.raises(ValueError, match="curves hold train_loss"):
    api.plot_curves(models, "loss")
  with pytest.raises(ValueError, match="not a finished study's workdir"):
    api.load_workdir("/nonexistent")


def test_slopes_expand_a_bare_slope_taking_name():
  from research.api import _activation_specs
  assert _activation_specs(["relu", "leaky_relu"], [0.01, 0.2]) == ["relu", "leaky_relu:0.01", "leaky_relu:0.2"]
  assert _activation_specs(["relu+leaky_relu:0.2", "tanh"], []) == ["relu+leaky_relu:0.2", "tanh"]
