"""What research.api's `Models` is made of: the units of a study-style config, trained in memory or
read back from a workdir, with the weights and data needed to look at any one model.

Internal to research.api (the public names and their documentation are there). A `Models` holds
per unit exactly what a workdir stores for it (sweep.run_unit's record and arrays), so models
trained in a session and models loaded from a finished run are the same objects, built by the
same code as a study's tables.
"""

from __future__ import annotations

import dataclasses
import functools
import types

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pandas as pd
from flax import nnx

from research import datasets, sweep
from research.metrics import family
from research.models import ModelSpec, dense_weights, forward, graphdef_of
from research.model_batch import ModelBatch


def default_config(study: str = "api") -> ml_collections.ConfigDict:
  """Every field of a sweep-based study config at the shared defaults (configs/common.sweep_config;
  the library does not import configs/, so tests/test_api.py checks the two have the same fields)."""
  c = ml_collections.ConfigDict()
  c.study = study
  c.seed = 0
  c.num_seeds = 4
  c.data = ml_collections.ConfigDict(dict(names=("spirals",), num_train_per_class=250,
                                          num_test_per_class=250, noise=0.1, params={}))
  c.model = ml_collections.ConfigDict(dict(activations=("relu",), widths=(16,), depths=(1,),
                                           init="he", dtypes=("float32",)))
  c.optim = ml_collections.ConfigDict(dict(
      optimizer="adam", momentum=0.9, learning_rates=(0.01,), schedule="constant",
      halve_every_steps=2500, num_steps=2000, eval_every_steps=250, batch_size=0, max_loss=1e6))
  c.eval = ml_collections.ConfigDict(dict(grid_resolution=200, plot_seed=0, metrics=("core",),
                                          checkpoint_steps=(), expensive_seeds=4, tensorboard=False))
  c.max_models_per_chunk = 1024
  return c


@dataclasses.dataclass
class UnitData:
  """One trained unit as a workdir stores it: sweep.Unit, its record (rows) and arrays (weights)."""

  unit: sweep.Unit
  record: dict
  arrays: dict


