"""The benchmark's smallest pieces: the table it writes and that every implementation trains alike.

No timing is asserted: timings depend on the machine and its load.
"""

import json

import numpy as np
import pandas as pd
import pytest

from configs.benchmark import get_config
from research import benchmark
from research.benchmark import batched_peer, measure, peers, workloads
from research.models import dense_weights
from research.train import bytes_per_model, train_models


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
    c.evaluation.repetitions, c.evaluation.region_models = 1, 2
    c.evaluation.region_repetitions, c.evaluation.region_count_models = 1, 4
    c.evaluation.region_workers, c.evaluation.region_reference_models = 2, 1
    c.memory.workload, c.memory.num_models, c.memory.steps = "small", 12, 20
    c.memory.budget_mb = 4 * bytes_per_model(
        benchmark.workload_from_config("small", s).spec(), 100, 100) / 1024**2  # 4 models a chunk
    c.sections = ("small", "evaluation", "memory")
    # torch.compile costs tens of seconds (minutes under load) of C++ compilation: the compiled
    # variant has its own slow test below.
    c.torch_batched_variants, c.torch_batched_threads = ("bmm", "vmap"), (1, 2)
  return c


def test_tiny_run_writes_the_table_and_implementations_agree(tmp_path, capsys):
  assert benchmark.main(tiny_config(), str(tmp_path)) == 0
  frame = pd.read_csv(tmp_path / "benchmark.csv")
  assert list(frame.columns) == list(benchmark.COLUMNS)
  train = frame[frame.section == "train"]
  torch = measure.torch_or_none()
  expected = {"engine", "jax loop"} | ({"torch loop", "torch batched"} if torch else set())
  assert set(train.implementation) == expected
  assert (train["median"] > 0).all() and (train["gflops"] > 0).all()
  # Same data, initial weights and optimiser: the sequential loops end where the engine ends.
  sequential = train[train.implementation != "engine"]
  assert sequential.acc_agree.all(), sequential[["implementation", "train_acc", "acc_max_diff"]]
  assert (sequential.acc_max_diff <= 0.02).all()
  if torch:
    peer = train[train.implementation == "torch batched"].iloc[0]
    # Every model of the workload is stacked; each variant and thread count is in the note.
    assert peer.models == 4 and all(v in peer.note for v in ("bmm, 1 thread", "vmap, 2 threads"))
    engine = train[train.implementation == "engine"].iloc[0]
    np.testing.assert_allclose(engine.x_peer * peer["median"], engine["median"], rtol=1e-9)
  evaluation = frame[frame.section == "eval"].set_index("implementation")
  assert set(evaluation.index) == {"grid metrics, one call", "exact regions, per model", "exact regions, 4 models"}
  per_model = evaluation.loc["exact regions, per model"]
  assert per_model.unit == "regions/CPU-s" and per_model.models == 2
  assert 0 < per_model["min"] <= per_model["median"] <= per_model["max"]
  assert "checked against enumerate_regions" in per_model.note
  report = json.loads((tmp_path / "benchmark.json").read_text())
  assert report["ceiling_gflops"] > 0 and report["machine"]["cores"] >= 1
  assert report["memory"]["chunks"] == 3 and report["memory"]["all_finite"]
  md = (tmp_path / "benchmark.md").read_text()
  assert md.startswith("| section |") and "| exact regions per CPU-second, median model |" in md
  met = {t["target"]: t for t in report["targets"]}
  assert met["exact regions: seconds for 1,000 models on every core"]["at_most"]
  assert met["grid metrics % of the sgemm ceiling"]["met"] in (True, False)
  assert "sgemm ceiling" in capsys.readouterr().out


def test_matmul_flops_counts_forward_and_backward():
  # 2-8-8-1 on 500 points: forward 2*8 + 8*8 + 8*1 = 88 multiply-adds per point; the backward
  # doubles that except the input gradient of the first layer (16).
  assert workloads.matmul_flops(2, (8, 8), 1, 500) == 2 * 500 * (3 * 88 - 16)


def test_sequential_models_spread_over_the_slopes():
  w = benchmark.workload_from_config("small", get_config().workloads.small)
  idx = w.sequential_indices()
  assert len(idx) == 3 and len(set(w.batch(0).slope[idx])) == 3


