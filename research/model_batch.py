"""What the engine's one compiled program varies per model: seed, activation, learning rate, data.

A model's activation (parsed once, `research.activations.parse_activation`) is the one place its
slope comes from; see `ModelBatch`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from research.activations import LayerActivations, parse_activation

# The forms a model's slope may be given in, for the error on a slope given twice.
SLOPE_FORMS = ("activations=['leaky_relu:0.1', 'relu', ...] (the slope inside each spec; relu is "
               "slope 0)", "activations=leaky_family([0.0, 0.1, ...]) (research.activations)")


@dataclasses.dataclass(frozen=True, init=False)
class ModelBatch:
  """Per-model values, each of length M: what the vmapped program varies.

  A model's activation (a spec string or a parsed Activation) is the one place its slope comes
  from: `slope` is read from it, the model's Slope variable is initialised from it, and the
  results row records its spec. A separate `slope=` argument is refused rather than letting one
  of two slopes silently win. Every activation of a batch is of the family of the ModelSpec that
  compiles the program (relu and every leaky_relu slope are one family); `check_family` refuses
  any other, so no spec is silently trained with another slope.
  """

  seed: np.ndarray  # init and minibatch randomness
  activations: tuple  # Activation (or LayerActivations) per model
  lr: np.ndarray
  data_index: np.ndarray  # which data set instance (leading axis of the stacked data)

  def __init__(self, seed, activations, lr, data_index, *, slope=None):
    if slope is not None:
      raise ValueError(f"ModelBatch: slope={np.asarray(slope).tolist()!r} given besides the activations' "
                       f"own slopes (slope given twice); give each model's slope once, as "
                       f"{' or '.join(SLOPE_FORMS)}")
    acts = tuple(parse_activation(a) if isinstance(a, str) else a for a in activations)
    for name, value in (("seed", seed), ("activations", acts), ("lr", lr), ("data_index", data_index)):
      object.__setattr__(self, name, value)
    sizes = {f.name: len(np.asarray(getattr(self, f.name), dtype=object)) for f in dataclasses.fields(self)}
    if len(set(sizes.values())) != 1:
      raise ValueError(f"ModelBatch fields must have equal lengths, got lengths {sizes}")

  def __len__(self) -> int:
    return len(self.seed)

  @property
  def slope(self) -> np.ndarray:
    """float32 slopes from each model's activation (0 where it has none): (M,), or (M, layers)
    for per-layer activations."""
    if self.activations and isinstance(self.activations[0], LayerActivations):
      return np.array([a.slopes for a in self.activations], np.float32)
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
