"""Validation of a study config before any data is generated or anything is compiled.

Every error is one line naming the field, the bad value and the valid choices or range.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re

from research import datasets
from research.activations import LAYER_SEP, LayerActivations, parse_activation
from research.models import DTYPES, INITIALISERS
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


def check_sequence(field: str, value, empty: bool = False) -> tuple:
  if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) or (not empty and len(value) == 0):
    fail(field, value, "must be a list" if empty else "must be a non-empty list")
  return tuple(value)


def close_matches(word: str, valid) -> str:
  """' (did you mean 'a' or 'b'?)' for the close matches of word among valid, or ''."""
  near = difflib.get_close_matches(str(word), [str(v) for v in valid], n=3, cutoff=0.6)
  return f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""


def unknown_key(path: str, key: str, valid, what: str = "field") -> str:
  """One line for a misspelt key: the close matches and every valid key at that level."""
  where = f"config.{path}" if path else "config"
  full = f"{path}.{key}" if path else key
  return (f"unknown {what} config.{full}{close_matches(key, valid)}; valid keys of {where}: "
          f"{', '.join(sorted(map(str, valid))) or '(none)'}")


# Fields of a study config whose children are names the user chooses (data sets, networks,
# workloads): their keys are not compared with the reference; FREE_TEMPLATES children are each
# compared with the union of the reference's children (every network has the same fields).
FREE_FIELDS = ("data.params",)
FREE_TEMPLATES = ("networks", "workloads")


def _is_dict(value) -> bool:
  return hasattr(value, "keys") and hasattr(value, "items") and not isinstance(value, (str, bytes))


def _kind(value) -> str:
  if _is_dict(value):
    return "group"
  if isinstance(value, bool):
    return "bool"
  if isinstance(value, numbers.Number):
    return "number"
  if isinstance(value, str):
    return "str"
  if isinstance(value, (tuple, list)):
    return "list"
  return "other"


def check_fields(config, reference, source: str = "config", path: str = "") -> None:
  """Raises ConfigError when `config` has a field `reference` lacks (a misspelt or unknown key,
  with the close matches), lacks one it has, or holds a group, list, string or number where the
  reference holds another kind. `source` names the config file in the message."""
  if path in FREE_FIELDS:
    return
  keys, ref_keys = set(config.keys()), set(reference.keys())
  for key in sorted(keys - ref_keys, key=str):
    raise ConfigError(f"{source}: {unknown_key(path, key, ref_keys)}")
  for key in sorted(ref_keys - keys, key=str):
    where = f"config.{path}" if path else "config"
    raise ConfigError(f"{source}: field config.{path + '.' if path else ''}{key} is missing (every "
                      f"{reference.get('study', 'such') if not path else 'such'} config has it); "
                      f"keys of {where} there: {', '.join(sorted(map(str, keys))) or '(none)'}")
  for key in sorted(keys, key=str):
    value, ref = config[key], reference[key]
    dotted = f"{path}.{key}" if path else str(key)
    kind, ref_kind = _kind(value), _kind(ref)
    if ref is None or value is None or "other" in (kind, ref_kind) or kind == ref_kind:
      pass
    elif {kind, ref_kind} == {"bool", "number"} and not isinstance(ref, bool):
      pass  # a number field given True: the range checks say so
    else:
      raise ConfigError(f"{source}: config.{dotted} = {value!r} is a {kind}, but this field is a "
                        f"{ref_kind} (default {ref!r})")
    if kind == "group" and ref_kind == "group":
      if dotted in FREE_TEMPLATES:
        template = {}
        for child in ref.values():
          if _is_dict(child):
            template.update(child)
        for name, child in value.items():
          if not _is_dict(child):
            raise ConfigError(f"{source}: config.{dotted}.{name} = {child!r} must be a group of "
                              f"fields: {', '.join(sorted(template))}")
          check_fields(child, template, source, f"{dotted}.{name}")
      else:
        check_fields(value, ref, source, dotted)


# What every sweep-based study config must hold beyond configs/common.sweep_config's fields.
REQUIRED = ("num_seeds", "seed", "data.names", "data.num_train_per_class", "data.num_test_per_class",
            "data.noise", "data.params", "model.activations", "model.depths", "model.init",
            "optim.optimizer", "optim.momentum", "optim.learning_rates", "optim.schedule",
            "optim.halve_every_steps", "optim.num_steps", "optim.eval_every_steps",
            "optim.batch_size", "optim.max_loss", "eval.grid_resolution", "eval.plot_seed", "eval.metrics",
            "eval.expensive_seeds", "max_models_per_chunk")


def check_required(c) -> None:
  for dotted in (*REQUIRED, "model.widths|model.neurons"):
    options = dotted.split("|")
    if not any(_has(c, o) for o in options):
      fail(options[0], "(missing)", "a sweep-based study config needs it (see "
           "configs/common.sweep_config)" + (f"; or {options[1]}" if len(options) > 1 else ""))


def _has(c, dotted: str) -> bool:
  node = c
  for part in dotted.split("."):
    if not _is_dict(node) or part not in node:
      return False
    node = node[part]
  return True


# Structural counts of a data set (num_rings, num_shells, ...) above this are typos.
MAX_DATASET_COUNT = 10_000


# Points per class above this are a typo (an extra zero or three): full-batch training then takes
# days on this project's machines (research/resources.py).
MAX_POINTS_PER_CLASS = 100_000


def _check_dataset_counts(spec: str, params: dict) -> None:
  for key in ("num_train_per_class", "num_test_per_class"):
    value = params.get(key)
    if isinstance(value, numbers.Integral) and value > MAX_POINTS_PER_CLASS:
      fail(f"data.names ({spec})", {key: value}, f"{key} must be <= {MAX_POINTS_PER_CLASS:,}")
  for key, value in params.items():
    if (str(key).startswith("num_") and not str(key).endswith("_per_class")
        and isinstance(value, numbers.Integral) and value > MAX_DATASET_COUNT):
      fail(f"data.params ({spec})", {key: value}, f"{key} must be <= {MAX_DATASET_COUNT:,}")


# Characters a data set spec cannot hold: they are not portable in file names (or are paths).
UNSAFE_IN_NAMES = '/\\*?"<>|'


def validate_study_config(c) -> None:
  """Raises ConfigError on the first invalid value of a training-study config."""
  check_required(c)
  check_int("num_seeds", c.num_seeds, 1, 1_000_000)
  check_int("seed", c.seed, 0)
  for spec in check_sequence("data.names", c.data.names):
    if not isinstance(spec, str):
      fail("data.names", tuple(c.data.names), f"names must be strings such as 'spirals' or "
           f"'rings:num_rings=3'; valid data sets: {', '.join(sorted(datasets.DATASETS))}")
    unsafe = sorted({ch for ch in spec if ch in UNSAFE_IN_NAMES or not ch.isprintable()})
    if unsafe:  # a spec names files (figures per data set) and results rows
      fail("data.names", spec, f"a data set spec names files and cannot hold {''.join(unsafe)!r}; "
           "put such values in data.params, e.g. --config.data.names=boundary "
           "--config.data.params.boundary.expression='x**2 + y**2 - 0.5'")
    try:
      datasets.parse_dataset_spec(spec)
    except (ValueError, TypeError, SyntaxError) as e:
      raise ConfigError(f"config.data.names: {e}") from None
  if not _is_dict(c.data.params):
    fail("data.params", c.data.params, "must be a dict data set -> {parameter: value}")
  for name, params in c.data.params.items():
    if name not in c.data.names:
      fail("data.params", name, f"keys must be data sets of data.names: {', '.join(c.data.names)}")
    if not _is_dict(params):
      fail(f"data.params.{name}", params, "must be a dict parameter -> value")
  # The upper bounds keep a typo (an extra zero or three) from exhausting memory.
  check_int("data.num_train_per_class", c.data.num_train_per_class, 2, MAX_POINTS_PER_CLASS)
  check_int("data.num_test_per_class", c.data.num_test_per_class, 1, MAX_POINTS_PER_CLASS)
  check_float("data.noise", c.data.noise, 0.0)
  for spec in c.data.names:
    try:
      name, params = datasets.dataset_params(c.data, spec)
      _check_dataset_counts(spec, params)
      datasets.validate_dataset_params(name, params)
    except ConfigError:
      raise
    except (ValueError, TypeError) as e:
      raise ConfigError(f"config.data.params ({spec}): {e}") from None

  acts = []
  for spec in check_sequence("model.activations", c.model.activations):
    try:
      if not isinstance(spec, str):
        raise ValueError(f"{spec!r} is not an activation spec string such as 'relu' or 'leaky_relu:0.2'")
      acts.append(parse_activation(spec))
    except ValueError as e:
      raise ConfigError(f"config.model.activations: {e}") from None
  depths = [check_int("model.depths", d, 1, 1000) for d in check_sequence("model.depths", c.model.depths)]
  for act in acts:  # a per-layer spec fits one depth; every depth of the grid is trained with it
    if isinstance(act, LayerActivations) and any(d != act.depth for d in depths):
      fail("model.activations", act.spec, f"has {act.depth} per-layer activations but model.depths = "
           f"{tuple(depths)}; give exactly one spec per hidden layer joined by '{LAYER_SEP}' (depth "
           f"{act.depth} only), or one plain spec such as 'relu' for every depth")
  if "neurons" in c.model:  # total hidden units split equally over the layers, instead of widths
    for n in check_sequence("model.neurons", c.model.neurons):
      check_int("model.neurons", n, 1, 4096)
      if any(n % d for d in depths):
        fail("model.neurons", n, f"must be divisible by every depth {depths} (equal widths)")
  else:
    for w in check_sequence("model.widths", c.model.widths):
      check_int("model.widths", w, 1, 65536)
  for dtype in check_sequence("model.dtypes", c.model.get("dtypes", ("float32",))):
    if not isinstance(dtype, str) or dtype not in DTYPES:
      fail("model.dtypes", dtype, f"valid precisions: {', '.join(DTYPES)}")
  if len(set(c.model.get("dtypes", ()))) != len(c.model.get("dtypes", ())):
    fail("model.dtypes", tuple(c.model.dtypes), "each precision at most once")
  if not isinstance(c.model.init, str) or c.model.init not in INITIALISERS:
    fail("model.init", c.model.init, f"valid initialisers: {', '.join(sorted(INITIALISERS))}")

  o = c.optim
  if not isinstance(o.optimizer, str) or o.optimizer not in OPTIMIZERS:
    fail("optim.optimizer", o.optimizer, f"valid optimizers: {', '.join(OPTIMIZERS)}")
  if not isinstance(o.schedule, str) or o.schedule not in SCHEDULES:
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
  check_float("optim.max_loss", o.max_loss, 0.0, strict=True)

  check_int("eval.grid_resolution", c.eval.grid_resolution, 8, 4096)
  check_int("eval.plot_seed", c.eval.plot_seed, 0, c.num_seeds - 1)
  check_int("eval.expensive_seeds", c.eval.expensive_seeds, 0)
  tensorboard = c.eval.get("tensorboard", False)  # research/metric_writers.py
  if not isinstance(tensorboard, bool):
    fail("eval.tensorboard", tensorboard, "must be True or False")
  if tensorboard:
    from research import metric_writers
    if not metric_writers.available():
      fail("eval.tensorboard", True, "writing TensorBoard event files needs the tensorboard package; "
           f"install it with: {metric_writers.INSTALL}")
  for step in check_sequence("eval.checkpoint_steps", c.eval.get("checkpoint_steps", ()), empty=True):
    check_int("eval.checkpoint_steps", step, 0, steps)
    if step % every:
      fail("eval.checkpoint_steps", step, f"must be 0 or a multiple of optim.eval_every_steps = {every}")
  from research.metrics.family import check_families  # imports every metric module
  try:
    metrics = check_sequence("eval.metrics", c.eval.metrics)
    if not all(isinstance(m, str) for m in metrics):
      raise ValueError(f"metric family names are strings, got {metrics!r}")
    check_families(metrics)
  except ConfigError:
    raise
  except ValueError as e:
    raise ConfigError(f"config.eval.metrics: {e}") from None
  check_families(c.eval.metrics, c.eval)  # each family's own knobs (ConfigError on a bad one)
  from research.metrics.family import metric_families
  for m in check_sequence("eval.skip_at_checkpoints", c.eval.get("skip_at_checkpoints", ()), empty=True):
    if m not in metric_families():  # not measured at checkpoints (sweep.measure); "core": none
      fail("eval.skip_at_checkpoints", m, "valid: metric families ('core' skips every family): "
           + ", ".join(sorted(metric_families())))
  check_int("max_models_per_chunk", c.max_models_per_chunk, 1)
  from research.resources import check_resources  # last: it sizes what the checks above allow
  check_resources(c)


# ----------------------------------------------------------------------------- hypotheses

def _planned_values(column: str, c) -> list | None:
  """The values a results column will take under config c, where the config alone says."""
  try:
    if column == "dataset":
      return list(c.data.names)
    if column == "activation":
      return [parse_activation(a).spec for a in c.model.activations]
    if column == "depth":
      return [int(d) for d in c.model.depths]
    if column == "width":
      if "neurons" in c.model:
        return sorted({int(n) // int(d) for n in c.model.neurons for d in c.model.depths})
      return [int(w) for w in c.model.widths]
    if column == "neurons" and "neurons" in c.model:
      return [int(n) for n in c.model.neurons]
    if column == "lr":
      return [float(v) for v in c.optim.learning_rates]
    if column == "init":
      return [c.model.init]
    if column == "dtype":
      return list(c.model.get("dtypes", ("float32",)))
  except (AttributeError, KeyError, TypeError, ValueError):
    return None
  return None


def _known_column(column: str, study, c) -> bool | None:
  """True/False when the study's rows will (not) have `column`; None when it cannot be told."""
  from research.metrics import family
  from research.sweep import BASE_COLUMNS
  if column in BASE_COLUMNS or any(re.fullmatch(p, column) for p in getattr(study, "columns", ())):
    return True
  if "eval" not in c or "metrics" not in c.eval:
    return None
  if getattr(study, "hypothesis_rows", None) is not None and study.hypothesis_rows.__name__ not in ("_results",):
    return None if family.known_column(column, c.eval.metrics) is False else True  # own tables
  return family.known_column(column, c.eval.metrics)


