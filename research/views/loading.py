"""A finished run's models for the views: which ones to draw, their weights at each step, their data.

A sweep stores each unit's weights, final and at every `eval.checkpoint_steps` step
(research/sweep.py `weights_arrays`); `Run.net(row, which)` rebuilds one model of results.csv from
them (the same `restore_weights` that research/reevaluate.py uses) and `Run.data(row)` redraws the
data it trained on (the sweep's own `make_data`: one draw per seed, shared by every activation).

A model selection names one cell and seed and the activations to put side by side:
`select(results, "dataset=rings,seed=2,activation=relu+tanh")`; what is not named takes the default:
the first data set, the narrowest architecture (then the shallowest), the first learning rate,
ReLU and LeakyReLU 0.01 (else the first two activations) and the median seed by the first
activation's test accuracy. A bad key or value raises one line naming it and the valid choices.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import ml_collections
import numpy as np
import pandas as pd
from flax import nnx

from research import sweep
from research.models import ModelSpec, dense_weights, graphdef_of
from research.store import Store
from research.views.net import Net, make_net

SELECT_KEYS = ("dataset", "activation", "width", "depth", "seed", "lr")
ACTIVATION_SEP = "|"  # between activations of one selection ("+" joins a per-layer spec's layers)


@dataclasses.dataclass(frozen=True)
class Selection:
  """One cell and seed of a run, and the activations drawn side by side (same data and init)."""

  dataset: str
  width: int
  depth: int
  lr: float
  seed: int
  activations: tuple[str, ...]
  why: str  # how the seed was chosen, for captions: 'the median relu test accuracy (0.9) of 16 seeds'

  @property
  def tag(self) -> str:
    """A file-name part naming the cell and seed, e.g. spirals_w4_d2_seed3."""
    lr = "" if self.lr == 0.01 else f"_lr{self.lr:g}"
    return f"{self.dataset}_w{self.width}_d{self.depth}{lr}_seed{self.seed}"

  def describe(self) -> str:
    return f"{self.dataset}, width {self.width}, depth {self.depth}, seed {self.seed}"


def parse_selector(text: str | None) -> dict[str, str]:
  """'key=value,key=value' -> dict; activations are joined by '|' (e.g. activation=relu|tanh)."""
  out = {}
  for item in filter(None, (p.strip() for p in (text or "").split(","))):
    key, eq, value = item.partition("=")
    key, value = key.strip(), value.strip()
    if not eq or not value:
      raise ValueError(f"--model {text!r}: {item!r} is not key=value; valid keys: {', '.join(SELECT_KEYS)}")
    if key not in SELECT_KEYS:
      raise ValueError(f"--model {text!r}: unknown key {key!r}; valid keys: {', '.join(SELECT_KEYS)}")
    out[key] = value
  return out


def _pick(results: pd.DataFrame, column: str, value: str | None, default):
  """The value of `column` named by `value` (parsed to the column's type), checked against the run."""
  valid = list(dict.fromkeys(results[column]))
  if value is None:
    return default(valid)
  sample = valid[0]
  try:
    if isinstance(sample, (int, np.integer)) and not isinstance(sample, (bool, np.bool_)):
      parsed = int(value)
    elif isinstance(sample, (float, np.floating)):
      parsed = float(value)
    else:
      parsed = value
  except ValueError:
    parsed = None
  if parsed not in valid:
    raise ValueError(f"--model: {column}={value!r} is not in this run; valid: {', '.join(map(str, valid))}")
  return parsed


def default_activations(specs: list[str]) -> tuple[str, ...]:
  """ReLU and LeakyReLU 0.01 where the run has both, else the first two activations (config order)."""
  if "relu" in specs and "leaky_relu:0.01" in specs:
    return ("relu", "leaky_relu:0.01")
  return tuple(specs[:2])


def select(results: pd.DataFrame, selector: str | dict | None = None) -> Selection:
  """The Selection named by `selector` (see the module docstring), defaults for what it omits."""
  want = parse_selector(selector) if not isinstance(selector, dict) else dict(selector)
  rows = results
  dataset = _pick(rows, "dataset", want.get("dataset"), lambda v: v[0])
  rows = rows[rows["dataset"] == dataset]
  width = _pick(rows, "width", want.get("width"), min)
  rows = rows[rows["width"] == width]
  depth = _pick(rows, "depth", want.get("depth"), min)
  rows = rows[rows["depth"] == depth]
  lr = _pick(rows, "lr", want.get("lr"), lambda v: v[0])
  rows = rows[rows["lr"] == lr]
  specs = list(dict.fromkeys(rows["activation"]))
  if "activation" in want:
    acts = tuple(a.strip() for a in want["activation"].split(ACTIVATION_SEP))
    for a in acts:
      if a not in specs:
        raise ValueError(f"--model: activation={a!r} is not in this cell; valid: {', '.join(specs)} "
                         f"(several joined by '{ACTIVATION_SEP}')")
  else:
    acts = default_activations(specs)
  if "seed" in want:
    seed = _pick(rows, "seed", want["seed"], None)
    why = "the seed asked for"
  else:
    seed, why = median_seed(rows[rows["activation"] == acts[0]], acts[0])
  return Selection(dataset, int(width), int(depth), float(lr), int(seed), acts, why)


def median_seed(rows: pd.DataFrame, activation: str) -> tuple[int, str]:
  """The seed of median test accuracy among the rows' models that did not diverge (lower median)."""
  ok = sweep.not_diverged(rows).sort_values(["test_acc", "seed"], kind="stable")
  if ok.empty:
    ok = rows.sort_values("seed")
  pick = ok.iloc[(len(ok) - 1) // 2]
  return int(pick["seed"]), f"the median {activation} test accuracy ({pick['test_acc']:.3f}) of {len(ok)} seeds"


class Run:
  """A finished sweep's workdir, read-only: config, results, curves and the stored units."""

  def __init__(self, workdir: str | Path):
    self.workdir = Path(workdir)
    try:
      self.config = ml_collections.ConfigDict(json.loads((self.workdir / "config.json").read_text())["config"])
      self.results = pd.read_csv(self.workdir / "results.csv")
      self.store = Store(self.workdir, None)
    except (OSError, ValueError, KeyError, TypeError) as e:
      raise ValueError(f"--workdir {str(self.workdir)!r} is not a finished run with saved weights "
                       f"(it needs config.json, results.csv and units/: {type(e).__name__})") from None
    if self.results.empty or "unit" not in self.results:
      raise ValueError(f"--workdir {str(self.workdir)!r}: results.csv has no models")
    curves = self.workdir / "curves.csv"
    self.curves = pd.read_csv(curves) if curves.exists() and curves.stat().st_size else pd.DataFrame()

  @functools.lru_cache(maxsize=8)
  def arrays(self, unit_hash: str) -> dict[str, np.ndarray]:
    return self.store.read_arrays(unit_hash)

  @functools.lru_cache(maxsize=64)
  def _unit(self, unit_hash: str):
    record = self.store.read_unit(unit_hash)
    unit = sweep.unit_of_record(record)
    batch, labels = sweep.unit_models(self.config, unit)
    return record, unit, batch, labels

  @functools.lru_cache(maxsize=16)
  def instances(self, dataset: str):
    """The sweep's data draws of `dataset`, one per seed (as the models trained on)."""
    return sweep.make_data(self.config, dataset)

  def data(self, row) -> object:
    return self.instances(row["dataset"])[int(row["seed"])]

  def checkpoint_steps(self, row) -> list[int]:
    """The steps whose weights the row's unit stored (without the final weights)."""
    keys = self.arrays(row["unit"])
    return sorted(int(k[len("weights_s"):].partition("_")[0]) for k in keys
                  if k.startswith("weights_s") and k.endswith("_0"))

  def has_weights(self, row) -> bool:
    return "weights_final_0" in self.arrays(row["unit"])

  def net(self, row, which: str = "final") -> Net:
    """Model `row` of results.csv at 'final' or 's<step>' (a stored checkpoint)."""
    record, unit, batch, labels = self._unit(row["unit"])
    i = int(row["model_index"])
    if labels[i]["seed"] != int(row["seed"]) or labels[i]["activation"] != row["activation"]:
      raise ValueError(f"unit {unit.describe()}: model {i} is {labels[i]['activation']} seed {labels[i]['seed']}, "
                       f"but results.csv says {row['activation']} seed {row['seed']}")
    return self.unit_nets(row["unit"], which)[i]

  @functools.lru_cache(maxsize=32)
  def unit_nets(self, unit_hash: str, which: str = "final") -> list[Net]:
    """Every model of a stored unit at 'final' or 's<step>', in the unit's model order."""
    record, unit, batch, labels = self._unit(unit_hash)
    arrays = self.arrays(unit_hash)
    if f"weights_{which}_0" not in arrays:
      raise ValueError(f"unit {unit.describe()} has no saved weights '{which}' (made by an older "
                       "version, or that step is not in eval.checkpoint_steps)")
    data = self.instances(unit.dataset)[0]
    spec = ModelSpec(data.x_train.shape[1], (unit.width,) * unit.depth, data.num_classes,
                     unit.activations[0], self.config.model.init)
    params, rest = sweep.restore_weights(spec, batch, arrays, which)
    kernels, biases = dense_weights(params)  # each with the leading model axis
    # The model's own slope per layer (PReLU: learned), read as the trained model reads it.
    slopes = nnx.merge(graphdef_of(spec), params, rest).layer_slopes()
    m = len(labels)
    slopes = [np.broadcast_to(np.asarray(s, np.float64), (m,)) for s in slopes]
    return [make_net([np.asarray(k[i]) for k in kernels], [np.asarray(b[i]) for b in biases],
                     labels[i]["activation"], [s[i] for s in slopes]) for i in range(m)]

  def rows(self, selection: Selection) -> list[pd.Series]:
    """The results rows of a selection, one per activation, in the selection's order."""
    r = self.results
    cell = r[(r["dataset"] == selection.dataset) & (r["width"] == selection.width)
             & (r["depth"] == selection.depth) & (r["lr"] == selection.lr) & (r["seed"] == selection.seed)]
    out = []
    for a in selection.activations:
      match = cell[cell["activation"] == a]
      if match.empty:
        raise ValueError(f"--model: no model {a} for {selection.describe()} in this run")
      out.append(match.iloc[0])
    return out

