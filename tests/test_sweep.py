import numpy as np
import pandas as pd
import pytest

from configs.relu_vs_leaky import get_config
from research import datasets, sweep
from research.activations import parse_activation
from research.metrics import family, regions
from research.models import ModelSpec, dense_weights, init_model


def tiny_config():
  c = get_config("quick")
  c.data.names = ("rings", "xor")
  c.model.activations = ("relu", "leaky_relu:0.2")
  c.num_seeds = 2
  c.optim.num_steps = 20
  c.optim.eval_every_steps = 10
  c.eval.grid_resolution = 16
  c.eval.metrics = ("core", "boundary")
  c.eval.checkpoint_steps = ()
  return c


def test_units_group_the_leaky_family_and_pair_seeds():
  c = tiny_config()
  c.model.activations = ("relu", "leaky_relu:0.2", "tanh")
  units = sweep.plan_units(c)
  assert [(u.dataset, u.family, len(u.activations)) for u in units] == [
      ("rings", "leaky", 2), ("rings", "tanh", 1), ("xor", "leaky", 2), ("xor", "tanh", 1)]
  batch, rows = sweep.unit_models(c, units[0])
  relu = [i for i, r in enumerate(rows) if r["activation"] == "relu"]
  leaky = [i for i, r in enumerate(rows) if r["activation"] == "leaky_relu:0.2"]
  # Paired: the same init seed and data instance, only the slope differs.
  np.testing.assert_array_equal(batch.seed[relu], batch.seed[leaky])
  np.testing.assert_array_equal(batch.data_index[relu], batch.data_index[leaky])
  assert set(batch.slope[relu]) == {0.0} and set(batch.slope[leaky]) == {np.float32(0.2)}


def test_failing_unit_is_recorded_and_others_run(tmp_path, monkeypatch):
  c = tiny_config()
  original = family.metric_families()["boundary"]

  def flaky(ctx):
    if ctx.rows[0]["dataset"] == "xor":
      raise RuntimeError("metric exploded")
    return original(ctx)

  monkeypatch.setitem(family.FAMILIES, "boundary", flaky)
  summary = sweep.run_sweep(c, tmp_path, progress=False)
  assert len(summary.failed_units) == 1 and "metric exploded" in summary.failed_units[0]
  results = pd.read_csv(tmp_path / "results.csv")
  assert set(results["dataset"]) == {"rings"} and len(results) == 4
  # The failure is on disk with its error; a rerun retries exactly that unit.
  monkeypatch.setitem(family.FAMILIES, "boundary", original)
  again = sweep.run_sweep(c, tmp_path, progress=False)
  assert again.failed_units == [] and again.skipped_units == 1
  assert set(pd.read_csv(tmp_path / "results.csv")["dataset"]) == {"rings", "xor"}


def test_robustness_at_zero_noise_is_the_clean_accuracy(tmp_path):
  c = tiny_config()
  c.data.names = ("moons",)
  c.eval.metrics = ("core", "robustness")
  c.eval.noise_stds = (0.0, 0.5, 5.0)
  sweep.run_sweep(c, tmp_path, progress=False)
  r = pd.read_csv(tmp_path / "results.csv")
  np.testing.assert_allclose(r["noise_acc_0"], r["test_acc"], atol=1e-6)
  assert (r["noise_acc_5"] < r["test_acc"]).all()  # noise far larger than the data destroys it


def test_same_config_twice_gives_bit_identical_tables(tmp_path):
  c = tiny_config()
  sweep.run_sweep(c, tmp_path / "a", progress=False)
  sweep.run_sweep(c, tmp_path / "b", progress=False)
  a, b = (pd.read_csv(tmp_path / d / "results.csv") for d in "ab")
  timing = [col for col in a.columns if col.endswith("time_s")]
  pd.testing.assert_frame_equal(a.drop(columns=timing), b.drop(columns=timing), check_exact=True)


def test_dataset_spec_arguments_reach_the_generator():
  c = tiny_config()
  name, params = datasets.dataset_params(c.data, "rings:num_rings=3")
  assert name == "rings" and params["num_rings"] == 3
  with pytest.raises(ValueError, match="valid"):
    datasets.dataset_params(c.data, "ringz")


def test_relu_64x3_reaches_95_percent_on_spirals_within_the_default_budget(tmp_path):
  c = get_config()  # the default training budget (steps, learning rate, data size, noise)
  assert c.data.noise == 0.1
  c.data.names = ("spirals",)
  c.model.activations = ("relu",)
  c.model.widths, c.model.depths = (64,), (3,)
  c.num_seeds = 2
  c.eval.metrics = ("core",)
  sweep.run_sweep(c, tmp_path, progress=False)
  results = pd.read_csv(tmp_path / "results.csv")
  assert len(results) == 2 and (results["test_acc"] >= 0.95).all(), results["test_acc"].tolist()


