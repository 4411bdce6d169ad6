"""research/metric_writers.py and --config.eval.tensorboard: event files that TensorBoard's own reader
loads, holding exactly the values of curves.csv, results.csv and checkpoints.csv."""

import math

import ml_collections
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tensorboard")  # the `tensorboard` extra; `make test` installs it
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from configs.relu_vs_leaky import get_config
from research import metric_writers, sweep, train
from research.validation import ConfigError, validate_study_config

TINY = '''
from configs.relu_vs_leaky import get_config as base
def get_config(arg=None):
  c = base("quick")
  c.data.names = ("spirals",)
  c.model.activations = ("relu", "leaky_relu:0.01")
  c.num_seeds = 2
  c.data.num_train_per_class = 20
  c.data.num_test_per_class = 20
  c.model.widths = (4,)
  c.model.depths = (1,)
  c.optim.num_steps = 20
  c.optim.eval_every_steps = 10
  c.eval.grid_resolution = 16
  c.eval.metrics = ("core", "exact_regions")
  c.eval.expensive_seeds = 2
  c.eval.checkpoint_steps = (0, 10)
  return c
'''


def tiny_config():
  c = get_config("quick")
  c.data.names = ("spirals",)
  c.model.activations = ("relu", "leaky_relu:0.01")
  c.num_seeds = 2
  c.data.num_train_per_class = 20
  c.data.num_test_per_class = 20
  c.model.widths = (4,)
  c.model.depths = (1,)
  c.optim.num_steps = 20
  c.optim.eval_every_steps = 10
  c.eval.grid_resolution = 16
  c.eval.metrics = ("core",)
  c.eval.checkpoint_steps = ()
  return c


def scalars(run_dir) -> dict[str, list[tuple[int, float]]]:
  """tag -> [(step, value)] as TensorBoard's classic reader loads them."""
  acc = EventAccumulator(str(run_dir))
  acc.Reload()
  return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def check_runs_match_tables(workdir):
  """Every model has a run whose scalars are its rows of curves.csv, results.csv, checkpoints.csv."""
  results, curves = pd.read_csv(workdir / "results.csv"), pd.read_csv(workdir / "curves.csv")
  checkpoints = pd.read_csv(workdir / "checkpoints.csv") if (workdir / "checkpoints.csv").exists() else None
  runs = sorted(p.parent for p in (workdir / "tensorboard").rglob("events.out.tfevents.*"))
  assert len(runs) == len(results) == len(set(runs))
  last = int(curves["step"].max())
  for _, row in results.iterrows():
    got = scalars(workdir / "tensorboard" / metric_writers.run_name(row))
    mine = curves[(curves["unit"] == row["unit"]) & (curves["model_index"] == row["model_index"])]
    assert len(mine) == curves["step"].nunique() >= 2  # every evaluation step
    for column in metric_writers.CURVES:
      # float32 in the event file; curves.csv holds the same float32 numbers, printed exactly.
      assert got[column] == [(int(s), float(np.float32(v))) for s, v in zip(mine["step"], mine[column])]
    metric_columns = [c for c in results.columns if c not in metric_writers._NOT_METRICS]
    assert "dead_fraction" in metric_columns
    for column in metric_columns:
      at_last = [v for s, v in got.get(f"eval/{column}", []) if s == last]
      if checkpoints is None or last not in set(checkpoints["step"]):
        expected = [] if not math.isfinite(row[column]) else [float(np.float32(row[column]))]
        assert at_last == expected, column
    if checkpoints is not None:
      for _, ck in checkpoints[(checkpoints["unit"] == row["unit"])
                               & (checkpoints["model_index"] == row["model_index"])].iterrows():
        for column in metric_columns:
          if column in ck and isinstance(ck[column], float) and math.isfinite(ck[column]):
            assert (int(ck["step"]), float(np.float32(ck[column]))) in got[f"eval/{column}"], column
  return results


