import jax
import numpy as np
import pytest

from research import models, train
from research.activations import leaky_family, parse_activation
from research.models import ModelSpec
from research.model_batch import ModelBatch
from research.train import TrainSpec, train_models


def toy_data(n=64, instances=2, seed=0):
  """XOR-like 2-D data, `instances` independent draws of equal size."""
  rng = np.random.default_rng(seed)
  x = rng.uniform(-1, 1, size=(instances, n, 2)).astype(np.float32)
  y = ((x[..., 0] * x[..., 1]) > 0).astype(np.int32)
  return dict(x_train=x, y_train=y, x_test=x[:, ::-1].copy(), y_test=y[:, ::-1].copy())


SPEC = ModelSpec(2, (8, 8), 2, parse_activation("relu"), "he")
TRAIN = TrainSpec(num_steps=40, eval_every_steps=10)


def batch_of(m, lr=0.01):
  return ModelBatch(seed=np.arange(m), activations=leaky_family(np.linspace(0, 0.3, m)), lr=np.full(m, lr),
                    data_index=np.arange(m) % 2)


def test_model_in_batch_equals_model_alone():
  data = toy_data()
  full = train_models(SPEC, TRAIN, data, batch_of(16), progress=False)
  for i in (0, 5, 15):
    alone = train_models(SPEC, TRAIN, data, batch_of(16).take(np.array([i])), progress=False)
    for a, b in zip(jax.tree.leaves(full.params), jax.tree.leaves(alone.params)):
      np.testing.assert_allclose(a[i], b[0], rtol=1e-5, atol=1e-6)


