"""The registry of metric families and what a family may read about one trained unit.

A family is one module of research/metrics/ with a function decorated `@register_family(name,
columns=..., validate=...)`: fn(ctx) -> one dict of columns per model of the unit (NaN where not
computed). A study config lists the families it wants in `config.eval.metrics`; an unknown name
raises with the valid names, and `validate(config.eval)` checks the family's own knobs before
anything runs (a family's knobs have no silent defaults). Modules are imported on lookup.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
import re
from typing import TYPE_CHECKING, Callable

import jax
import jax.numpy as jnp
import numpy as np

from research.activations import LayerActivations, parse_activation
from research.models import ModelSpec, dense_weights, forward, graphdef_of

if TYPE_CHECKING:  # the engine's result type, for annotations only: metrics do not import the engine
  from research.train import TrainResult

FAMILIES: dict[str, Callable[["EvalContext"], list[dict]]] = {}
# name -> fn(config.eval) raising ConfigError on a bad knob of that family (None: no knobs).
FAMILY_VALIDATORS: dict[str, Callable | None] = {}
# name -> regular expressions of the columns a family writes (checked by hypothesis validation
# before anything runs); None where a family does not declare them.
FAMILY_COLUMNS: dict[str, tuple[str, ...] | None] = {}


def register_family(name: str, columns: tuple[str, ...] | None = None,
                    validate: Callable | None = None):
  """Registers fn(ctx) -> one dict of columns per model of the unit (NaN where not computed).

  `columns`: regular expressions matching every column the family writes, e.g. "dead_fraction_l[0-9]+".
  `validate`: fn(config.eval) that checks the family's own knobs (they have no silent defaults).
  """
  def wrap(fn):
    if name in FAMILIES:
      raise ValueError(f"metric family {name!r} is registered twice")
    FAMILIES[name] = fn
    FAMILY_COLUMNS[name] = columns
    FAMILY_VALIDATORS[name] = validate
    return fn
  return wrap


def known_column(column: str, families) -> bool | None:
  """Whether the listed families write `column`; None if some family does not declare columns."""
  metric_families()
  patterns = []
  for name in ("core", *families):
    if FAMILY_COLUMNS.get(name) is None:
      return None
    patterns += FAMILY_COLUMNS[name]
  return any(re.fullmatch(p, column) for p in patterns)


def metric_families() -> dict[str, Callable]:
  """Every registered family, after importing every module of research.metrics."""
  import research.metrics as pkg
  for info in pkgutil.iter_modules(pkg.__path__):
    importlib.import_module(f"research.metrics.{info.name}")
  return FAMILIES


def check_families(names, eval_config=None) -> None:
  """Raises on an unknown family, two families writing one column, or (given config.eval) a bad
  knob of a listed family."""
  valid = metric_families()
  for n in names:
    if n not in valid:
      raise ValueError(f"unknown metric family {n!r}; valid metric families: {', '.join(sorted(valid))}")
  written = {}
  for n in ("core", *names):
    for pattern in FAMILY_COLUMNS[n] or ():
      if pattern in written and written[pattern] != n:
        raise ValueError(f"metric families {written[pattern]!r} and {n!r} both write {pattern!r}: "
                         "list one of them")
      written[pattern] = n
  if eval_config is not None:
    for n in dict.fromkeys(("core", *names)):
      if FAMILY_VALIDATORS[n] is not None:
        FAMILY_VALIDATORS[n](eval_config)


@dataclasses.dataclass
class EvalContext:
  """What a metric family may read about one trained unit."""

  config: object
  spec: ModelSpec
  result: TrainResult
  rows: list[dict]  # label columns per model (dataset, activation, seed, ...)
  instances: list  # data set instance per seed
  data_index: np.ndarray  # (M,) which instance each model trained on
  grid: np.ndarray  # domain grid: (R*R, 2) row-major on 2-D input (boundary.make_grid), see domain_grid
  grid_shape: tuple[int, ...]
  core: dict  # outputs of the batched core evaluation, leading model axis
  arrays: dict = dataclasses.field(default_factory=dict)  # extra arrays for the figures

  @functools.cached_property
  def graphdef(self):
    return graphdef_of(self.spec)

  def model(self, i: int):
    """(params, rest) of model i."""
    return (jax.tree.map(lambda a: a[i], self.result.params),
            jax.tree.map(lambda a: a[i], self.result.rest))

  def weights(self, i: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """float64 (kernels, biases) of model i, hidden layers then head."""
    kernels, biases = dense_weights(self.model(i)[0])
    return [np.asarray(k, np.float64) for k in kernels], [np.asarray(b, np.float64) for b in biases]

  def run(self, i: int, x: np.ndarray):
    """(logits, intermediates) of model i on points x, as numpy."""
    params, rest = self.model(i)
    return jax.device_get(_forward_jit(params, rest, jnp.asarray(x, jnp.float32), graphdef=self.graphdef))

  def data(self, i: int):
    return self.instances[int(self.data_index[i])]

  def expensive(self, i: int) -> bool:
    """Whether model i is in the subset that gets the expensive host metrics."""
    return self.rows[i]["seed"] < self.config.eval.expensive_seeds and not self.result.diverged[i]


@functools.partial(jax.jit, static_argnames=("graphdef",))
def _forward_jit(params, rest, x, *, graphdef):
  return forward(graphdef, params, rest, x)


def unit_domain(ctx: EvalContext):
  """(D, 2) box holding the domain of every data instance of the unit (one box for all seeds)."""
  boxes = np.stack([np.asarray(d.domain, np.float64) for d in ctx.instances])
  return np.stack([boxes[:, :, 0].min(0), boxes[:, :, 1].max(0)], 1)


def row_pwl(ctx: EvalContext, i: int):
  """The pieces of model i's activation (its row's spec): one PiecewiseLinear, or one per layer
  for a per-layer spec; None where exact regions do not apply (a smooth or a prelu layer)."""
  act = parse_activation(ctx.rows[i]["activation"])  # the spec the model was trained with
  # PReLU learns its slope: the spec's slope is only where training started, not the model's.
  if isinstance(act, LayerActivations):
    return None if any(a.kind.learned_slope for a in act.layers) else act.layer_pwls()
  return None if act.kind.learned_slope else act.pwl()