def _tiny_workload():
  c = get_config("quick").workloads.small
  # 4 models, one per slope (0 is ReLU); the chunk of tiny_config's workload, so no new program.
  c.points, c.steps, c.seeds_per_slope, c.eval_every_steps = 100, 40, 1, 20
  return workloads.workload_from_config("small", c)


def _sequential_and_batched(variants, steps=40):
  """Final train losses of the 4 tiny models: engine, sequential torch, each batched variant."""
  w = _tiny_workload()
  ds, data = workloads.workload_data(w, 0)
  batch = w.batch(0)
  params, _ = workloads.initial_models(w, batch, np.arange(w.num_models))
  kernels, biases = dense_weights(params)
  engine = train_models(w.spec(), w.train_spec(steps), data, batch, progress=False)
  torch = measure.torch_or_none()
  loop, sequential = peers.TorchLoop(w.lr, 1), []
  for i in range(w.num_models):
    net = loop.train(loop.build([k[i] for k in kernels], [b[i] for b in biases], batch.slope[i]),
                     ds.x_train, ds.y_train, steps)
    with torch.no_grad():
      logits = net(torch.from_numpy(ds.x_train))[:, 0]
      sequential.append(float(torch.nn.functional.binary_cross_entropy_with_logits(
          logits, torch.from_numpy(ds.y_train.astype(np.float32)))))
  out = {}
  for v in variants:
    peer = batched_peer.TorchBatched(w.lr, v)
    models = peer.train(peer.build(kernels, biases, batch.slope), ds.x_train, ds.y_train, steps, 1)
    out[v] = peer.evaluate(models, ds.x_train, ds.y_train)[0]
  return np.asarray(engine.final["train_loss"]), np.array(sequential), out


# Float32 rounding differs between the stacked and the per-model matmuls and between XLA and
# PyTorch; after 40 Adam steps it stays below 1e-5 of the loss (measured: at most 3e-7, while the
# four models' losses differ by 0.7%).
LOSS_RTOL = 1e-5


def test_batched_peer_trains_the_same_models_as_the_sequential_peer_and_the_engine():
  if measure.torch_or_none() is None:
    pytest.skip("torch is not installed (the optional benchmark extra)")
  engine, sequential, batched = _sequential_and_batched(("bmm", "vmap", "bmm/3"))  # groups of 3 of 4
  # The models differ (4 slopes, 4 seeds), so agreement is per model, not on average.
  assert np.ptp(sequential) > 10 * LOSS_RTOL * sequential.max()
  for v, losses in batched.items():
    np.testing.assert_allclose(losses, sequential, rtol=LOSS_RTOL, err_msg=v)
    np.testing.assert_allclose(losses, engine, rtol=LOSS_RTOL, err_msg=v)


@pytest.mark.slow
def test_compiled_batched_peer_trains_the_same_models():
  """torch.compile (inductor's C++: tens of seconds to compile) computes what the bmm peer does."""
  if measure.torch_or_none() is None:
    pytest.skip("torch is not installed (the optional benchmark extra)")
  _, sequential, batched = _sequential_and_batched(("bmm+compile",), steps=20)
  np.testing.assert_allclose(batched["bmm+compile"], sequential, rtol=LOSS_RTOL)


def test_unknown_batched_variant_is_refused_with_the_valid_ones():
  if measure.torch_or_none() is None:
    pytest.skip("torch is not installed (the optional benchmark extra)")
  with pytest.raises(ValueError, match="'bmm_compile' unknown; valid: bmm, vmap, bmm\\+compile"):
    batched_peer.TorchBatched(0.01, "bmm_compile")


@pytest.mark.parametrize("field,value", [("region_reference_models", 0), ("region_workers", -1),
                                         ("region_count_models", 0), ("models", 0)])
def test_bad_evaluation_counts_are_refused_naming_the_field(field, value):
  from research.validation import ConfigError
  c = get_config("quick")
  c.evaluation[field] = value
  with pytest.raises(ConfigError, match=f"config.evaluation.{field} = {value}"):
    benchmark.check_config(c)
  benchmark.check_config(get_config())  # the defaults pass