@dataclasses.dataclass(frozen=True)
class Models:
  """Trained models: `results` (one row per model), `curves` (per model and step) and weights.

  Model i is row i of `results`; every function of research.api that looks at one model takes i.
  """

  config: ml_collections.ConfigDict  # the study-style config the models were trained with
  units: tuple[UnitData, ...]
  _cache: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

  def __len__(self) -> int:
    return len(self.results)

  def __repr__(self) -> str:
    r = self.results
    if not len(r):
      return "Models(0 models)"
    kinds = lambda c: ", ".join(map(str, dict.fromkeys(r[c])))
    return (f"Models({len(r)} models: data {kinds('dataset')}; activations {kinds('activation')}; "
            f"widths {kinds('width')}; depths {kinds('depth')}; seeds 0-{int(r['seed'].max())}; "
            f"{int(r['diverged'].sum())} diverged)")

  @functools.cached_property
  def results(self) -> pd.DataFrame:
    """One row per model: what it is (dataset, activation, width, depth, lr, seed) and its metrics."""
    frame = pd.DataFrame([dict(row, unit=sweep.unit_hash(self.config, u.unit), model_index=m)
                          for u in self.units for m, row in enumerate(u.record["rows"])])
    # One column order whether the rows come from training or from a workdir's JSON (sorted keys):
    # what a model is first, then its metrics by name.
    first = [c for c in sweep.BASE_COLUMNS if c in frame]
    return frame[first + sorted(c for c in frame if c not in first)]

  @functools.cached_property
  def curves(self) -> pd.DataFrame:
    """Train/test loss and accuracy of every model at every evaluation step, as curves.csv."""
    frames = []
    for model, (u, m) in enumerate(self.locations):
      row, steps = u.record["rows"][m], u.arrays["curve_step"]
      frames.append(pd.DataFrame(dict(
          model=model, dataset=row["dataset"], activation=row["activation"], width=row["width"],
          depth=row["depth"], lr=row["lr"], seed=row["seed"], step=steps,
          **{k[len("curve_"):]: u.arrays[k][:, m] for k in u.arrays
             if k.startswith("curve_") and k != "curve_step"})))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

  @functools.cached_property
  def locations(self) -> list[tuple[UnitData, int]]:
    """(unit, index in the unit) of each model, in `results` order."""
    return [(u, m) for u in self.units for m in range(len(u.record["rows"]))]

  def locate(self, i: int) -> tuple[UnitData, int]:
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < len(self.locations):
      raise ValueError(f"model {i!r} is not a model index; valid: 0..{len(self.locations) - 1} "
                       "(the rows of models.results)")
    return self.locations[int(i)]

  # ------------------------------------------------------------------ what one unit needs

  def instances(self, unit: sweep.Unit) -> list[datasets.Dataset]:
    """The data draw of every seed of the unit's data set (as the study drew them)."""
    key = ("data", unit.dataset)
    if key not in self._cache:
      self._cache[key] = sweep.make_data(self.config, unit.dataset)
    return self._cache[key]

  def unit_state(self, u: UnitData) -> tuple[ModelSpec, ModelBatch, list[dict], object, object]:
    """(spec, batch, label rows, params, rest) of a unit, params and rest restored from its arrays."""
    key = ("state", id(u))
    if key not in self._cache:
      batch, labels = sweep.unit_models(self.config, u.unit)
      spec = sweep.model_spec(self.config, u.unit, self.instances(u.unit))
      params, rest = sweep.restore_weights(spec, batch, u.arrays, "final")
      self._cache[key] = (spec, batch, labels, params, rest)
    return self._cache[key]

  # ------------------------------------------------------------------ one model

  def row(self, i: int) -> dict:
    u, m = self.locate(i)
    return u.record["rows"][m]

  def data(self, i: int) -> datasets.Dataset:
    """The data set instance model i trained on."""
    u, m = self.locate(i)
    batch = self.unit_state(u)[1]
    return self.instances(u.unit)[int(batch.data_index[m])]

  def weights(self, i: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """float64 (kernels, biases) of model i, hidden layers then head."""
    u, m = self.locate(i)
    params = self.unit_state(u)[3]
    kernels, biases = dense_weights(jax.tree.map(lambda a: a[m], params))
    return [np.asarray(k, np.float64) for k in kernels], [np.asarray(b, np.float64) for b in biases]

  def slopes(self, i: int) -> list[float]:
    """The slope each hidden layer of model i uses (PReLU: its learned slope)."""
    u, m = self.locate(i)
    spec, _, _, params, rest = self.unit_state(u)
    one = lambda tree: jax.tree.map(lambda a: a[m], tree)
    model = nnx.merge(graphdef_of(spec), one(params), one(rest))
    return [float(s) for s in model.layer_slopes()]

  def run(self, i: int, x: np.ndarray):
    """(logits, intermediates) of model i on points x (N, D), as numpy."""
    u, m = self.locate(i)
    spec, _, _, params, rest = self.unit_state(u)
    one = lambda tree: jax.tree.map(lambda a: a[m], tree)
    return jax.device_get(_forward_jit(one(params), one(rest), jnp.asarray(x, jnp.float32),
                                       graphdef=graphdef_of(spec)))

  def pwl(self, i: int):
    """The pieces of model i's activation; None where exact regions are not defined (smooth, PReLU)."""
    # The metric families' own rule (it reads the row's spec only), so the two never disagree.
    return family.row_pwl(types.SimpleNamespace(rows=[self.row(i)]), 0)


@functools.partial(jax.jit, static_argnames=("graphdef",))
def _forward_jit(params, rest, x, *, graphdef):
  return forward(graphdef, params, rest, x)
