"""The public Python API, for a Python session or a notebook: train, measure, look at, test.

Train 8 models on spirals (ReLU and LeakyReLU(0.01), 4 seeds each, the same data and initial
weights per seed) and draw their decision boundaries:

    from research import api
    models = api.train("spirals", ["relu", "leaky_relu:0.01"], widths=[16], depths=[2], num_seeds=4)
    print(models.results[["activation", "seed", "test_acc", "dead_fraction"]])
    api.plot_boundaries(models).savefig("boundaries.png")

These names (ten functions, two classes) are the stable API, tested in tests/test_api.py; every
other module of `research` is internal and may change. notebooks/tutorial.ipynb walks through
them, from spirals to a paired verdict.

  load_dataset(spec, seed=0, **data) -> Dataset     one draw of a data set, as `train` draws it
  train(data, activations, ...) -> Models            a grid of models trained in memory
  evaluate(models, families, **knobs) -> Models      metric families as new columns of results
  regions(models, i) -> Regions                      exact linear regions of model i
  plot_boundaries(models, models_shown=None) -> Figure    decision boundaries, one panel per model
  plot_regions(models, models_shown=None) -> Figure       exact regions and the exact boundary
  plot_hidden_units(models, i) -> Figure             each hidden unit over the plane, dead ones marked
  plot_curves(models, metric="test_loss") -> Figure  a curve per model over training steps
  load_workdir(path) -> Models                       a finished study's models (tables, weights)
  verdict(models, hypothesis, ...) -> HypothesisResult    paired test of a claim, per cell
  Models, Hypothesis                                 the classes the functions take and return

`Models` holds `results` (one row per model, the columns of a study's results.csv: dataset,
activation, width, depth, lr, seed, losses, accuracies, diverged, the "core" sparsity columns
such as dead_fraction, and the columns of every family evaluated), `curves` (one row per model
and evaluation step, as curves.csv) and the trained weights. Model i is row i of `results`.

`train` builds the config a study would run (every field of configs/common.sweep_config) and
trains it with the study's own code (research/sweep.py): the same data draws, initial weights and
metrics as `python -m experiments.<study>` with those settings, so `load_workdir` of such a run
gives the same `Models`. Each seed draws its own data set, shared by every activation and width
of that seed (runs are paired by seed). Settings besides the grid are keyword arguments named as
the config's fields: noise, num_train_per_class, init, optimizer, batch_size, schedule,
grid_resolution, ... (`train(..., nosie=0.2)` raises with the valid names). A session computes
the host-side metrics (exact regions, ...) on every seed; `evaluate` of a loaded workdir keeps
the study's `expensive_seeds` unless given, e.g. `evaluate(models, "exact_regions",
expensive_seeds=10)`. Curves start at step 0 (the initialisation) and follow `eval_every_steps`.

Mistakes raise ValueError with the valid choices, in the command line's words: an unknown data
set, activation or metric family, a missing slope ("leaky_relu" alone), a slope given twice
("leaky_relu:0.01" together with slopes=[...]), a model index out of range. Figures are
matplotlib Figures drawn from memory; nothing is written unless you save them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import ml_collections
import numpy as np
import pandas as pd

from research import datasets, sweep
from research._api_models import Models, UnitData, default_config
from research.activations import ACTIVATIONS, get_activation
from research.hypotheses import Hypothesis, HypothesisResult, evaluate as _evaluate_hypothesis, get_hypothesis
from research.metrics import family, regions as _regions
from research.store import Store
from research.validation import validate_study_config

__all__ = ["load_dataset", "train", "evaluate", "regions", "plot_boundaries", "plot_regions",
           "plot_hidden_units", "plot_curves", "load_workdir", "verdict", "Models", "Hypothesis"]

if TYPE_CHECKING:  # figures are drawn by research/figures/in_memory.py, imported when one is drawn
  from matplotlib.figure import Figure


def load_dataset(spec: str, seed: int = 0, **data) -> datasets.Dataset:
  """The data set `spec` ("spirals", "rings:num_rings=3") as `train` draws it for `seed`."""
  if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
    raise ValueError(f"seed = {seed!r} is invalid: must be an integer >= 0 (the seed of a train() model)")
  config = _config([spec], ["relu"], num_seeds=seed + 1, **data)
  validate_study_config(config)
  return sweep.make_data(config, spec)[seed]


def train(data: str | Sequence[str], activations: str | Sequence[str], *, widths: Sequence[int] = (16,),
          depths: Sequence[int] = (1,), num_seeds: int = 4, learning_rates: Sequence[float] = (0.01,),
          slopes: Sequence[float] = (), num_steps: int = 2000, progress: bool = False,
          **settings) -> Models:
  """Trains every (data set, activation, width, depth, learning rate, seed) model; returns them."""
  config = _config(data, activations, widths=widths, depths=depths, num_seeds=num_seeds,
                   learning_rates=learning_rates, slopes=slopes, num_steps=num_steps, **settings)
  validate_study_config(config)  # before any data is drawn or anything compiled
  cache: dict[str, list] = {}
  units = []
  for unit in sweep.plan_units(config):
    if unit.dataset not in cache:
      cache[unit.dataset] = sweep.make_data(config, unit.dataset)
    record, arrays = sweep.run_unit(config, unit, cache[unit.dataset], progress)
    units.append(UnitData(unit, record, arrays))
  models = Models(config, tuple(units))
  models._cache.update({("data", k): v for k, v in cache.items()})
  return models


def evaluate(models: Models, families: str | Sequence[str], **knobs) -> Models:
  """`models` with the columns of metric `families` (e.g. "exact_regions") added to results."""
  names = [families] if isinstance(families, str) else list(families)
  family.check_families(names)  # an unknown name raises with the valid ones
  config = ml_collections.ConfigDict(models.config.to_dict())
  config.eval.metrics = tuple(n for n in names if n != "core")
  for key, value in knobs.items():
    config.eval[key] = value
  family.check_families(names, config.eval)  # each family's own knobs (they have no defaults)
  from research.train import TrainResult  # the result type measure reads; the engine is not run
  units = []
  for u in models.units:
    spec, batch, labels, params, rest = models.unit_state(u)
    rows = u.record["rows"]
    result = TrainResult(params=params, rest=rest, curves={}, final={}, wall_time_s=0.0,
                         compile_time_s=0.0, diverged=np.array([bool(r["diverged"]) for r in rows]),
                         diverged_step=np.array([int(r["diverged_step"]) for r in rows]))
    metrics, _, arrays = sweep.measure(config, spec, result, batch, labels, models.instances(u.unit))
    record = dict(u.record, rows=[{**row, **m} for row, m in zip(rows, metrics)])
    units.append(UnitData(u.unit, record, {**u.arrays, **arrays}))
  evaluated = Models(models.config, tuple(units))
  evaluated._cache.update({k: v for k, v in models._cache.items() if k[0] == "data"})
  return evaluated


def regions(models: Models, i: int) -> _regions.Regions:
  """Exact linear regions and decision boundary of model i on its data domain (NaN count if smooth)."""
  kernels, biases = models.weights(i)
  return _regions.enumerate_regions(kernels, biases, models.pwl(i), np.asarray(models.data(i).domain),
                                    activation_name=models.row(i)["activation_name"])


def plot_boundaries(models: Models, models_shown: Sequence[int] | None = None,
                    resolution: int = 200) -> Figure:
  """Predicted classes, boundary and training data of each model: a row per seed and architecture."""
  from research.figures import in_memory
  return in_memory.boundaries(models, _shown(models, models_shown), resolution)


def plot_regions(models: Models, models_shown: Sequence[int] | None = None) -> Figure:
  """Exact linear regions (colours) and decision boundary (black) of each model shown."""
  from research.figures import in_memory
  return in_memory.regions(models, _shown(models, models_shown), regions)


def plot_hidden_units(models: Models, i: int, resolution: int = 64) -> Figure:
  """Every hidden unit's activation over the plane for model i, dead units marked (research.views)."""
  from research.figures import in_memory
  return in_memory.hidden_units(models, i, resolution)