def test_the_flag_writes_event_files_tensorboard_reads(tmp_path):
  from experiments.relu_vs_leaky import main
  (tmp_path / "tiny.py").write_text(TINY)
  workdir = tmp_path / "w"
  with pytest.raises(SystemExit) as exit_:
    main(["prog", f"--config={tmp_path / 'tiny.py'}", "--config.eval.tensorboard=True",
          f"--workdir={workdir}", "--plots=False", "--progress=False"])
  assert exit_.value.code == 0
  results = check_runs_match_tables(workdir)
  assert results["num_regions"].notna().all()  # exact_regions columns reached TensorBoard too
  run = scalars(workdir / "tensorboard" / metric_writers.run_name(results.iloc[0]))
  assert [s for s, _ in run["eval/num_regions"]] == [0, 10, 20]  # checkpoints 0, 10 and the end


def test_off_by_default_and_turning_it_on_later_retrains_nothing(tmp_path):
  config = tiny_config()
  assert config.eval.tensorboard is False
  first = sweep.run_sweep(config, str(tmp_path), progress=False)
  assert first.skipped_units == 0 and not (tmp_path / "tensorboard").exists()
  config.eval.tensorboard = True
  traces = train.TRACE_COUNT["train_chunk"]
  again = sweep.run_sweep(config, str(tmp_path), progress=False)  # same workdir, same units
  assert again.skipped_units == 1 and train.TRACE_COUNT["train_chunk"] == traces
  check_runs_match_tables(tmp_path)
  files = sorted((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))
  sweep.run_sweep(config, str(tmp_path), progress=False)  # a rerun replaces, never appends
  assert sorted((tmp_path / "tensorboard").rglob("events.out.tfevents.*")) == files
  check_runs_match_tables(tmp_path)


def test_flag_without_the_extra_is_one_line_naming_flag_and_install(monkeypatch, tmp_path, capsys):
  monkeypatch.setattr(metric_writers, "available", lambda: False)
  config = tiny_config()
  config.eval.tensorboard = True
  with pytest.raises(ConfigError, match=r"config\.eval\.tensorboard = True .*pip install -e '\.\[tensorboard\]'"):
    validate_study_config(config)
  from experiments.relu_vs_leaky import main
  (tmp_path / "tiny.py").write_text(TINY)
  traces = train.TRACE_COUNT["train_chunk"]
  with pytest.raises(SystemExit) as exit_:
    main(["prog", f"--config={tmp_path / 'tiny.py'}", "--config.eval.tensorboard=True",
          f"--workdir={tmp_path / 'w'}"])
  err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
  assert exit_.value.code == 2 and len(err) == 1, err
  assert "eval.tensorboard" in err[0] and "pip install -e '.[tensorboard]'" in err[0]
  assert not (tmp_path / "w").exists() and train.TRACE_COUNT["train_chunk"] == traces


def test_a_bad_flag_value_names_the_field(tmp_path):
  d = tiny_config().to_dict()
  d["eval"]["tensorboard"] = "yes"  # as a config file could set it (the CLI parses booleans)
  config = ml_collections.ConfigDict(d)
  with pytest.raises(ConfigError, match=r"config\.eval\.tensorboard = 'yes' is invalid: must be True or False"):
    validate_study_config(config)


def test_writer_round_trips_through_tensorboard(tmp_path):
  path = tmp_path / "run" / "events.out.tfevents.x"
  with metric_writers.TensorBoardWriter(path) as w:
    w.write_scalars(0, {"a": 1.5, "b": -2.0})
    w.write_scalars(7, {"a": 0.25})
  assert scalars(tmp_path / "run") == {"a": [(0, 1.5), (7, 0.25)], "b": [(0, -2.0)]}
  assert path.stat().st_mode & 0o777 == 0o644 & ~_umask()


def _umask() -> int:
  import os
  mask = os.umask(0)
  os.umask(mask)
  return mask