def test_chunking_of_the_model_axis_does_not_change_results():
  data = toy_data()
  whole = train_models(SPEC, TRAIN, data, batch_of(12), progress=False)
  chunked = train_models(SPEC, TRAIN, data, batch_of(12), max_models_per_chunk=4, progress=False)
  for a, b in zip(jax.tree.leaves(whole.params), jax.tree.leaves(chunked.params)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_one_compilation_per_architecture_across_chunks_and_calls():
  data = toy_data()
  spec = ModelSpec(2, (6, 5), 2, parse_activation("relu"), "he")  # a shape no other test uses
  before = train.TRACE_COUNT["train_chunk"]
  train_models(spec, TRAIN, data, batch_of(12), max_models_per_chunk=4, progress=False)
  train_models(spec, TRAIN, data, batch_of(9), max_models_per_chunk=4, progress=False)
  assert train.TRACE_COUNT["train_chunk"] - before == 1


def test_training_models_group_by_group_gives_the_same_results():
  # 4 devices (conftest) x 3 models each, in groups of 2: evened out to 2 groups of 2 per device,
  # so the 14 models are padded to 16; diverged flags and curves come back in model order.
  data = toy_data()
  spec = ModelSpec(2, (7, 5), 2, parse_activation("leaky_relu:0.1"), "he")  # shape of its own
  batch = batch_of(14, lr=0.05)
  before = train.TRACE_COUNT["train_chunk"]
  grouped = train_models(spec, TRAIN, data, batch, group_size=2, progress=False)
  assert train.TRACE_COUNT["train_chunk"] - before == 1  # no ragged group traced separately
  assert grouped.models_per_chunk == 16
  together = train_models(spec, TRAIN, data, batch, group_size=None, progress=False)
  for a, b in zip(jax.tree.leaves(grouped.params), jax.tree.leaves(together.params)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(grouped.curves["test_loss"], together.curves["test_loss"], rtol=1e-5)
  assert (grouped.diverged == together.diverged).all()


@pytest.mark.parametrize("chunk,devices,group,expected", [
    (64, 2, 8, (64, 8)),     # 32 per device: 4 groups of 8
    (64, 2, 7, (64, 4)),     # 32 per device: 8 groups of 4 rather than 5 of 7 with 3 pads
    (506, 2, 2, (508, 2)),   # 253 per device (11 x 23): 127 groups of 2, one pad, not groups of 1
    (66, 2, 32, (68, 17)),   # 33 per device: 2 groups of 17 (one pad) rather than 32 + 1
    (8, 2, 8, (8, None)),    # a device's 4 models fit one group: no grouping
    (8, 2, None, (8, None)),
])
def test_group_layout_evens_out_groups(chunk, devices, group, expected):
  assert train.group_layout(chunk, devices, group) == expected


def test_models_per_group_fits_the_cache_on_cpu_only():
  small = ModelSpec(2, (8, 8), 2, parse_activation("relu"), "he")
  wide = ModelSpec(2, (256, 256, 256), 2, parse_activation("relu"), "he")
  g = train.models_per_group(small, 500, "cpu")
  assert 2 <= g and 16 * 500 * 17 * g <= train.CPU_GROUP_BYTES
  assert train.models_per_group(wide, 1024, "cpu") == 2
  assert train.models_per_group(small, 500, "gpu") is None


def test_diverging_model_is_frozen_and_isolated():
  data = toy_data()
  batch = batch_of(8)
  bad = ModelBatch(seed=batch.seed, activations=batch.activations, lr=batch.lr.copy(), data_index=batch.data_index)
  bad.lr[3] = 1e38  # the first Adam step moves weights by ~lr: they overflow to inf
  clean = train_models(SPEC, TRAIN, data, batch, progress=False)
  dirty = train_models(SPEC, TRAIN, data, bad, progress=False)
  assert dirty.diverged.tolist() == [i == 3 for i in range(8)]
  assert dirty.diverged_step[3] >= 0 and (dirty.diverged_step[np.arange(8) != 3] == -1).all()
  others = np.arange(8) != 3
  for a, b in zip(jax.tree.leaves(clean.params), jax.tree.leaves(dirty.params)):
    np.testing.assert_array_equal(a[others], b[others])  # bit-identical
  # Frozen at its last finite state: every parameter of the diverged model is finite.
  assert all(np.isfinite(l[3]).all() for l in jax.tree.leaves(dirty.params))


def test_training_reduces_loss_and_logs_curves():
  res = train_models(SPEC, TrainSpec(num_steps=200, eval_every_steps=50), toy_data(), batch_of(4, 0.02),
                     progress=False)
  assert res.curves["train_loss"].shape == (5, 4)
  assert res.curves["step"].tolist() == [0, 50, 100, 150, 200]
  assert (res.curves["train_loss"][-1] < res.curves["train_loss"][0]).all()
  assert (res.final["train_acc"] > 0.85).all()


# Golden values: the mean training loss of batch_of(4) after 40 Adam steps on toy_data(). Update
# only for an intended change of the training maths (optimiser, init, loss), never to pass a test.
GOLDEN_LOSS = np.array([0.38230568, 0.42637336, 0.27505088, 0.29607588], np.float32)


def test_golden_loss():
  res = train_models(SPEC, TRAIN, toy_data(), batch_of(4), progress=False)
  loss = res.final["train_loss"]
  np.testing.assert_allclose(loss, GOLDEN_LOSS, rtol=1e-4)


@pytest.mark.parametrize("optimizer,schedule", [("sgd", "cosine"), ("adam", "halve_every")])
def test_optimizers_and_schedules_train(optimizer, schedule):
  spec = TrainSpec(optimizer=optimizer, schedule=schedule, halve_every_steps=50, num_steps=200,
                   eval_every_steps=100, batch_size=16)
  res = train_models(SPEC, spec, toy_data(), batch_of(4, 0.05), progress=False)
  assert (res.curves["train_loss"][-1] < res.curves["train_loss"][0]).all()


def test_relative_schedules():
  halve = TrainSpec(schedule="halve_every", halve_every_steps=2500).relative_schedule()
  assert [float(halve(s)) for s in (0, 2499, 2500, 5000)] == [1.0, 1.0, 0.5, 0.25]
  assert float(TrainSpec(schedule="cosine", num_steps=100).relative_schedule()(100)) == pytest.approx(0.0)
  with pytest.raises(ValueError, match="valid schedules"):
    TrainSpec(schedule="step").relative_schedule()


def test_checkpoints_equal_shorter_runs():
  data = toy_data()
  res = train_models(SPEC, TRAIN, data, batch_of(5), max_models_per_chunk=4, progress=False,
                     checkpoint_steps=(0, 20, 40))
  assert sorted(res.checkpoints) == [0, 20, 40]
  short = train_models(SPEC, TrainSpec(num_steps=20, eval_every_steps=10), data, batch_of(5),
                       max_models_per_chunk=4, progress=False)
  init_params, _ = jax.vmap(lambda s, sl: models.init_model(SPEC, s, sl))(batch_of(5).seed, batch_of(5).slope)
  for a, b in zip(jax.tree.leaves(res.checkpoints[20][0]), jax.tree.leaves(short.params)):
    np.testing.assert_array_equal(a, b)
  for a, b in zip(jax.tree.leaves(res.checkpoints[40][0]), jax.tree.leaves(res.params)):
    np.testing.assert_array_equal(a, b)
  for a, b in zip(jax.tree.leaves(res.checkpoints[0][0]), jax.tree.leaves(init_params)):
    np.testing.assert_allclose(a, b, rtol=1e-6)
  with pytest.raises(ValueError, match="checkpoint step 15"):
    train_models(SPEC, TRAIN, data, batch_of(2), progress=False, checkpoint_steps=(15,))