def test_metrics_at_checkpoints_through_training(tmp_path):
  c = tiny_config()
  c.data.names = ("rings",)
  c.eval.metrics = ("core", "exact_regions")
  c.eval.expensive_seeds = 2
  c.eval.checkpoint_steps = (0, 20)  # 20 = the last step: must equal results.csv
  sweep.run_sweep(c, tmp_path, progress=False)
  final = pd.read_csv(tmp_path / "results.csv")
  ckpt = pd.read_csv(tmp_path / "checkpoints.csv")
  assert sorted(ckpt["step"].unique()) == [0, 20] and len(ckpt) == 2 * len(final)
  last = ckpt[ckpt["step"] == 20].reset_index(drop=True)
  for col in ("num_regions", "dead_fraction", "num_patterns_grid"):
    np.testing.assert_array_equal(last[col], final[col])
  # Step 0 against an independent enumeration of freshly initialised models of the same seeds.
  unit = sweep.plan_units(c)[0]
  batch, rows = sweep.unit_models(c, unit)
  instances = sweep.make_data(c, "rings")
  spec = ModelSpec(2, (unit.width,) * unit.depth, 2, unit.activations[0], c.model.init)
  at_init = ckpt[ckpt["step"] == 0].reset_index(drop=True)
  for i, row in enumerate(rows):
    if row["seed"] >= c.eval.expensive_seeds:
      continue
    params, _ = init_model(spec, batch.seed[i], batch.slope[i])
    kernels, biases = dense_weights(params)
    act = parse_activation(row["activation"])
    r = regions.enumerate_regions([np.asarray(k, np.float64) for k in kernels],
                                  [np.asarray(b, np.float64) for b in biases], act.pwl(),
                                  np.asarray(instances[row["seed"]].domain))
    assert at_init.loc[i, "num_regions"] == r.num_regions


# ----------------------------------------------------------------------------- damaged results

@pytest.fixture(scope="module")
def undamaged(tmp_path_factory):
  """A finished two-unit sweep: its workdir and tables."""
  root = tmp_path_factory.mktemp("undamaged")
  sweep.run_sweep(tiny_config(), str(root), progress=False)
  return root, pd.read_csv(root / "results.csv")


def _comparable(frame):
  return frame.drop(columns=[c for c in frame.columns if c.endswith("time_s")])


def _first_unit(workdir):
  return sorted((workdir / "units").glob("*.json"))[0].stem


def _edit_value(path):
  import json
  record = json.loads(path.read_text())
  record["rows"][0]["test_acc"] = 1.0 - record["rows"][0]["test_acc"]  # checksum left as it was
  path.write_text(json.dumps(record))


def _stale_code(path):
  import json
  from research import store
  record = json.loads(path.read_text())
  record["code"] = "0.0.1+0123456789ab"
  record["checksum"] = store._record_digest(record)  # whole and valid, but from other code
  path.write_text(json.dumps(record))


DAMAGE = {
    "truncated record": (lambda p: p.write_text(p.read_text()[: len(p.read_text()) // 2]), "unreadable record"),
    "garbled record": (lambda p: p.write_bytes(b"\xff\x00{garbage"), "unreadable record"),
    "empty record": (lambda p: p.write_text(""), "unreadable record"),
    "deleted record": (lambda p: p.unlink(), None),
    "truncated arrays": (lambda p: p.with_suffix(".npz").write_bytes(p.with_suffix(".npz").read_bytes()[:100]),
                         "arrays file damaged"),
    "deleted arrays": (lambda p: p.with_suffix(".npz").unlink(), "arrays file missing"),
    "edited value": (_edit_value, "checksum mismatch"),
    "stale code fingerprint": (_stale_code, "computed by other code (0.0.1+0123456789ab"),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_unit_is_reported_and_only_it_recomputed(undamaged, tmp_path, monkeypatch, capsys, kind):
  import shutil
  base, results = undamaged
  workdir = tmp_path / "w"
  shutil.copytree(base, workdir)
  damage, reason = DAMAGE[kind]
  damage(workdir / "units" / f"{_first_unit(base)}.json")
  calls = []
  real = sweep.run_unit
  monkeypatch.setattr(sweep, "run_unit", lambda *a, **k: calls.append(1) or real(*a, **k))
  capsys.readouterr()
  summary = sweep.run_sweep(tiny_config(), str(workdir), progress=False)
  printed = capsys.readouterr().out
  assert len(calls) == 1 and summary.skipped_units == 1 and not summary.failed_units
  if reason:
    assert reason in printed and "recomputing" in printed, printed
  pd.testing.assert_frame_equal(_comparable(pd.read_csv(workdir / "results.csv")), _comparable(results))


def test_a_run_with_more_seeds_trains_only_the_new_ones(tmp_path, monkeypatch, undamaged):
  import shutil
  base, _ = undamaged
  workdir = tmp_path / "more"
  shutil.copytree(base, workdir)
  more = tiny_config()
  more.num_seeds = 3
  calls = []
  real = sweep.run_unit
  monkeypatch.setattr(sweep, "run_unit", lambda config, unit, *a, **k: calls.append(unit.seeds) or real(config, unit, *a, **k))
  summary = sweep.run_sweep(more, str(workdir), progress=False, overwrite=True)
  assert summary.skipped_units == 0  # --overwrite: a fresh run, every seed trained
  calls.clear()
  workdir2 = tmp_path / "grown"
  shutil.copytree(base, workdir2)
  summary = sweep.run_sweep(more, str(workdir2), progress=False)  # the same run, with more seeds
  assert calls == [(2, 3), (2, 3)] and summary.skipped_units == 2 and summary.num_models == 12
  grown, fresh = pd.read_csv(workdir2 / "results.csv"), pd.read_csv(workdir / "results.csv")
  keys = ["dataset", "activation", "seed"]
  a = _comparable(grown).drop(columns=["unit", "model_index"]).sort_values(keys).reset_index(drop=True)
  b = _comparable(fresh).drop(columns=["unit", "model_index"]).sort_values(keys).reset_index(drop=True)
  pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-5, atol=1e-6)