def plot_curves(models: Models, metric: str = "test_loss") -> Figure:
  """`metric` (train_loss, train_acc, test_loss, test_acc) over training steps, a line per model."""
  from research.figures import in_memory
  return in_memory.curves(models, metric)


def load_workdir(path: str | Path) -> Models:
  """The models of a finished study's workdir (or its sweep folder): tables and saved weights."""
  root = _sweep_folder(Path(path))
  config = ml_collections.ConfigDict(json.loads((root / "config.json").read_text())["config"])
  store = Store(root, None)  # read-only
  units = []
  for unit in sweep.stored_units(config, store):
    h = sweep.unit_hash(config, unit)
    record = store.read_unit(h)
    if record["status"] != "ok":
      continue
    arrays = store.read_arrays(h)
    if "weights_final_0" not in arrays:
      raise ValueError(f"unit {unit.describe()} of {str(root)!r} has no saved weights (made by an "
                       "older version); rerun the study")
    units.append(UnitData(unit, record, arrays))
  return Models(config, tuple(units))


def verdict(models: Models | pd.DataFrame, hypothesis: Hypothesis | str, *, alpha: float = 0.05,
            n_boot: int = 10000) -> HypothesisResult:
  """The paired verdict of `hypothesis` (a Hypothesis or a hypothesis file's name) on the models."""
  h = get_hypothesis(hypothesis) if isinstance(hypothesis, str) else hypothesis
  results = models.results if isinstance(models, Models) else models
  return _evaluate_hypothesis(h, results, alpha=alpha, n_boot=n_boot)


