"""Metric families added to a finished run, from its saved weights, without training.

Every unit of a sweep keeps its trained weights (final and at each checkpoint; research/sweep.py).
`add_metrics` reads a workdir's config, adds families to `eval.metrics` (and their knobs), and for
every stored unit rebuilds the models from the weights, measures the new families on them with the
same code a fresh run uses (`sweep.measure`), merges the new columns into the unit's rows and
writes the unit under the new config's hash. The workdir then belongs to the new config, and the
study's runner (research.study.run_study) finds every unit done: it trains nothing and writes the
tables, figures and report with the new columns. The added columns equal those of a run that had
the families from the start (tests/test_reevaluate.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import ml_collections
import numpy as np

from research import sweep
from research.metrics import family
from research.store import Store
from research.validation import ConfigError


def extended_config(config: ml_collections.ConfigDict, families: list[str],
                    knobs: dict | None = None) -> ml_collections.ConfigDict:
  """`config` with `families` appended to eval.metrics and `knobs` set in eval (a copy)."""
  new = ml_collections.ConfigDict(config.to_dict())
  already = [f for f in families if f in new.eval.metrics]
  if already:
    raise ConfigError(f"metric families {already} are already in eval.metrics {list(new.eval.metrics)}")
  new.eval.metrics = (*new.eval.metrics, *families)
  for key, value in (knobs or {}).items():
    new.eval[key] = value
  return new


def _stored_result(spec, batch, record: dict, arrays: dict):
  """A TrainResult-like object holding what the families read: weights and divergence."""
  from research.train import TrainResult
  rows = record["rows"]
  steps = sorted({r["step"] for r in record.get("checkpoint_rows", [])})
  return TrainResult(
      params=None, rest=None, curves={}, final={}, wall_time_s=0.0, compile_time_s=0.0,
      diverged=np.array([bool(r["diverged"]) for r in rows]),
      diverged_step=np.array([int(r["diverged_step"]) for r in rows]),
      checkpoints={s: sweep.restore_weights(spec, batch, arrays, f"s{s}") for s in steps},
  ), sweep.restore_weights(spec, batch, arrays, "final")


def add_metrics(old: ml_collections.ConfigDict, new: ml_collections.ConfigDict, workdir: str | Path,
                *, progress: bool = True) -> int:
  """Moves every unit of `workdir` (made with `old`) to `new` (old plus metric families), measuring
  the added families on the saved weights; returns the number of units measured."""
  added = [f for f in new.eval.metrics if f not in old.eval.metrics]
  measured_config = ml_collections.ConfigDict(new.to_dict())
  measured_config.eval.metrics = tuple(added)  # "core" always runs too; its columns are kept as they were
  store = Store(workdir, old.to_dict())
  try:
    units = sweep.stored_units(old, store)
    done = 0
    for n, unit in enumerate(units):
      old_hash, new_hash = sweep.unit_hash(old, unit), sweep.unit_hash(new, unit)
      record, arrays = store.read_unit(old_hash), store.read_arrays(old_hash)
      if record["status"] != "ok":
        continue
      if "weights_final_0" not in arrays:
        raise ValueError(f"unit {unit.describe()} of {workdir} has no saved weights (made by an older "
                         "version); rerun the study with the families instead")
      if progress:
        print(f"[{n + 1}/{len(units)}] {unit.describe()}: measuring {', '.join(added)}", flush=True)
      instances = sweep.make_data(old, unit.dataset)
      batch, labels = sweep.unit_models(old, unit)
      spec = sweep.model_spec(old, unit, instances)
      result, (params, rest) = _stored_result(spec, batch, record, arrays)
      result = dataclasses.replace(result, params=params, rest=rest)
      metrics, checkpoint_rows, new_arrays = sweep.measure(measured_config, spec, result, batch, labels, instances)
      # Stored columns keep their values and places; the new families' columns come after them,
      # where a run with the families from the start writes them (eval.metrics order).
      record["block"] = sweep.block_key(new, unit)
      record["rows"] = [_merged(row, m) for row, m in zip(record["rows"], metrics)]
      record["checkpoint_rows"] = [_merged(old_row, new_row) for old_row, new_row in
                                   zip(record.get("checkpoint_rows", []), checkpoint_rows)]
      store.write_unit(new_hash, record, {**arrays, **{k: v for k, v in new_arrays.items() if k not in arrays}})
      if new_hash != old_hash:
        store.unit_path(old_hash).unlink()
        store.unit_path(old_hash, ".npz").unlink(missing_ok=True)
      done += 1
    store.adopt(new.to_dict())
  finally:
    store.release()
  return done


def _merged(stored: dict, measured: dict) -> dict:
  return {**stored, **{k: v for k, v in measured.items() if k not in stored}}


def add_metrics_to_run(study, config: ml_collections.ConfigDict, workdir: str | Path, families: list[str],
                       knobs: dict | None = None, *, progress: bool = True) -> ml_collections.ConfigDict:
  """The study's config extended by `families`, with every unit of its finished run in `workdir`
  measured on them (see add_metrics); the caller then runs the study on the returned config."""
  unknown = [f for f in families if f not in family.metric_families()]
  if unknown:
    raise ConfigError(f"unknown metric families {unknown}; valid: {', '.join(sorted(family.metric_families()))}")
  new = extended_config(config, families, knobs)
  study.validate(new)
  old_sweep, new_sweep = study.sweep(config), study.sweep(new)
  if old_sweep is None:
    raise ConfigError(f"study {study.name!r} trains no models: there are no metric families to add")
  add_metrics(old_sweep, new_sweep, Path(workdir) / study.sweep_subdir, progress=progress)
  if study.sweep_subdir:  # the study's own claim on the top of its workdir moves too
    top = Store(workdir, config.to_dict())
    try:
      top.adopt(new.to_dict())
    finally:
      top.release()
  return new
