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


def fail(field: str, value, valid: str):
  raise ConfigError(f"config.{field} = {value!r} is invalid: {valid}")


def check_int(field: str, value, low: int, high: float = math.inf) -> int:
  if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
    bound = f" and <= {high}" if high != math.inf else ""
    fail(field, value, f"must be an integer >= {low}{bound}")
  return int(value)


def check_float(field: str, value, low: float, *, strict: bool = False, high: float = math.inf) -> float:
  ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
  ok = ok and (value > low if strict else value >= low) and value <= high
  if not ok:
    fail(field, value, f"must be a finite number {'>' if strict else '>='} {low}"
          + (f" and <= {high}" if high != math.inf else ""))
  return float(value)


def check_sequence(field: str, value) -> tuple:
  if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) == 0:
    fail(field, value, "must be a non-empty list")
  return tuple(value)


def validate_study_config(c) -> None:
  """Raises ConfigError on the first invalid value of a training-study config."""
  check_int("num_seeds", c.num_seeds, 1)
  check_int("seed", c.seed, 0)
  for spec in check_sequence("data.names", c.data.names):
    try:
      datasets.parse_dataset_spec(spec)
    except ValueError as e:
      raise ConfigError(f"config.data.names: {e}") from None
  for name in c.data.params.keys():
    if name not in c.data.names:
      fail("data.params", name, f"keys must be data sets of data.names: {', '.join(c.data.names)}")
  # The upper bounds keep a typo (an extra zero or three) from exhausting memory.
  check_int("data.num_train_per_class", c.data.num_train_per_class, 2, 1_000_000)
  check_int("data.num_test_per_class", c.data.num_test_per_class, 1, 1_000_000)
  check_float("data.noise", c.data.noise, 0.0)
  for spec in c.data.names:
    try:
      datasets.validate_dataset_params(*datasets.dataset_params(c.data, spec))
    except ValueError as e:
      raise ConfigError(f"config.data.params ({spec}): {e}") from None

  for spec in check_sequence("model.activations", c.model.activations):
    try:
      parse_activation(spec)
    except ValueError as e:
      raise ConfigError(f"config.model.activations: {e}") from None
  depths = [check_int("model.depths", d, 1) for d in check_sequence("model.depths", c.model.depths)]
  if "neurons" in c.model:  # total hidden units split equally over the layers, instead of widths
    for n in check_sequence("model.neurons", c.model.neurons):
      check_int("model.neurons", n, 1, 4096)
      if any(n % d for d in depths):
        fail("model.neurons", n, f"must be divisible by every depth {depths} (equal widths)")
  else:
    for w in check_sequence("model.widths", c.model.widths):
      check_int("model.widths", w, 1)
  if c.model.init not in INITIALISERS:
    fail("model.init", c.model.init, f"valid initialisers: {', '.join(sorted(INITIALISERS))}")

  o = c.optim
  if o.optimizer not in OPTIMIZERS:
    fail("optim.optimizer", o.optimizer, f"valid optimizers: {', '.join(OPTIMIZERS)}")
  if o.schedule not in SCHEDULES:
    fail("optim.schedule", o.schedule, f"valid schedules: {', '.join(SCHEDULES)}")
  check_float("optim.momentum", o.momentum, 0.0, high=0.999999)
  for lr in check_sequence("optim.learning_rates", o.learning_rates):
    check_float("optim.learning_rates", lr, 0.0, strict=True)
  check_int("optim.halve_every_steps", o.halve_every_steps, 1)
  steps = check_int("optim.num_steps", o.num_steps, 1)
  every = check_int("optim.eval_every_steps", o.eval_every_steps, 1)
  if every > steps or steps % every:
    # Equal chunks keep one compilation per architecture.
    fail("optim.eval_every_steps", every, f"must divide optim.num_steps = {steps}")
  check_int("optim.batch_size", o.batch_size, 0)  # >= the training set size means full batch

  check_int("eval.grid_resolution", c.eval.grid_resolution, 8, 4096)
  check_int("eval.plot_seed", c.eval.plot_seed, 0, c.num_seeds - 1)
  check_int("eval.expensive_seeds", c.eval.expensive_seeds, 0)
  for step in c.eval.get("checkpoint_steps", ()):
    check_int("eval.checkpoint_steps", step, 0, steps)
    if step % every:
      fail("eval.checkpoint_steps", step, f"must be 0 or a multiple of optim.eval_every_steps = {every}")
  from research.metrics.family import check_families  # imports every metric module
  try:
    check_families(check_sequence("eval.metrics", c.eval.metrics))
  except ValueError as e:
    raise ConfigError(f"config.eval.metrics: {e}") from None
  check_families(c.eval.metrics, c.eval)  # each family's own knobs (ConfigError on a bad one)
  check_int("max_models_per_chunk", c.max_models_per_chunk, 1)
