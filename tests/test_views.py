"""research/views and experiments.views: the animation has a frame per saved step and a panel per
model, the loaded weights are the trained ones (they reproduce results.csv and checkpoints.csv),
the hidden-unit figure has a panel per unit and marks dead units, and the explorer page holds
every model's results row and renders the selected model in a real browser (headless Chromium,
skipped where it is not installed)."""

import html.parser
import math
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from configs.relu_vs_leaky import get_config
from research import studies
from research.study import run_study
from research.validation import ConfigError, validate_study_config
from research.views import NO_CHECKPOINTS, write_views
from research.views import animation, explorer, hidden_units, net as netlib
from research.views.loading import Run, select

ACTIVATIONS = ("relu", "leaky_relu:0.01")
NUM_STEPS, CHECKPOINTS = 60, (0, 20)


def tiny_config():
  c = get_config("quick")
  c.data.names = ("spirals",)
  c.model.activations = ACTIVATIONS
  c.num_seeds = 2
  c.data.num_train_per_class = 40
  c.data.num_test_per_class = 40
  c.optim.num_steps = NUM_STEPS
  c.optim.eval_every_steps = 20
  c.eval.grid_resolution = 16
  c.eval.metrics = ("core", "exact_regions")
  c.eval.checkpoint_steps = CHECKPOINTS
  c.eval.skip_at_checkpoints = ("exact_regions",)  # weights saved, regions measured at the end only
  c.eval.expensive_seeds = 1
  return c


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
  root = tmp_path_factory.mktemp("views") / "run"
  run_study(studies.get_study("relu_vs_leaky"), tiny_config(), root, draw=False, progress=False)
  views = write_views(root, resolution=32)
  return root, views


def _paths(views, suffix):
  return [f.path for f in views.figures if str(f.path).endswith(suffix)]


# ----------------------------------------------------------------------------- the loaded weights

def test_final_weights_reproduce_the_results_rows(run_dir):
  root, _ = run_dir
  run = Run(root)
  for _, row in run.results.iterrows():
    d = run.data(row)
    net = run.net(row)
    # numpy forward pass of the stored weights vs the engine's own evaluation at the end of training
    assert netlib.accuracy(net, d.x_test, d.y_test) == pytest.approx(row["test_acc"], abs=1e-6)
    if np.isfinite(row["num_regions"]):
      assert netlib.exact_regions(net, d.domain).num_regions == row["num_regions"]


def test_checkpoint_weights_reproduce_checkpoints_csv(run_dir):
  root, _ = run_dir
  run = Run(root)
  checkpoints = pd.read_csv(root / "checkpoints.csv")
  assert sorted(checkpoints["step"].unique()) == list(CHECKPOINTS)
  # eval.skip_at_checkpoints: the skipped family's columns only in results.csv, core's in both
  assert "num_regions" in run.results and "num_regions" not in checkpoints
  assert "dead_fraction" in checkpoints and "train_acc" in checkpoints
  for _, c in checkpoints.iterrows():
    row = run.results[(run.results["unit"] == c["unit"]) & (run.results["model_index"] == c["model_index"])].iloc[0]
    d = run.data(row)
    at_step = run.net(row, f"s{c['step']}")
    assert netlib.accuracy(at_step, d.x_train, d.y_train) == pytest.approx(c["train_acc"], abs=1e-6)


