"""Training and evaluation curves as TensorBoard event files (`config.eval.tensorboard=True`).

Off by default. With the flag, every model of a sweep gets a TensorBoard run,
<workdir>/tensorboard/<dataset>_w<width>_d<depth>/<activation>_lr<lr>_seed<seed>/, holding:
  train_loss, train_acc, test_loss, test_acc  at every evaluation step (the values of curves.csv)
  eval/<column>                               every metric column of results.csv at the last step,
                                              and of checkpoints.csv at each checkpoint step
so `tensorboard --logdir <workdir>/tensorboard` shows them as flax and big_vision users expect.
A unit's runs are written when the unit finishes (and, for units resumed from disk, at the end of
the sweep), each model's file atomically under a name of its unit's hash: a rerun replaces the
file, it never appends a second copy of the curve.

The writer has the shape of CLU's `metric_writers.MetricWriter` (write_scalars(step, scalars),
flush, close), but is not CLU's: clu 0.0.12's `metric_writers` package imports TensorFlow on
import (its __init__ imports the TF SummaryWriter), about 600 MB to install, and TensorFlow's
summaries are tensors that TensorBoard's classic reader does not list as scalars. This writer
frames the same Event protocol buffers with tensorboard's own record writer (the format
torch.utils.tensorboard writes), so the `tensorboard` package alone is needed:
`pip install -e '.[tensorboard]'`.
"""

from __future__ import annotations

import io
import math
import numbers
import re
import time
from pathlib import Path
from typing import Mapping

import numpy as np

from research.store import atomic_write_bytes

INSTALL = "pip install -e '.[tensorboard]'"
SUBDIR = "tensorboard"
# Row columns that are not metrics: what a model is, and the values the curves already hold.
_NOT_METRICS = {"dataset", "activation", "activation_name", "family", "slope", "width", "depth",
                "init", "lr", "seed", "neurons", "step", "train_acc", "test_acc", "train_loss",
                "test_loss", "diverged", "diverged_step", "wall_time_s", "compile_time_s", "unit",
                "model_index", "dtype"}
CURVES = ("train_loss", "train_acc", "test_loss", "test_acc")


def available() -> bool:
  """Whether the tensorboard package (the writer's one dependency) is installed."""
  try:
    import tensorboard.compat.proto.event_pb2  # noqa: F401
    return True
  except ImportError:
    return False


class TensorBoardWriter:
  """A CLU-style MetricWriter writing one TensorBoard event file, atomically on close."""

  def __init__(self, path: str | Path):
    from tensorboard.compat.proto import event_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter
    self.path = Path(path)
    self._event_pb2 = event_pb2
    self._buffer = io.BytesIO()
    self._records = RecordWriter(self._buffer)
    # Every event file starts with its format version (TensorBoard's readers expect it).
    self._write(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"))

  def _write(self, event) -> None:
    self._records.write(event.SerializeToString())

  def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
    """One scalar per tag at `step` (as CLU's MetricWriter.write_scalars)."""
    from tensorboard.compat.proto.summary_pb2 import Summary
    values = [Summary.Value(tag=tag, simple_value=float(v)) for tag, v in scalars.items()]
    self._write(self._event_pb2.Event(wall_time=time.time(), step=int(step), summary=Summary(value=values)))

  def flush(self) -> None:
    """Writes what was written so far to the file (whole, atomically)."""
    atomic_write_bytes(self.path, self._buffer.getvalue())

  def close(self) -> None:
    self.flush()

  def __enter__(self) -> "TensorBoardWriter":
    return self

  def __exit__(self, *exc) -> None:
    if exc[0] is None:
      self.close()


def run_name(row: Mapping) -> str:
  """The TensorBoard run of a model: <dataset>_w<width>_d<depth>/<activation>_lr<lr>_seed<seed>."""
  clean = lambda s: re.sub(r"[^A-Za-z0-9._=+-]", "_", str(s))
  return (f"{clean(row['dataset'])}_w{row['width']}_d{row['depth']}/"
          f"{clean(row['activation'])}_lr{float(row['lr']):g}_seed{row['seed']}"
          # A precision other than float32 (the precision study) is its own run of the same seed.
          f"{'' if row.get('dtype', 'float32') == 'float32' else '_' + clean(row['dtype'])}")


def _metrics(row: Mapping) -> dict[str, float]:
  """The finite numeric metric columns of a results or checkpoints row, as eval/<column>."""
  return {f"eval/{k}": float(v) for k, v in row.items()
          if k not in _NOT_METRICS and isinstance(v, numbers.Real) and not isinstance(v, bool)
          and math.isfinite(v)}


def write_unit(root: str | Path, unit_hash: str, record: dict, arrays: Mapping[str, np.ndarray]) -> list[Path]:
  """Writes the event file of every model of one finished unit; returns their paths."""
  steps = np.asarray(arrays["curve_step"])
  num_models = len(record["rows"])
  checkpoints: dict[int, dict[int, dict]] = {}
  for n, row in enumerate(record.get("checkpoint_rows", [])):  # step-major: step, then model
    checkpoints.setdefault(n % num_models, {})[int(row["step"])] = row
  paths = []
  for m, row in enumerate(record["rows"]):
    path = Path(root) / SUBDIR / run_name(row) / f"events.out.tfevents.{unit_hash[:16]}"
    with TensorBoardWriter(path) as writer:
      for k, step in enumerate(steps):
        writer.write_scalars(int(step), {c: arrays[f"curve_{c}"][k, m] for c in CURVES
                                         if f"curve_{c}" in arrays})
      at = checkpoints.get(m, {})
      for step in sorted(at):
        writer.write_scalars(step, _metrics(at[step]))
      if int(steps[-1]) not in at:  # the final metrics, unless a checkpoint already holds them
        writer.write_scalars(int(steps[-1]), _metrics(row))
    # A file of another hash in this model's run is the same model from an earlier config of the
    # workdir (e.g. before metric families were added): TensorBoard would draw both.
    for old in path.parent.glob("events.out.tfevents.*"):
      if old != path and not old.name.endswith(".tmp"):
        old.unlink()
    paths.append(path)
  return paths


def write_units(store, hashes, skip=()) -> None:
  """Writes the event files of every stored, finished unit of `hashes` not in `skip`."""
  for h in hashes:
    if h in skip or not store.has_unit(h):
      continue
    record = store.read_unit(h)
    if record["status"] == "ok":
      write_unit(store.root, h, record, store.read_arrays(h))
