"""Evaluation of the trained models of one unit: the metric columns of the results table.

Metric families are registered by name (`@register_family("name")`); a study config lists the
ones it wants in `config.eval.metrics`, and an unknown name raises with the valid names. A new
family is one function in any module of research/metrics/ (modules are imported on lookup).

The "core" family always runs: jitted and vmapped over the model axis (lax.map in small batches
bounds memory on dense grids), it gives sparsity on the training data and on the domain grid, the
grid predictions and the activation-pattern count. Families that need a host library (polygon
enumeration, ripser, scikit-learn probes, connected components) run per model on the host, on
the models selected by `config.eval.expensive_seeds` (seeds 0..k-1) where they are expensive.
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

from research.metrics import boundary, decision_regions, regions, sparsity
from research.models import ModelSpec, dense_weights, evaluate_batch, forward, graphdef_of, predict

if TYPE_CHECKING:  # the engine's result type, for annotations only: metrics do not import the engine
  from research.train import TrainResult

# Models evaluated at once on the dense grid; bounds peak memory (models x points x units).
GRID_MODELS_PER_BATCH = 8

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


@functools.partial(jax.jit, static_argnames=("graphdef", "breakpoints"))
def _core(params, rest, x_train_all, data_index, grid, *, graphdef, breakpoints):
  """Per model: sparsity on its training data and on the grid, grid predictions and patterns."""
  def one(args):
    p, r, i = args
    _, inter_train = forward(graphdef, p, r, x_train_all[i])
    logits, inter_grid = forward(graphdef, p, r, grid)
    out = dict(
        inactive_train=sparsity.inactive_fraction(inter_train["pre"]),
        dead_train=sparsity.dead_units(inter_train["pre"]),
        hoyer_train=sparsity.hoyer_sparsity(inter_train["act"]),
        inactive_grid=sparsity.inactive_fraction(inter_grid["pre"]),
        dead_grid=sparsity.dead_units(inter_grid["pre"]),
        grid_pred=predict(logits).astype(jnp.int8),
        grid_score=logits[:, 0] if logits.shape[-1] == 1 else jnp.max(logits, -1))
    if breakpoints is not None:  # activation patterns exist only for piecewise-linear nets
      out["grid_patterns"] = regions.count_patterns(inter_grid["pre"], breakpoints)
    return out
  return jax.lax.map(one, (params, rest, data_index), batch_size=GRID_MODELS_PER_BATCH)


@register_family("core", columns=(
    r"inactive_fraction", r"inactive_fraction_grid", r"dead_fraction", r"dead_fraction_grid",
    r"hoyer_sparsity", r"num_patterns_grid", r"inactive_fraction_l\d+", r"dead_fraction_l\d+",
    r"hoyer_sparsity_l\d+"))
def core_columns(ctx: EvalContext) -> list[dict]:
  """Sparsity and dead units (training data and grid), Hoyer sparsity, grid pattern count."""
  out = ctx.core
  pwl = ctx.spec.activation.pwl()
  metrics = []
  for i in range(len(ctx.rows)):
    m = dict(
        inactive_fraction=float(out["inactive_train"][i].mean()),
        inactive_fraction_grid=float(out["inactive_grid"][i].mean()),
        dead_fraction=float(out["dead_train"][i].mean()),
        dead_fraction_grid=float(out["dead_grid"][i].mean()),
        hoyer_sparsity=float(np.nanmean(out["hoyer_train"][i])),
        num_patterns_grid=float(out["grid_patterns"][i]) if pwl is not None else float("nan"))
    for layer in range(len(ctx.spec.hidden_widths)):
      m[f"inactive_fraction_l{layer}"] = float(out["inactive_train"][i][layer])
      m[f"dead_fraction_l{layer}"] = float(out["dead_train"][i][layer])
      m[f"hoyer_sparsity_l{layer}"] = float(out["hoyer_train"][i][layer])
    metrics.append(m)
  return metrics


@register_family("boundary", columns=(r"balanced_acc", r"grid_agreement", r"topology_match",
                                      r"components_c\d+", r"holes_c\d+"))
def boundary_columns(ctx: EvalContext) -> list[dict]:
  """Agreement with the ground truth on the grid, decision-region topology, balanced accuracy."""
  first = ctx.instances[0]
  if first.x_train.shape[1] != 2:  # region topology and agreement maps are defined on 2-D grids
    return [{} for _ in ctx.rows]
  truth = first.truth(ctx.grid).reshape(ctx.grid_shape) if first.truth is not None else None
  truth_topology = boundary.class_region_topology(truth, first.num_classes) if truth is not None else None
  metrics = []
  for i in range(len(ctx.rows)):
    pred = ctx.core["grid_pred"][i].reshape(ctx.grid_shape)
    data = ctx.data(i)
    logits, _ = ctx.run(i, data.x_test)
    acc = boundary.accuracy_metrics(logits, data.y_test)
    m = dict(balanced_acc=acc["balanced_accuracy"])
    if truth is not None:
      m["grid_agreement"] = boundary.grid_agreement(pred.ravel(), truth.ravel())
      topo = boundary.class_region_topology(pred, first.num_classes)
      m["topology_match"] = bool(boundary.topology_matches(topo, truth_topology))
      for c, (comps, holes) in topo.items():
        m[f"components_c{c}"], m[f"holes_c{c}"] = int(comps), int(holes)
    metrics.append(m)
  return metrics


@register_family("exact_regions", columns=(r"num_regions", r"boundary_length", r"boundary_pieces",
                                           r"margin_mean", r"margin_p10"))
def exact_region_columns(ctx: EvalContext) -> list[dict]:
  """Exact linear regions and decision boundary (piecewise-linear, 2-D input), margins.

  Margins: distance of each test point to the exact boundary segments for piecewise-linear nets,
  to the grid contour otherwise (an estimate, see boundary.distances_to_boundary).
  """
  first = ctx.instances[0]
  metrics = []
  for i in range(len(ctx.rows)):
    if not ctx.expensive(i) or first.x_train.shape[1] != 2:
      metrics.append({})
      continue
    data = ctx.data(i)
    kernels, biases = ctx.weights(i)
    r = regions.enumerate_regions(kernels, biases, row_pwl(ctx, i), np.asarray(data.domain),
                                  activation_name=ctx.spec.activation.name)
    if np.isfinite(r.num_regions):
      d = _distance_to_segments(data.x_test, r.boundary_segments)
      if ctx.rows[i]["seed"] == ctx.config.eval.plot_seed:  # polygons for the region figure
        ctx.arrays[f"regions_{i}_vertices"] = np.concatenate(r.polygons).astype(np.float32)
        ctx.arrays[f"regions_{i}_offsets"] = np.cumsum([0] + [len(p) for p in r.polygons])
        ctx.arrays[f"regions_{i}_boundary"] = r.boundary_segments.astype(np.float32)
      m = dict(num_regions=float(r.num_regions), boundary_length=float(r.boundary_length),
               boundary_pieces=float(r.boundary_pieces))
    else:
      score = ctx.core["grid_score"][i].reshape(ctx.grid_shape)
      d = boundary.distances_to_boundary(data.x_test, score, data.domain)
      length, pieces = boundary.boundary_length_from_grid(score, data.domain)
      m = dict(num_regions=float("nan"), boundary_length=length, boundary_pieces=float(pieces))
    m.update(margin_mean=float(np.mean(d)), margin_p10=float(np.percentile(d, 10)))
    metrics.append(m)
  return metrics


@register_family("plane_topology", columns=(r"plane_components_c\d+", r"plane_excess_c\d+"))
def plane_topology_columns(ctx: EvalContext) -> list[dict]:
  """Exact number of components of each class's decision region in the whole plane R^2.

  decision_regions.plane_components, for the expensive models with 2-D input: unlike the grid
  counts of the "boundary" family (components_c*), a region joined only outside the data box, or
  through a sliver thinner than a grid cell, counts once. NaN for smooth activations, PReLU (one
  learned slope per layer), the other models, and where no certified box was found.
  plane_excess_c*: components beyond the first, max(count - 1, 0): 0 for a connected region and
  for a class the model never predicts, which is what the connectedness theorems are about.
  """
  first = ctx.instances[0]
  metrics = []
  for i in range(len(ctx.rows)):
    counts = {c: float("nan") for c in range(first.num_classes)}
    pwl = row_pwl(ctx, i)
    if ctx.expensive(i) and first.x_train.shape[1] == 2 and pwl is not None:
      kernels, biases = ctx.weights(i)
      counts, _ = decision_regions.plane_components(kernels, biases, pwl, np.asarray(ctx.data(i).domain),
                                                    first.num_classes)
    metrics.append({**{f"plane_components_c{c}": float(n) for c, n in counts.items()},
                    **{f"plane_excess_c{c}": max(float(n) - 1.0, 0.0) if np.isfinite(n) else float("nan")
                       for c, n in counts.items()}})
  return metrics


def unit_domain(ctx: EvalContext):
  """(D, 2) box holding the domain of every data instance of the unit (one box for all seeds)."""
  boxes = np.stack([np.asarray(d.domain, np.float64) for d in ctx.instances])
  return np.stack([boxes[:, :, 0].min(0), boxes[:, :, 1].max(0)], 1)


def row_pwl(ctx: EvalContext, i: int):
  """The pieces of model i's activation at its row's slope; None where exact regions do not apply."""
  act = ctx.spec.activation
  # PReLU learns one slope per layer; the enumeration takes one activation for every layer.
  return None if act.kind.learned_slope else dataclasses.replace(act, slope=ctx.rows[i]["slope"]).pwl()


@register_family("robustness", columns=(r"noise_acc_\d+(p\d+)?",))
def robustness_columns(ctx: EvalContext) -> list[dict]:
  """Test accuracy under Gaussian input noise of each std in config.eval.noise_stds (input units).

  One noise draw per model (its seed), scaled by each std, so the accuracies differ only
  through the std (boundary.noise_robustness).
  """
  stds = tuple(ctx.config.eval.noise_stds)
  metrics = []
  for i, row in enumerate(ctx.rows):
    data = ctx.data(i)
    acc = boundary.noise_robustness(lambda x: np.asarray(predict(ctx.run(i, x)[0])), data.x_test,
                                    data.y_test, stds, seed=row["seed"])
    metrics.append({noise_column(s): float(a) for s, a in zip(stds, acc)})
  return metrics


def noise_column(std: float) -> str:
  """Column name of the accuracy under noise of this std, e.g. 0.5 -> noise_acc_0p5."""
  return "noise_acc_" + f"{std:g}".replace(".", "p").replace("-", "m")


def _distance_to_segments(points: np.ndarray, segments: np.ndarray) -> np.ndarray:
  """Exact Euclidean distance of each point to the nearest of the (S, 2, 2) segments."""
  if len(segments) == 0:
    return np.full(len(points), np.inf)
  a, b = segments[:, 0], segments[:, 1]  # (S, 2)
  ab = b - a
  p = np.asarray(points, np.float64)[:, None, :]  # (P, 1, 2)
  t = np.clip(np.sum((p - a) * ab, -1) / np.maximum(np.sum(ab * ab, -1), 1e-300), 0.0, 1.0)
  closest = a + t[..., None] * ab
  return np.sqrt(np.min(np.sum((p - closest) ** 2, -1), axis=1))


def domain_grid(domain, resolution: int) -> tuple[np.ndarray, tuple[int, ...]]:
  """Grid of the grid metrics: R x R cells on 2-D input, about R^2 cells (R^(2/D) per axis) otherwise."""
  domain = np.asarray(domain, np.float64)
  if len(domain) == 2:
    return boundary.make_grid(domain, resolution)
  per_axis = max(2, int(round(resolution ** (2.0 / len(domain)))))
  axes = [lo + (hi - lo) * (np.arange(per_axis) + 0.5) / per_axis for lo, hi in domain]
  points = np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)
  return points, (per_axis,) * len(domain)


def fit_at(spec: ModelSpec, params, rest, data: dict[str, np.ndarray], data_index: np.ndarray) -> list[dict]:
  """Per model: train/test loss and accuracy of the given parameters (e.g. at a checkpoint)."""
  out = {}
  for split in ("train", "test"):
    loss, acc = jax.device_get(evaluate_batch(params, rest, jnp.asarray(data[f"x_{split}"]),
                                              jnp.asarray(data[f"y_{split}"]), jnp.asarray(data_index),
                                              graphdef=graphdef_of(spec)))
    out[f"{split}_loss"], out[f"{split}_acc"] = loss, acc
  return [{k: float(v[i]) for k, v in out.items()} for i in range(len(data_index))]


def evaluate_unit(config, spec: ModelSpec, result: TrainResult, rows: list[dict], data_index: np.ndarray,
                  instances: list) -> tuple[list[dict], dict[str, np.ndarray]]:
  """(per-model metric dicts, arrays to store for the figures) for one trained unit."""
  families = metric_families()
  first = instances[0]
  grid, shape = domain_grid(first.domain, config.eval.grid_resolution)
  pwl = spec.activation.pwl()
  core = jax.device_get(_core(
      result.params, result.rest, jnp.asarray(np.stack([d.x_train for d in instances])),
      jnp.asarray(data_index), jnp.asarray(grid, jnp.float32), graphdef=graphdef_of(spec),
      breakpoints=None if pwl is None else tuple(pwl.breakpoints)))
  ctx = EvalContext(config, spec, result, rows, instances, np.asarray(data_index), grid, shape, core)
  metrics = [{} for _ in rows]
  for name in ("core", *[n for n in config.eval.metrics if n != "core"]):
    for m, new in zip(metrics, families[name](ctx)):
      m.update(new)
  plot = np.array([r["seed"] == config.eval.plot_seed for r in rows])
  shown = instances[config.eval.plot_seed]
  arrays = dict(ctx.arrays, plot_model_index=np.flatnonzero(plot),
                plot_grid_score=core["grid_score"][plot].reshape(-1, *shape),
                plot_x_train=shown.x_train, plot_y_train=shown.y_train,
                plot_domain=np.asarray(first.domain))
  return metrics, arrays