def test_default_selection_is_relu_and_leaky_at_the_median_seed(run_dir):
  root, _ = run_dir
  results = Run(root).results
  sel = select(results)
  assert sel.activations == ACTIVATIONS and sel.dataset == "spirals"
  relu = results[results["activation"] == "relu"].sort_values(["test_acc", "seed"])
  assert sel.seed == relu["seed"].iloc[(len(relu) - 1) // 2]
  assert select(results, "seed=1,activation=leaky_relu:0.01").activations == ("leaky_relu:0.01",)
  for bad, fragment in [("seed=7", "valid: 0, 1"), ("colour=red", "valid keys"), ("activation=tanh", "valid: relu"),
                        ("seed", "not key=value")]:
    with pytest.raises(ValueError, match=fragment):
      select(results, bad)


def test_skipping_core_at_checkpoints_keeps_the_weights_and_the_fit_only(tmp_path):
  from research import sweep
  c = tiny_config()
  c.num_seeds, c.optim.num_steps = 1, 40
  c.eval.skip_at_checkpoints = ("core",)
  sweep.run_sweep(c, str(tmp_path), progress=False)
  checkpoints = pd.read_csv(tmp_path / "checkpoints.csv")
  assert {"train_acc", "test_loss"} <= set(checkpoints) and "dead_fraction" not in checkpoints
  run = Run(tmp_path)
  assert run.checkpoint_steps(run.results.iloc[0]) == list(CHECKPOINTS)


@pytest.mark.parametrize("skip,fragment", [(("regions",), "valid: "), (("core", "boundry"), "'boundry'")])
def test_bad_skip_at_checkpoints_is_one_line_naming_the_field(skip, fragment):
  c = get_config()
  c.eval.skip_at_checkpoints = skip
  with pytest.raises(ConfigError, match=fragment) as e:
    validate_study_config(c)
  assert "eval.skip_at_checkpoints" in str(e.value) and "\n" not in str(e.value)


# ----------------------------------------------------------------------------- the animation

def test_animation_has_a_frame_per_saved_step(run_dir):
  root, views = run_dir
  (gif,) = _paths(views, ".gif")
  with Image.open(gif) as im:
    assert im.n_frames == len(set(CHECKPOINTS) | {NUM_STEPS})
    frames = []
    for k in range(im.n_frames):
      im.seek(k)
      frames.append(np.asarray(im.convert("RGB")))
  assert all(not np.array_equal(a, b) for a, b in zip(frames, frames[1:]))  # training moves the boundary
  assert gif.stat().st_size < 1_000_000


def test_animation_frame_has_a_panel_per_model_and_is_deterministic(run_dir, tmp_path):
  root, views = run_dir
  run = Run(root)
  rows = run.rows(select(run.results))
  d = run.data(rows[0])
  fig = animation.frame_figure(20, [run.net(r, "s20") for r in rows], list(ACTIVATIONS), d.domain,
                               truth=d.truth, resolution=24)
  assert sum(ax.get_gid() == "panel" for ax in fig.axes) == 2
  assert fig._suptitle.get_text().startswith("step 20")
  nets = [[run.net(r, w) for r in rows] for w in ("s0", "final")]
  paths = [animation.write_animation([0, NUM_STEPS], nets, list(ACTIVATIONS), d.domain, tmp_path / f"{k}.gif",
                                     truth=d.truth, resolution=24) for k in range(2)]
  assert paths[0].read_bytes() == paths[1].read_bytes()


def test_a_run_without_checkpoints_gets_the_other_views_and_a_note(run_dir, tmp_path):
  root, _ = run_dir
  copy = tmp_path / "no_checkpoints"
  shutil.copytree(root, copy)
  for npz in (copy / "units").glob("*.npz"):  # as a run without eval.checkpoint_steps stores them
    with np.load(npz) as z:
      kept = {k: z[k] for k in z.files if not k.startswith("weights_s")}
    np.savez(npz, **kept)
  views = write_views(copy, explorer=False, resolution=24)
  assert views.notes == [NO_CHECKPOINTS]
  assert not _paths(views, ".gif") and len(_paths(views, ".png")) == 2


# ----------------------------------------------------------------------------- hidden units

def test_hidden_unit_figure_has_a_panel_per_unit(run_dir):
  root, views = run_dir
  assert len(_paths(views, ".png")) == len(ACTIVATIONS)
  run = Run(root)
  row = run.rows(select(run.results))[0]
  net = run.net(row)
  fig = hidden_units.hidden_units_figure(net, run.data(row).domain, resolution=16)
  gids = [ax.get_gid() for ax in fig.axes if ax.get_gid()]
  assert sorted(g for g in gids if g.startswith("unit")) == sorted(
      f"unit l{l} u{j}" for l, w in enumerate(net.widths) for j in range(w))
  assert gids.count("output") == 1


def _dead_unit_net(activation):
  """2-3-3-1 net whose layer-1 unit 2 has zero weights and bias -1: pre-activation -1 everywhere."""
  rng = np.random.default_rng(0)
  k1, b1 = rng.normal(size=(2, 3)), np.array([0.1, -1.0, 0.2])
  k1[:, 1] = 0.0
  return netlib.make_net([k1, rng.normal(size=(3, 3)), rng.normal(size=(3, 1))],
                         [b1, np.full(3, 0.3), np.zeros(1)], activation)


@pytest.mark.parametrize("activation,mark", [("relu", "dead"), ("leaky_relu:0.1", "inactive")])
def test_a_dead_unit_is_marked(activation, mark):
  net = _dead_unit_net(activation)
  domain = np.array([[-1.0, 1.0], [-1.0, 1.0]])
  points = np.random.default_rng(1).uniform(-1, 1, (50, 2))
  maps = hidden_units.unit_maps(net, domain, 16, points)
  assert maps.inactive[0].tolist() == [False, True, False]
  assert maps.dead[0].tolist() == [False, activation == "relu", False]
  fig = hidden_units.hidden_units_figure(net, domain, data=(points, np.zeros(50, int)), resolution=16)
  texts = {ax.get_gid(): [t.get_text() for t in ax.texts] for ax in fig.axes if ax.get_gid()}
  assert texts["unit l0 u1"] == [mark]
  assert all(not t for gid, t in texts.items() if gid != "unit l0 u1")


def test_a_unit_dead_on_the_data_only_is_marked_so():
  # Layer-1 unit 0 is x - 0.5: inactive on points with x < 0.5, active on the right of the plane.
  net = netlib.make_net([np.array([[1.0, 1.0], [0.0, 1.0]]), np.ones((2, 1))], [np.array([-0.5, 0.0]), np.zeros(1)],
                        "relu")
  domain = np.array([[-1.0, 1.0], [-1.0, 1.0]])
  points = np.random.default_rng(2).uniform(-1, 0.4, (40, 2))
  maps = hidden_units.unit_maps(net, domain, 16, points)
  assert [maps.mark(0, j) for j in range(2)] == ["dead on data", ""]
  # the results table's rule (research/metrics/sparsity.py): inactive on every training point
  assert maps.dead_on_data[0].tolist() == np.all(netlib.hidden(net, points)[0][0] <= 0, axis=0).tolist()


def test_make_net_refuses_a_wrong_number_of_layer_activations():
  rng = np.random.default_rng(0)
  with pytest.raises(ValueError, match="for 2 hidden layers"):
    netlib.make_net([rng.normal(size=s) for s in ((2, 3), (3, 3), (3, 1))], [np.zeros(3), np.zeros(3), np.zeros(1)],
                    ["relu", "tanh", "relu"])


# ----------------------------------------------------------------------------- the explorer

class _Scripts(html.parser.HTMLParser):
  def __init__(self):
    super().__init__()
    self.ids, self.scripts, self._in = {}, {}, None

  def handle_starttag(self, tag, attrs):
    a = dict(attrs)
    if "id" in a:
      self.ids[a["id"]] = a
    self._in = a.get("id") if tag == "script" else None

  def handle_data(self, data):
    if self._in:
      self.scripts[self._in] = self.scripts.get(self._in, "") + data


def test_explorer_holds_every_model_with_its_results_row(run_dir):
  root, views = run_dir
  (page,) = _paths(views, ".html")
  parser = _Scripts()
  parser.feed(page.read_text())
  assert {"plane", "sel-dataset", "sel-seed", "metrics", "curve", "selected"} <= set(parser.ids)
  data = explorer.read_explorer_data(page)
  results = pd.read_csv(root / "results.csv")
  assert len(data["models"]) == len(results)
  for m, (_, row) in zip(data["models"], results.iterrows()):
    for column, mine in zip(data["columns"], m["row"]):
      theirs = row[column]
      if isinstance(theirs, float) and math.isnan(theirs):
        assert mine is None, column
      elif isinstance(theirs, (float, np.floating)):
        assert mine == pytest.approx(theirs, rel=1e-6, abs=1e-12), column
      else:
        assert mine == theirs, column
  assert set(data["columns"]) == set(results.columns) - {"unit", "model_index"}
  run = Run(root)
  for m, (_, row) in zip(data["models"], results.iterrows()):
    net = run.net(row)
    flat = np.frombuffer(__import__("base64").b64decode(m["w"]), "<f4")
    layers = [np.r_[k.ravel(), b] for k, b in zip(net.kernels, net.biases)]
    assert np.array_equal(flat, np.concatenate(layers).astype("<f4"))
    assert m["curve"]["test_loss"][-1] == pytest.approx(row["test_loss"], rel=1e-5)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_explorer_renders_the_selected_model_in_chromium(run_dir):
  root, views = run_dir
  (page,) = _paths(views, ".html")
  want = dict(dataset="spirals", activation="leaky_relu:0.01", architecture="w8 d2", lr="0.01", seed="1")
  url = page.resolve().as_uri() + "#" + "&".join(f"{k}={v}" for k, v in want.items())
  dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url],
                       capture_output=True, text=True, timeout=120).stdout
  parser = _Scripts()
  parser.feed(dom)
  data = explorer.read_explorer_data(page)
  index = int(parser.ids["selected"]["data-model-index"])
  m = data["models"][index]
  assert (m["activation"], m["seed"]) == ("leaky_relu:0.01", 1)
  # The page's own forward pass (JS, float32 weights) against numpy's on the same pixel centres.
  fractions = __import__("json").loads(parser.ids["class-fractions"]["data-fractions"])
  run = Run(root)
  row = run.results[(run.results["activation"] == "leaky_relu:0.01") & (run.results["seed"] == 1)].iloc[0]
  points, _ = netlib.grid(run.data(row).domain, data["resolution"])
  pred = netlib.predicted_class(run.net(row), points)
  assert fractions[1] == pytest.approx(pred.mean(), abs=2e-3)
  assert f"{row['test_acc']:.4g}" in dom


