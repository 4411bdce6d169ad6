"""Validation of a study config before any data is generated or anything is compiled.

Every error is one line naming the field, the bad value and the valid choices or range.
"""

from __future__ import annotations

import math
import numbers

from research import datasets
from research.activations import parse_activation
from research.models import INITIALISERS
from research.train import OPTIMIZERS, SCHEDULES


class ConfigError(ValueError):
  """A config value that cannot run; the message names field, value and what is valid."""


def _fail(field: str, value, valid: str):
  raise ConfigError(f"config.{field} = {value!r} is invalid: {valid}")


def _int(field: str, value, low: int, high: float = math.inf) -> int:
  if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
    bound = f" and <= {high}" if high != math.inf else ""
    _fail(field, value, f"must be an integer >= {low}{bound}")
  return int(value)


def _float(field: str, value, low: float, *, strict: bool = False, high: float = math.inf) -> float:
  ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
  ok = ok and (value > low if strict else value >= low) and value <= high
  if not ok:
    _fail(field, value, f"must be a finite number {'>' if strict else '>='} {low}"
          + (f" and <= {high}" if high != math.inf else ""))
  return float(value)


def _sequence(field: str, value) -> tuple:
  if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) == 0:
    _fail(field, value, "must be a non-empty list")
  return tuple(value)


def validate_study_config(c) -> None:
  """Raises ConfigError on the first invalid value of a training-study config."""
  _int("num_seeds", c.num_seeds, 1)
  _int("seed", c.seed, 0)
  for spec in _sequence("data.names", c.data.names):
    try:
      datasets.parse_dataset_spec(spec)
    except ValueError as e:
      raise ConfigError(f"config.data.names: {e}") from None
  for name in c.data.params.keys():
    if name not in c.data.names:
      _fail("data.params", name, f"keys must be data sets of data.names: {', '.join(c.data.names)}")
  # The upper bounds keep a typo (an extra zero or three) from exhausting memory.
  _int("data.num_train_per_class", c.data.num_train_per_class, 2, 1_000_000)
  _int("data.num_test_per_class", c.data.num_test_per_class, 1, 1_000_000)
  _float("data.noise", c.data.noise, 0.0)
  from research.sweep import dataset_params  # late: sweep imports this module
  for spec in c.data.names:
    try:
      datasets.validate_dataset_params(*dataset_params(c, spec))
    except ValueError as e:
      raise ConfigError(f"config.data.params ({spec}): {e}") from None

  for spec in _sequence("model.activations", c.model.activations):
    try:
      parse_activation(spec)
    except ValueError as e:
      raise ConfigError(f"config.model.activations: {e}") from None
  for w in _sequence("model.widths", c.model.widths):
    _int("model.widths", w, 1)
  for d in _sequence("model.depths", c.model.depths):
    _int("model.depths", d, 1)
  if c.model.init not in INITIALISERS:
    _fail("model.init", c.model.init, f"valid initialisers: {', '.join(sorted(INITIALISERS))}")

  o = c.optim
  if o.optimizer not in OPTIMIZERS:
    _fail("optim.optimizer", o.optimizer, f"valid optimizers: {', '.join(OPTIMIZERS)}")
  if o.schedule not in SCHEDULES:
    _fail("optim.schedule", o.schedule, f"valid schedules: {', '.join(SCHEDULES)}")
  _float("optim.momentum", o.momentum, 0.0, high=0.999999)
  for lr in _sequence("optim.learning_rates", o.learning_rates):
    _float("optim.learning_rates", lr, 0.0, strict=True)
  _int("optim.halve_every_steps", o.halve_every_steps, 1)
  steps = _int("optim.num_steps", o.num_steps, 1)
  every = _int("optim.eval_every_steps", o.eval_every_steps, 1)
  if every > steps or steps % every:
    # Equal chunks keep one compilation per architecture.
    _fail("optim.eval_every_steps", every, f"must divide optim.num_steps = {steps}")
  _int("optim.batch_size", o.batch_size, 0)  # >= the training set size means full batch

  _int("eval.grid_resolution", c.eval.grid_resolution, 8, 4096)
  _int("eval.plot_seed", c.eval.plot_seed, 0, c.num_seeds - 1)
  _int("eval.expensive_seeds", c.eval.expensive_seeds, 0)
  if "robustness" in c.eval.metrics:
    for std in _sequence("eval.noise_stds", c.eval.get("noise_stds", ())):
      _float("eval.noise_stds", std, 0.0)
  from research.metrics.evaluation import check_families  # imports every metric module
  try:
    check_families(_sequence("eval.metrics", c.eval.metrics))
  except ValueError as e:
    raise ConfigError(f"config.eval.metrics: {e}") from None
  _int("max_models_per_chunk", c.max_models_per_chunk, 1)
