"""The benchmark's smallest pieces: the table it writes and that every implementation trains alike.

No timing is asserted: timings depend on the machine and its load.
"""

import json

import pandas as pd

from configs.benchmark import get_config
from research import benchmark
from research.benchmark import measure, workloads
from research.train import bytes_per_model


def tiny_config():
  """The quick variant cut to one small workload, a small ceiling and tiny evaluation/memory runs."""
  c = get_config("quick")
  with c.unlocked():
    c.ceiling.size, c.ceiling.repetitions = 128, 2
    c.repetitions = 2
    s = c.workloads.small
    s.points, s.steps, s.seeds_per_slope = 100, 40, 1
    s.eval_every_steps, s.timed_steps, s.sequential_models = 20, 20, 2
    c.evaluation.workload = "small"
    # The same 4 models and chunk length as the workload, so no new training program is compiled.
    c.evaluation.models, c.evaluation.train_steps, c.evaluation.grid_resolution = 4, 20, 32
    c.evaluation.repetitions, c.evaluation.region_models = 1, 1
    c.memory.workload, c.memory.num_models, c.memory.steps = "small", 12, 20
    c.memory.budget_mb = 4 * bytes_per_model(
        benchmark.workload_from_config("small", s).spec(), 100, 100) / 1024**2  # 4 models a chunk
    c.sections = ("small", "evaluation", "memory")
  return c


def test_tiny_run_writes_the_table_and_implementations_agree(tmp_path, capsys):
  assert benchmark.main(tiny_config(), str(tmp_path)) == 0
  frame = pd.read_csv(tmp_path / "benchmark.csv")
  assert list(frame.columns) == list(benchmark.COLUMNS)
  train = frame[frame.section == "train"]
  expected = {"engine", "jax loop"} | ({"torch loop"} if measure.torch_or_none() else set())
  assert set(train.implementation) == expected
  assert (train["median"] > 0).all() and (train["gflops"] > 0).all()
  # Same data, initial weights and optimiser: the sequential loops end where the engine ends.
  sequential = train[train.implementation != "engine"]
  assert sequential.acc_agree.all(), sequential[["implementation", "train_acc", "acc_max_diff"]]
  assert (sequential.acc_max_diff <= 0.02).all()
  assert set(frame[frame.section == "eval"].implementation) == {"grid metrics, one call", "enumerate_regions"}
  report = json.loads((tmp_path / "benchmark.json").read_text())
  assert report["ceiling_gflops"] > 0 and report["machine"]["cores"] >= 1
  assert report["memory"]["chunks"] == 3 and report["memory"]["all_finite"]
  assert (tmp_path / "benchmark.md").read_text().startswith("| section |")
  assert "sgemm ceiling" in capsys.readouterr().out


def test_matmul_flops_counts_forward_and_backward():
  # 2-8-8-1 on 500 points: forward 2*8 + 8*8 + 8*1 = 88 multiply-adds per point; the backward
  # doubles that except the input gradient of the first layer (16).
  assert workloads.matmul_flops(2, (8, 8), 1, 500) == 2 * 500 * (3 * 88 - 16)


def test_sequential_models_spread_over_the_slopes():
  w = benchmark.workload_from_config("small", get_config().workloads.small)
  idx = w.sequential_indices()
  assert len(idx) == 3 and len(set(w.batch(0).slope[idx])) == 3