def hypothesis_problems(h, study, c) -> list[str]:
  """Why hypothesis h cannot be evaluated on a run of `study` with config c (empty: it can, as
  far as the config tells): an unknown factor, condition or metric column, or an arm that the
  config never trains."""
  problems = []
  roles = {h.factor: "factor", h.metric: "metric", **{col: "condition" for col in h.conditions}}
  for column, role in roles.items():
    if _known_column(column, study, c) is False:
      problems.append(f"its {role} column {column!r} is not a column of study {study.name!r}'s "
                      "results (base columns: research.sweep.BASE_COLUMNS; families' columns: "
                      "FAMILY_COLUMNS in research/metrics/family.py)")
  planned = _planned_values(h.factor, c)
  if planned is not None:
    for arm in ("treatment", "control"):
      if getattr(h, arm) not in planned:
        problems.append(f"its {arm} {getattr(h, arm)!r} never appears in column {h.factor!r} of "
                        f"this config; values planned: {planned}")
  return problems


def check_hypothesis_plan(h, study, c) -> None:
  """Raises ConfigError, before any training, when the runs of config c cannot test h."""
  problems = hypothesis_problems(h, study, c)
  if problems:
    raise ConfigError(f"hypothesis {h.name!r} cannot be tested by this {study.name} config: {problems[0]}")