# ----------------------------------------------------------------------------- the command

def test_the_command_writes_the_views_and_refuses_bad_input_in_one_line(run_dir, tmp_path, capsys):
  from experiments.views import main
  root, _ = run_dir
  with pytest.raises(SystemExit) as e:
    main(["prog", f"--workdir={root}", "--model=seed=0,activation=relu", "--noexplorer", "--resolution=24"])
  assert e.value.code == 0
  out = capsys.readouterr().out
  assert "boundary_through_training_spirals_w8_d2_seed0.gif" in out
  assert "hidden_units_spirals_w8_d2_seed0_relu.png" in out
  for args, fragment in [([f"--workdir={tmp_path}"], "not a finished run"),
                         ([f"--workdir={root}", "--model=seed=9"], "seed='9' is not in this run"),
                         ([f"--workdir={root}", "--model=width"], "not key=value")]:
    with pytest.raises(SystemExit) as e:
      main(["prog", *args])
    assert e.value.code == 2
    lines = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
    assert len(lines) == 1 and fragment in lines[0], lines


def test_hidden_unit_png_is_identical_between_two_draws(tmp_path):
  net = _dead_unit_net("relu")
  domain = np.array([[-1.0, 1.0], [-1.0, 1.0]])
  a, b = (hidden_units.plot_hidden_units(net, domain, tmp_path / f"{k}.png", resolution=16) for k in "ab")
  assert a.read_bytes() == b.read_bytes()