# ----------------------------------------------------------------------------- private

# Config groups searched for a keyword setting of `train`, in this order.
_GROUPS = ("data", "model", "optim", "eval")
# Grid fields that `train` takes as named arguments (not as settings).
_GRID = {"names", "activations", "widths", "depths", "learning_rates", "num_steps"}


def _config(data, activations, *, widths=(16,), depths=(1,), num_seeds=4, learning_rates=(0.01,),
            slopes=(), num_steps=2000, **settings) -> ml_collections.ConfigDict:
  """The study-style config of a `train` call; raises ValueError on an unknown setting."""
  c = default_config()
  c.data.names = (data,) if isinstance(data, str) else tuple(data)
  c.model.activations = tuple(_activation_specs(activations, slopes))
  c.model.widths, c.model.depths = tuple(widths), tuple(depths)
  c.optim.learning_rates = tuple(learning_rates)
  c.optim.num_steps = num_steps
  c.num_seeds = num_seeds
  # Every seed gets the host-side metrics in a session (a study may limit them to save time).
  c.eval.expensive_seeds = num_seeds if isinstance(num_seeds, int) else 0
  if "eval_every_steps" not in settings and isinstance(num_steps, int) and num_steps > 0:
    c.optim.eval_every_steps = next(e for e in (250, 100, 50, 25, 10, 5, 2, 1) if num_steps % e == 0)
  for key, value in settings.items():
    if key in ("seed", "max_models_per_chunk"):
      c[key] = value
      continue
    group = next((g for g in _GROUPS if key in c[g] and key not in _GRID), None)
    if group is None:
      valid = sorted({k for g in _GROUPS for k in c[g] if k not in _GRID} | {"seed", "max_models_per_chunk"})
      raise ValueError(f"unknown setting {key}={value!r}; valid settings: {', '.join(valid)}")
    c[group][key] = tuple(value) if isinstance(value, list) else value
  return c


def _activation_specs(activations, slopes) -> list[str]:
  """Activation specs with `slopes` applied to the bare slope-taking names; a slope twice raises."""
  specs = [activations] if isinstance(activations, str) else list(activations)
  slopes = [float(s) for s in slopes]
  out = []
  for spec in specs:
    if not isinstance(spec, str):
      raise ValueError(f"activation {spec!r} is not a spec string such as 'relu' or 'leaky_relu:0.01'")
    if "+" in spec:  # one activation per hidden layer: its slopes are written in the spec
      if slopes:
        raise ValueError(f"activation {spec!r} is per layer: slopes={slopes} applies to single "
                         f"activations only; write each layer's slope in the spec, e.g. "
                         f"'relu+leaky_relu:{slopes[0]:g}'")
      out.append(spec)
      continue
    name, sep, _ = spec.partition(":")
    if slopes and get_activation(name).uses_slope:  # get_activation raises on an unknown name
      if sep:
        raise ValueError(f"activation {spec!r}: slope given twice (in the spec and as slopes={slopes}); "
                         f"give it once, e.g. {name!r} with slopes={slopes}")
      out += [f"{name}:{s:g}" for s in slopes]
    else:
      out.append(spec)
  if slopes and not any(get_activation(s.partition(":")[0]).uses_slope for s in specs):
    takers = sorted(n for n, kind in ACTIVATIONS.items() if kind.uses_slope)
    raise ValueError(f"slopes={slopes} given, but none of the activations {specs} takes a slope; "
                     f"activations with a slope: {', '.join(takers)}")
  return out


def _shown(models: Models, shown) -> list[int]:
  if shown is None:
    return list(range(len(models)))
  shown = [shown] if isinstance(shown, (int, np.integer)) else list(shown)
  for i in shown:
    models.locate(i)  # raises naming the valid indices
  return shown


def _sweep_folder(path: Path) -> Path:
  """`path` if it holds a sweep's tables, else its one subfolder that does (a study's sweep_subdir)."""
  if (path / "results.csv").exists() and (path / "units").is_dir():
    return path
  found = sorted(p.parent for p in path.glob("*/units") if (p.parent / "results.csv").exists())
  if len(found) != 1:
    raise ValueError(f"{str(path)!r} is not a finished study's workdir: no results.csv and units/ "
                     f"there{' and several subfolders have them: ' + ', '.join(map(str, found)) if found else ''}")
  return found[0]

