"""Synthetic classification data sets, one registry.

A data set is made by name: `make_dataset("spirals", key, noise=0.1)`. Every generator lives in
its own module of this folder and registers itself with `@register(name, check=...)`; the package
imports every public module here, so adding a data set means adding one file.

Parameters are validated before anything is generated: an unknown name, an unknown parameter or an
out-of-range value raises ValueError naming it and listing what is valid (a silently ignored
parameter would make a sweep over it meaningless). `validate_dataset_params` runs the same checks
without generating, for config validation.

Contract of every generator `fn(key, *, num_train_per_class, num_test_per_class, noise, ...)`:
all randomness comes from `key` (split into train and test keys, so train and test are independent
draws), classes are exactly balanced, rows are grouped by class (0 first), x is float32 and y int32.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import pkgutil
from typing import Any, Callable

import jax
import numpy as np

from research.datasets import _common


@dataclasses.dataclass(frozen=True)
class Dataset:
  """Train and test splits of one synthetic data set plus its ground truth."""

  name: str
  x_train: np.ndarray  # (N, D) float32
  y_train: np.ndarray  # (N,) int32, labels 0..num_classes-1
  x_test: np.ndarray
  y_test: np.ndarray
  num_classes: int
  domain: np.ndarray  # (D, 2) float: [low, high] per input dimension, a box holding the data
  # (P, D) points -> (P,) int labels, for any points in the domain; None if no ground truth
  truth: Callable[[np.ndarray], np.ndarray] | None
  params: dict = dataclasses.field(default_factory=dict)  # resolved generator parameters

  def __post_init__(self):
    # Catches a new generator that breaks the contract, at the place it is broken.
    for split in ("train", "test"):
      x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
      if x.dtype != np.float32 or x.ndim != 2 or y.dtype != np.int32 or y.shape != x.shape[:1]:
        raise ValueError(f"{self.name}: x_{split} must be (N, D) float32 and y_{split} (N,) int32, "
                         f"got {x.dtype}{x.shape} and {y.dtype}{y.shape}")
    dim = self.x_train.shape[1]
    if self.x_test.shape[1] != dim or np.shape(self.domain) != (dim, 2):
      raise ValueError(f"{self.name}: x_test must have {dim} columns and domain shape ({dim}, 2)")


@dataclasses.dataclass(frozen=True)
class _Entry:
  signature: inspect.Signature  # of the raw generator
  check: Callable[..., None] | None  # raises ValueError on bad values of its own parameters


DATASETS: dict[str, Callable[..., Dataset]] = {}
_ENTRIES: dict[str, _Entry] = {}
_COMMON_PARAMS = ("num_train_per_class", "num_test_per_class", "noise")


def register(name: str, check: Callable[..., None] | None = None):
  """Decorator adding a generator to DATASETS; `check(**params)` validates its own parameters."""

  def decorate(fn: Callable[..., Dataset]) -> Callable[..., Dataset]:
    if name in DATASETS:
      raise ValueError(f"data set {name!r} registered twice")
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    # Validation needs every parameter resolvable without generating: keyword-only with a default.
    bad = [p.name for p in params[1:]
           if p.kind is not p.KEYWORD_ONLY or p.default is p.empty]
    missing = [p for p in _COMMON_PARAMS if p not in signature.parameters]
    if not params or params[0].name != "key" or bad or missing:
      raise TypeError(f"data set {name!r}: signature must be fn(key, *, "
                      f"{', '.join(_COMMON_PARAMS)}, ...) with keyword-only defaults; "
                      f"bad parameters {bad}, missing {missing}")
    _ENTRIES[name] = _Entry(signature, check)

    @functools.wraps(fn)
    def generate(key: jax.Array, **params: Any) -> Dataset:
      resolved = _resolve(name, params)
      dataset = fn(key, **resolved)
      # The generator may add derived values (e.g. radii resolved from a count).
      return dataclasses.replace(dataset, name=name, params={**resolved, **dataset.params})

    DATASETS[name] = generate
    return generate

  return decorate


def _entry(name: str) -> _Entry:
  if name not in _ENTRIES:
    raise ValueError(f"unknown data set {name!r}; valid data sets: {', '.join(sorted(_ENTRIES))}")
  return _ENTRIES[name]


def dataset_param_names(name: str) -> list[str]:
  """The parameter names that data set `name` accepts (besides the key), in signature order."""
  return list(_entry(name).signature.parameters)[1:]


def _resolve(name: str, params: dict[str, Any]) -> dict[str, Any]:
  """Defaults filled in and every value checked; raises ValueError naming the bad parameter."""
  entry = _entry(name)
  valid = dataset_param_names(name)
  for param in params:
    if param not in valid:
      raise ValueError(f"{name}: unknown parameter {param!r}; valid parameters: {', '.join(valid)}")
  resolved = {p: params.get(p, entry.signature.parameters[p].default) for p in valid}
  # numpy scalars (e.g. from a sweep array) as Python numbers, so params go straight to JSON.
  resolved = {p: v.item() if isinstance(v, np.generic) else v for p, v in resolved.items()}
  try:
    for count in ("num_train_per_class", "num_test_per_class"):
      _common.check_int(count, resolved[count], low=1)
    _common.check_float("noise", resolved["noise"], low=0.0)
    if entry.check is not None:
      entry.check(**resolved)
  except ValueError as e:
    raise ValueError(f"{name}: {e}") from None
  return resolved


def dataset_params(data_config, spec: str) -> tuple[str, dict]:
  """Generator name and parameters of a data set spec in a study's `config.data`: its defaults
  (points per class, noise), then data.params[spec], then the spec's own `:key=value` arguments."""
  name, spec_params = parse_dataset_spec(spec)
  params = dict(num_train_per_class=data_config.num_train_per_class,
                num_test_per_class=data_config.num_test_per_class, noise=data_config.noise)
  params.update(dict(data_config.params.get(spec, {})))
  params.update(spec_params)
  return name, params


def validate_dataset_params(name: str, params: dict[str, Any]) -> None:
  """Raises ValueError for an unknown name, unknown parameter or bad value; generates nothing."""
  _resolve(name, params)


def make_dataset(name: str, key: jax.Array, **params: Any) -> Dataset:
  """Generates data set `name` from `key`; parameters are validated before any generation."""
  _entry(name)
  return DATASETS[name](key, **params)


# Each public module registers its data sets on import; `_`-modules are helpers.
for _module in pkgutil.iter_modules(__path__):
  if not _module.name.startswith("_"):
    importlib.import_module(f"{__name__}.{_module.name}")


def parse_dataset_spec(spec: str) -> tuple[str, dict[str, Any]]:
  """'rings' or 'rings:num_rings=3,noise=0.05' -> (name, params); raises naming the bad part.

  Lets a config name several variants of one generator side by side, as activation specs do.
  """
  import ast
  name, sep, rest = spec.partition(":")
  _entry(name)  # raises with the valid names
  params: dict[str, Any] = {}
  for item in filter(None, rest.split(",")) if sep else ():
    key, eq, value = item.partition("=")
    if not eq:
      raise ValueError(f"data set spec {spec!r}: {item!r} is not key=value")
    try:
      params[key.strip()] = ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
      raise ValueError(f"data set spec {spec!r}: value {value!r} of {key!r} is not a Python literal") from None
  return name, params
