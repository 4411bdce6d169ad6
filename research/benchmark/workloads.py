"""The benchmark's training workloads: the models, their data, their initial weights, their FLOPs."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from research import datasets
from research.activations import leaky_family, parse_activation
from research.models import ModelSpec
from research.model_batch import ModelBatch
from research.train import TrainSpec, init_batch

# Every workload trains a binary leaky-family MLP on 2-D spirals; the slope varies per model.
ACTIVATION = "leaky_relu:0.01"


@dataclasses.dataclass(frozen=True)
class Workload:
  """One training workload: the models, their data and how it is timed."""

  name: str
  points: int  # training points (half per spiral arm); as many test points
  widths: tuple[int, ...]
  steps: int
  slopes: tuple[float, ...]
  seeds_per_slope: int
  lr: float
  eval_every_steps: int  # the engine's chunk: every engine run reuses its compiled program
  timed_steps: int  # steps of a timed engine repetition (a multiple of eval_every_steps)
  sequential_models: int  # models each sequential loop trains in full (one per repetition)
  # Steps of a timed repetition of the batched torch peer (every model, stacked). Fewer than the
  # engine's: the rate per model-step does not depend on it once a repetition lasts seconds.
  peer_timed_steps: int = 0

  @property
  def num_models(self) -> int:
    return len(self.slopes) * self.seeds_per_slope

  def spec(self) -> ModelSpec:
    return ModelSpec(2, tuple(self.widths), 2, parse_activation(ACTIVATION), "he")

  def train_spec(self, steps: int) -> TrainSpec:
    return TrainSpec(optimizer="adam", num_steps=steps, eval_every_steps=self.eval_every_steps)

  def batch(self, seed: int) -> ModelBatch:
    acts = leaky_family(np.repeat(self.slopes, self.seeds_per_slope))
    seeds = seed * 100_003 + np.tile(np.arange(self.seeds_per_slope), len(self.slopes))
    m = self.num_models
    return ModelBatch(seed=seeds.astype(np.uint32), activations=acts, lr=np.full(m, self.lr, np.float32),
                      data_index=np.zeros(m, np.int32))

  def sequential_indices(self) -> np.ndarray:
    """The models the sequential loops train: spread over the batch, so over the slopes."""
    return np.unique(np.linspace(0, self.num_models - 1, self.sequential_models).round().astype(int))


def workload_from_config(name: str, c: ml_collections.ConfigDict) -> Workload:
  return Workload(name=c.name, points=c.points, widths=tuple(c.widths), steps=c.steps,
                  slopes=tuple(c.slopes), seeds_per_slope=c.seeds_per_slope, lr=c.lr,
                  eval_every_steps=c.eval_every_steps, timed_steps=c.timed_steps,
                  sequential_models=c.sequential_models,
                  peer_timed_steps=c.get("peer_timed_steps", c.timed_steps))


def matmul_flops(in_dim: int, widths: tuple[int, ...], out_dim: int, points: int) -> int:
  """Forward and backward matmul FLOPs of one full-batch step of one model.

  Forward x_l @ W_l per layer; backward the weight gradient of every layer and the input gradient
  of every layer but the first (nothing needs the gradient of the data): 3 products per layer less
  one, at 2 FLOPs per multiply-add.
  """
  dims = (in_dim, *widths, out_dim)
  macs = [a * b for a, b in zip(dims[:-1], dims[1:])]
  return 2 * points * (3 * sum(macs) - macs[0])


def workload_data(w: Workload, seed: int) -> tuple[datasets.Dataset, dict[str, np.ndarray]]:
  """One spirals draw with `w.points` training and as many test points (the engine's layout)."""
  ds = datasets.make_dataset("spirals", jax.random.key(seed), num_train_per_class=w.points // 2,
                             num_test_per_class=w.points // 2, noise=0.1)
  return ds, {k: getattr(ds, k)[None] for k in ("x_train", "y_train", "x_test", "y_test")}


def initial_models(w: Workload, batch: ModelBatch, idx: np.ndarray):
  """(params, rest) of the models `idx` of the batch at initialisation, as the engine makes them."""
  sub = batch.take(idx)
  params, rest, _ = init_batch(jnp.asarray(sub.seed), jnp.asarray(sub.slope), spec=w.spec(),
                               train_spec=w.train_spec(w.steps))
  return jax.device_get(params), jax.device_get(rest)
