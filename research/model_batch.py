"""What the engine's one compiled program varies per model: seed, activation, learning rate, data.

A model's activation (parsed once, `research.activations.parse_activation`) is the one place its
slope comes from; see `ModelBatch`.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class ModelBatch:
  """Per-model values, each of length M: what the vmapped program varies.

  A model's activation (parsed once, `research.activations.parse_activation`) is the one place
  its slope comes from: `slope` is read from it, the model's Slope variable is initialised from
  it, and the results row records its spec. Every activation of a batch is of the family of the
  ModelSpec that compiles the program (relu and every leaky_relu slope are one family);
  `check_family` refuses any other, so no spec is silently trained with another slope.
  """

  seed: np.ndarray  # init and minibatch randomness
  activations: tuple  # Activation per model (leaky slope; initial slope for prelu)
  lr: np.ndarray
  data_index: np.ndarray  # which data set instance (leading axis of the stacked data)

  def __post_init__(self):
    object.__setattr__(self, "activations", tuple(self.activations))
    sizes = {len(np.asarray(getattr(self, f.name), dtype=object)) for f in dataclasses.fields(self)}
    if len(sizes) != 1:
      raise ValueError(f"ModelBatch fields must have equal lengths, got {dataclasses.asdict(self)}")

  def __len__(self) -> int:
    return len(self.seed)

  @property
  def slope(self) -> np.ndarray:
    """(M,) float32: each model's slope, from its activation (0 where the activation has none)."""
    return np.array([a.slope for a in self.activations], np.float32)

  def check_family(self, spec_activation) -> None:
    """Raises unless every activation is of `spec_activation`'s family (one compiled program)."""
    other = [a.spec for a in self.activations if a.family != spec_activation.family]
    if other:
      raise ValueError(f"ModelBatch activations {sorted(set(other))} are not of the model spec's "
                       f"family {spec_activation.family!r} ({spec_activation.spec}); train each "
                       "family with its own ModelSpec")

  def take(self, idx: np.ndarray) -> "ModelBatch":
    idx = np.asarray(idx, int)
    return ModelBatch(seed=np.asarray(self.seed)[idx], activations=[self.activations[i] for i in idx],
                      lr=np.asarray(self.lr)[idx], data_index=np.asarray(self.data_index)[idx])

  def padded(self, size: int) -> "ModelBatch":
    """This batch padded to `size` models by repeating its last model (results of pads are dropped)."""
    idx = np.concatenate([np.arange(len(self)), np.full(size - len(self), len(self) - 1)])
    return self.take(idx.astype(int))
