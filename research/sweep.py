"""A sweep: the grid of a study config split into units of work, each trained in one compiled call.

A unit is (data set, width, depth, activation family, numeric precision): every activation spec
of that family (relu and every leaky_relu slope are one family), every learning rate and every seed
is one model of the unit, vmapped together; a precision (config.model.dtypes) is a program of its
own, trained and measured with jax_enable_x64 on for float64 only (research.jax_setup.precision). Each finished unit is written atomically under a hash of its full
config, so a killed sweep resumes where it stopped; a unit that raises is recorded as failed and
the others still run. The tidy tables (`results.csv`, one row per model; `curves.csv`, one row per
model and evaluation step) are assembled from the unit files at the end.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
import traceback
from pathlib import Path

import jax
import ml_collections
import numpy as np
import pandas as pd

from research import datasets, distributed, jax_setup, metric_writers, provenance, reuse
from research.activations import Activation, parse_activation
from research.metrics import evaluation
from research.models import ModelSpec, cast_floats, host_floats
from research.store import Store, atomic_write_csv, atomic_write_json, stable_hash
from research.model_batch import ModelBatch
from research.train import TrainSpec, init_batch, train_models
from research.validation import validate_study_config


@dataclasses.dataclass(frozen=True)
class Unit:
  """One compiled training call: the models of one family on one data set and architecture."""

  dataset: str
  width: int
  depth: int
  activations: tuple[Activation, ...]  # all of one family
  seeds: tuple[int, int] = (0, 0)  # the block of seeds [start, stop) this call trains
  dtype: str = "float32"  # parameters, optimiser state and arithmetic (research.models.DTYPES)

  @property
  def family(self) -> str:
    return self.activations[0].family

  def describe(self) -> str:
    start, stop = self.seeds
    block = f" seeds {start}-{stop - 1}" if start else ""
    precision = "" if self.dtype == "float32" else f" {self.dtype}"
    return (f"{self.dataset} w{self.width} d{self.depth} {'/'.join(a.spec for a in self.activations)}"
            f"{precision}{block}")


@dataclasses.dataclass
class SweepSummary:
  workdir: Path
  num_models: int
  num_diverged: int
  failed_units: list[str]
  skipped_units: int
  wall_time_s: float

  def line(self) -> str:
    status = f"{len(self.failed_units)} units FAILED" if self.failed_units else "all units ok"
    return (f"{self.workdir}: {self.num_models} models, {self.num_diverged} diverged, {status}, "
            f"{self.skipped_units} units resumed from disk, {self.wall_time_s:.1f} s; "
            f"results in {self.workdir / 'results.csv'}")


def architectures(model_config) -> list[tuple[int, int]]:
  """(width, depth) pairs: widths x depths, or, where `model.neurons` is set, each total of
  hidden neurons split equally over each depth (neurons // depth units per layer)."""
  if "neurons" in model_config:
    return [(n // d, d) for n in model_config.neurons for d in model_config.depths]
  return list(itertools.product(model_config.widths, model_config.depths))


def plan_units(config: ml_collections.ConfigDict) -> list[Unit]:
  """The units of a study config, in a fixed order."""
  acts = [parse_activation(s) for s in config.model.activations]
  families = {}
  for a in acts:
    families.setdefault(a.family, []).append(a)
  return [Unit(d, w, depth, tuple(fam), (0, config.num_seeds), dtype)
          for d, (w, depth), fam, dtype in itertools.product(
              config.data.names, architectures(config.model), families.values(),
              config.model.get("dtypes", ("float32",)))]  # configs stored before the field


# Columns every training study writes, besides its metric families' columns.
BASE_COLUMNS = ("dataset", "activation", "activation_name", "family", "slope", "width", "depth",
                "init", "dtype", "lr", "seed", "train_acc", "test_acc", "train_loss", "test_loss", "diverged",
                "diverged_step", "wall_time_s", "compile_time_s", "unit", "model_index")


def unit_models(config, unit: Unit) -> tuple[ModelBatch, list[dict]]:
  """Per-model arrays of a unit and the label columns of each model's row."""
  rows, acts = [], []
  for act, lr, seed in itertools.product(unit.activations, config.optim.learning_rates,
                                         range(*unit.seeds)):
    acts.append(act)
    rows.append(dict(dataset=unit.dataset, activation=act.spec, activation_name=act.name,
                     family=act.family, slope=act.slope, width=unit.width, depth=unit.depth,
                     init=config.model.init, dtype=unit.dtype, lr=float(lr), seed=seed))
    if "neurons" in config.model:
      rows[-1]["neurons"] = unit.width * unit.depth
  batch = ModelBatch(
      seed=np.array([config.seed * 100_003 + r["seed"] for r in rows], np.uint32),
      activations=acts,
      lr=np.array([r["lr"] for r in rows], np.float32),
      data_index=np.array([r["seed"] for r in rows], np.int32))
  return batch, rows


def data_keys(config, spec: str) -> list[jax.Array]:
  """The random key of each seed's draw of a data set spec (its own stream per spec)."""
  base = jax.random.fold_in(jax.random.key(config.seed), int(stable_hash(spec)[:7], 16))
  return [jax.random.fold_in(base, s) for s in range(config.num_seeds)]


def make_data(config, spec: str) -> list[datasets.Dataset]:
  """One independent draw of the data set per seed, shared by every activation and precision
  (pairing); drawn with x64 off, so the draw does not depend on the process's x64 setting."""
  name, params = datasets.dataset_params(config.data, spec)
  with jax_setup.precision("float32"):
    return [datasets.make_dataset(name, key, **params) for key in data_keys(config, spec)]


def stack_data(instances: list[datasets.Dataset]) -> dict[str, np.ndarray]:
  return {k: np.stack([getattr(d, k) for d in instances])
          for k in ("x_train", "y_train", "x_test", "y_test")}


def block_key(config, unit: Unit) -> str:
  """Hash of everything that determines the results of the unit's models, whatever its seeds.

  Each model depends on its own seed alone (tested: results do not depend on batch position or
  chunking), so the blocks of seeds of one block key can be trained apart and put together.
  """
  cfg = config.to_dict()
  for key in ("names", "params"):
    cfg["data"].pop(key)
  for key in ("activations", "widths", "neurons", "depths", "dtypes"):
    cfg["model"].pop(key, None)
  for key in ("num_seeds", "max_models_per_chunk"):  # chunking does not change results (tested)
    cfg.pop(key)
  for key in ("expensive_seeds", "plot_seed"):  # in unit_hash, as what they mean for a block
    cfg["eval"].pop(key)
  cfg["eval"].pop("tensorboard", None)  # where curves are also written, not what they are
  key = dict(cfg=cfg, dataset=unit.dataset, data_params=dict(config.data.params.get(unit.dataset, {})),
             width=unit.width, depth=unit.depth, activations=[a.spec for a in unit.activations])
  if unit.dtype != "float32":  # a float32 unit keeps the key it had before precision was a factor
    key["dtype"] = unit.dtype
  return stable_hash(key)


def unit_hash(config, unit: Unit) -> str:
  """Hash of everything that determines the unit's results: its block key and its seeds."""
  start, stop = unit.seeds
  expensive = max(0, min(stop, config.eval.expensive_seeds) - start)  # its seeds with host metrics
  plot = config.eval.plot_seed if start <= config.eval.plot_seed < stop else None
  return stable_hash(dict(block=block_key(config, unit), seeds=[start, stop], expensive=expensive, plot=plot))


def stored_units(config, store: Store) -> list[Unit]:
  """Every block of a finished run of `config` in `store`, in table order; raises naming a unit
  whose seeds are not all stored (whole, from this code)."""
  stored = reuse.stored_blocks(store, lambda r: unit_hash(config, unit_of_record(r)))
  units = []
  for u in plan_units(config):
    chain = reuse.cover(stored.get(block_key(config, u), []), config.num_seeds)
    if not chain or chain[-1][1] < config.num_seeds:
      raise ValueError(f"unit {u.describe()}: seeds {chain[-1][1] if chain else 0}-{config.num_seeds - 1} "
                       "are not stored whole by this code; rerun the study to compute them first")
    units += [dataclasses.replace(u, seeds=(a, b)) for a, b, _ in chain]
  return units


def unit_of_record(record: dict) -> Unit:
  """The Unit a stored record was made for."""
  acts = tuple(parse_activation(a) for a in record["activations"])
  return Unit(record["dataset"], record["width"], record["depth"], acts, tuple(record["seeds"]),
              record.get("dtype", "float32"))  # records from before the factor are float32


def train_spec_of(config) -> TrainSpec:
  o = config.optim
  return TrainSpec(optimizer=o.optimizer, momentum=o.momentum, schedule=o.schedule,
                   halve_every_steps=o.halve_every_steps, num_steps=o.num_steps,
                   eval_every_steps=o.eval_every_steps, batch_size=o.batch_size, max_loss=o.max_loss)


def model_spec(config, unit: Unit, instances: list[datasets.Dataset]) -> ModelSpec:
  first = instances[0]
  return ModelSpec(first.x_train.shape[1], (unit.width,) * unit.depth, first.num_classes,
                   unit.activations[0], config.model.init, unit.dtype)


def run_unit(config, unit: Unit, instances: list[datasets.Dataset], progress: bool):
  """Trains and evaluates one unit; returns (record, arrays) for the store.

  The arrays keep the trained weights (final and at every checkpoint), so metric families can be
  added to the finished run later without training (research/reevaluate.py).
  """
  batch, rows = unit_models(config, unit)
  spec = model_spec(config, unit, instances)
  checkpoint_steps = tuple(config.eval.get("checkpoint_steps", ()))
  result = train_models(spec, train_spec_of(config), stack_data(instances), batch,
                        max_models_per_chunk=config.max_models_per_chunk, progress=progress,
                        desc=unit.describe(), checkpoint_steps=checkpoint_steps)
  metrics, checkpoint_rows, arrays = measure(config, spec, result, batch, rows, instances)
  for i, row in enumerate(rows):
    row.update(train_acc=float(result.final["train_acc"][i]), test_acc=float(result.final["test_acc"][i]),
               train_loss=float(result.final["train_loss"][i]), test_loss=float(result.final["test_loss"][i]),
               diverged=bool(result.diverged[i]), diverged_step=int(result.diverged_step[i]),
               wall_time_s=result.wall_time_s / len(rows), compile_time_s=result.compile_time_s)
    row.update(metrics[i])
  for k, v in result.curves.items():
    arrays[f"curve_{k}"] = v
  arrays.update(weights_arrays(result))
  return dict(status="ok", unit=unit.describe(), block=block_key(config, unit), seeds=list(unit.seeds),
              dataset=unit.dataset, width=unit.width, depth=unit.depth, dtype=unit.dtype,
              activations=[a.spec for a in unit.activations], rows=rows,
              checkpoint_rows=checkpoint_rows), arrays


def measure(config, spec: ModelSpec, result, batch: ModelBatch, labels: list[dict],
            instances: list[datasets.Dataset]) -> tuple[list[dict], list[dict], dict]:
  """The metric families of config.eval.metrics on the final and checkpoint weights of a unit:
  (metric columns per model, one row per model and checkpoint step, arrays for the figures).
  In the unit's precision context: with x64 off a float64 net's weights would be cut to float32."""
  with jax_setup.precision(spec.dtype):
    return _measure(config, spec, result, batch, labels, instances)


def _measure(config, spec: ModelSpec, result, batch: ModelBatch, labels: list[dict],
             instances: list[datasets.Dataset]) -> tuple[list[dict], list[dict], dict]:
  metrics, arrays = evaluation.evaluate_unit(config, spec, result, labels, batch.data_index, instances)
  checkpoint_rows = []
  # Families in eval.skip_at_checkpoints are not measured at checkpoints ("core": none, only the
  # fit), so a study can save weights through training (for research/views) without paying for them.
  skip = tuple(config.eval.get("skip_at_checkpoints", ()))
  at_config = ml_collections.ConfigDict(config.to_dict())
  at_config.eval.metrics = tuple(m for m in config.eval.metrics if m not in skip)
  for step in sorted(result.checkpoints):  # the families on the parameters at earlier steps
    params, rest = result.checkpoints[step]
    # diverged_step is the index of the update that failed: steps 0..s-1 come before checkpoint s.
    diverged = result.diverged & (result.diverged_step < step)
    at = dataclasses.replace(result, params=params, rest=rest, diverged=diverged)
    at_step = ([{} for _ in labels] if "core" in skip else
               evaluation.evaluate_unit(at_config, spec, at, labels, batch.data_index, instances)[0])
    fit = evaluation.fit_at(spec, params, rest, stack_data(instances), batch.data_index)
    for i, (row, m) in enumerate(zip(labels, at_step)):
      measured = {k: (float("nan") if diverged[i] else v) for k, v in {**fit[i], **m}.items()}
      checkpoint_rows.append(dict(row, step=step, diverged=bool(diverged[i]), **measured))
  # A diverged model's metrics describe a frozen, meaningless state.
  metrics = [{k: (float("nan") if result.diverged[i] else v) for k, v in m.items()}
             for i, m in enumerate(metrics)]
  return metrics, checkpoint_rows, arrays


def weights_arrays(result) -> dict[str, np.ndarray]:
  """The trained (params, rest) leaves, final and per checkpoint, as named arrays (bfloat16 stored
  as float32, exactly: .npz files know no bfloat16; restore_weights casts back)."""
  out = {f"weights_final_{k}": host_floats(np.asarray(v))
         for k, v in enumerate(jax.tree.leaves((result.params, result.rest)))}
  for step, state in result.checkpoints.items():
    out.update({f"weights_s{step}_{k}": host_floats(np.asarray(v)) for k, v in enumerate(jax.tree.leaves(state))})
  return out


def restore_weights(spec: ModelSpec, batch: ModelBatch, arrays: dict[str, np.ndarray], which: str):
  """(params, rest) of every model of a unit from `weights_arrays`' arrays, in the unit's
  precision; which: 'final' or 's<step>'."""
  template = jax.eval_shape(lambda: init_batch(np.asarray(batch.seed, np.uint32), batch.slope, spec=spec,
                                               train_spec=TrainSpec()))[:2]
  treedef = jax.tree.structure(template)
  leaves = [arrays[f"weights_{which}_{k}"] for k in range(treedef.num_leaves)]
  if spec.dtype == "float32":  # as stored
    return jax.tree.unflatten(treedef, leaves)
  return cast_floats(jax.tree.unflatten(treedef, [np.asarray(l) for l in leaves]), spec.dtype)


def run_sweep(config: ml_collections.ConfigDict, workdir: str, *, overwrite: bool = False,
              progress: bool = True, store: Store | None = None) -> SweepSummary:
  """Runs (or resumes) every unit of a study config and assembles the results tables.

  With several processes (research.distributed), every process runs every unit's compiled
  program on its share of the model axis, and only process 0 reads and writes the workdir.
  A stored unit is reused only if whole and from this code (Store.check_unit); otherwise the
  reason is printed in one line and the unit recomputed. `store`: the caller's claim on `workdir`
  (process 0), else the sweep claims it (and releases it at the end).
  """
  start = time.perf_counter()
  validate_study_config(config)
  writer = distributed.is_writer()
  own_store = writer and store is None
  if own_store:
    store = Store(workdir, config.to_dict(), overwrite=overwrite)
  try:
    return _run_units(config, workdir, store, writer, progress, start)
  finally:
    if own_store:
      store.release()


def _run_units(config, workdir, store: Store | None, writer: bool, progress: bool, start: float) -> SweepSummary:
  if writer:
    atomic_write_json(store.root / "config.json",
                      dict(config=config.to_dict(), config_hash=store.config_hash,
                           provenance=provenance.collect()))
  base = plan_units(config)
  # Process 0 knows what is stored: for each unit, up to which seed whole blocks of this code can
  # be reused (a run with more seeds trains only the new ones); every process learns it.
  stored = reuse.stored_blocks(store, lambda r: unit_hash(config, unit_of_record(r)), report=True) if writer else {}
  covered = [reuse.cover(stored.get(block_key(config, u), []), config.num_seeds) for u in base] if writer else []
  reuse_until = distributed.agree(np.array([c[-1][1] if c else 0 for c in covered] if writer
                                           else [0] * len(base), np.int64))
  units, todo = [], []  # every block in order (for the tables), and the new ones to train
  for n, u in enumerate(base):
    units += [dataclasses.replace(u, seeds=(a, b)) for a, b, _ in (covered[n] if writer else [])]
    if reuse_until[n] < config.num_seeds:
      todo.append(dataclasses.replace(u, seeds=(int(reuse_until[n]), config.num_seeds)))
      units.append(todo[-1])
  hashes = [unit_hash(config, unit) for unit in todo]
  skipped = len(units) - len(todo)
  data_cache: dict[str, list[datasets.Dataset]] = {}
  failed = []
  tensorboard = bool(config.eval.get("tensorboard", False))
  for n, (unit, h) in enumerate(zip(todo, hashes)):
    if progress and writer:
      print(f"[{n + 1}/{len(todo)}] {unit.describe()}", flush=True)
    try:
      if unit.dataset not in data_cache:
        data_cache[unit.dataset] = make_data(config, unit.dataset)
      record, arrays = run_unit(config, unit, data_cache[unit.dataset], progress and writer)
    except Exception as e:  # recorded, and the other units still run
      record, arrays = dict(status="failed", unit=unit.describe(), error=f"{type(e).__name__}: {e}",
                            traceback=traceback.format_exc()), None
      failed.append(f"{unit.describe()}: {type(e).__name__}: {e}")
    if writer:
      store.write_unit(h, record, arrays)
      if tensorboard and record["status"] == "ok":
        metric_writers.write_unit(store.root, h, record, arrays)
  num_models = num_diverged = 0
  if writer:
    results, _ = assemble(store, config, units)
    if tensorboard:  # the units resumed from disk (their files may predate the flag)
      metric_writers.write_units(store, [unit_hash(config, u) for u in units], skip=set(hashes))
    num_models = len(results)
    num_diverged = int(results["diverged"].sum()) if num_models else 0
  return SweepSummary(Path(workdir), num_models, num_diverged, failed, skipped,
                      time.perf_counter() - start)


def assemble(store: Store, config, units: list[Unit]) -> tuple[pd.DataFrame, pd.DataFrame]:
  """Writes results.csv and curves.csv from the unit files, in unit order."""
  rows, curve_frames, checkpoint_rows = [], [], []
  for unit in units:
    h = unit_hash(config, unit)
    if not store.has_unit(h):
      continue
    record = store.read_unit(h)
    if record["status"] != "ok":
      continue
    arrays = store.read_arrays(h, prefix="curve_")
    num_models = len(record["rows"])  # checkpoint rows are step-major: step, then model
    checkpoint_rows += [dict(row, unit=h, model_index=i % num_models)
                        for i, row in enumerate(record.get("checkpoint_rows", []))]
    rows += [dict(row, unit=h, model_index=i) for i, row in enumerate(record["rows"])]
    # One frame per unit, model-major (a model's steps in a row), as one frame per model was.
    steps = arrays["curve_step"]
    meta = {c: np.repeat([r.get(c, "float32") if c == "dtype" else r[c] for r in record["rows"]], len(steps))
            for c in ("dataset", "activation", "width", "depth", "dtype", "lr", "seed")}
    curve_frames.append(pd.DataFrame(dict(
        unit=h, model_index=np.repeat(np.arange(num_models), len(steps)), **meta,
        step=np.tile(steps, num_models),
        **{k[len("curve_"):]: arrays[k].T.reshape(-1) for k in arrays if k != "curve_step"})))
  results = pd.DataFrame(rows)
  curves = pd.concat(curve_frames, ignore_index=True) if curve_frames else pd.DataFrame()
  atomic_write_csv(store.root / "results.csv", results)
  atomic_write_csv(store.root / "curves.csv", curves)
  if checkpoint_rows:  # metrics through training: one row per model and checkpoint step
    atomic_write_csv(store.root / "checkpoints.csv", pd.DataFrame(checkpoint_rows))
  return results, curves


def not_diverged(results: pd.DataFrame) -> pd.DataFrame:
  """The rows of models that did not diverge (a diverged model's metrics describe a frozen state)."""
  if "diverged" not in results:
    return results
  return results[~results["diverged"].fillna(False).astype(bool)]


def load_results(workdir: str | Path) -> pd.DataFrame:
  return pd.read_csv(Path(workdir) / "results.csv")
