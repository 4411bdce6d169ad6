"""Results on disk: atomic writes, one file per unit of work keyed by the hash of its config.

A sweep is a list of units (one compiled training call and its metrics). Each finished unit is
written atomically (temporary file in the same folder, then `os.replace`), so a killed run leaves
only whole units behind and a rerun skips exactly those. The workdir remembers the hash of the
config that made it; a different config is refused rather than mixed in.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def stable_hash(obj: Any) -> str:
  """Hash of a JSON-serialisable object, independent of dict order."""
  text = json.dumps(obj, sort_keys=True, default=str)
  return hashlib.sha256(text.encode()).hexdigest()[:16]


def atomic_write_bytes(path: Path, data: bytes) -> None:
  """Writes `data` to `path` so that readers see either the old file or the whole new one."""
  path = Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
  try:
    with os.fdopen(fd, "wb") as f:
      f.write(data)
      f.flush()
      os.fsync(f.fileno())
    os.replace(tmp, path)
  except BaseException:
    Path(tmp).unlink(missing_ok=True)
    raise


def atomic_write_text(path: Path, text: str) -> None:
  atomic_write_bytes(path, text.encode())


def atomic_write_json(path: Path, obj: Any) -> None:
  atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def atomic_write_csv(path: Path, frame: pd.DataFrame) -> None:
  atomic_write_text(path, frame.to_csv(index=False))


def atomic_write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
  buf = io.BytesIO()
  np.savez_compressed(buf, **arrays)
  atomic_write_bytes(path, buf.getvalue())


def _json_default(obj):
  if isinstance(obj, np.generic):
    return obj.item()
  if isinstance(obj, np.ndarray):
    return obj.tolist()
  return str(obj)


class WorkdirMismatch(ValueError):
  """The workdir holds results of a different config."""


class Store:
  """A workdir: config.json, units/<hash>.json (+ .npz) and the assembled tables."""

  def __init__(self, workdir: str | os.PathLike, config_dict: dict | None, *, overwrite: bool = False):
    """Claims `workdir` for `config_dict`; with None, opens an existing workdir read-only."""
    self.root = Path(workdir)
    self.units_dir = self.root / "units"
    if config_dict is None:
      if not self.units_dir.is_dir():
        raise ValueError(f"{str(self.root)!r} is not a workdir with results (no units/ folder)")
      self.config_hash = (self.root / "config_hash.txt").read_text().strip()
      return
    self.config_hash = stable_hash(config_dict)
    self._claim(overwrite)

  def _claim(self, overwrite: bool) -> None:
    """Checks the workdir is writable and belongs to this config (or is empty)."""
    try:
      self.units_dir.mkdir(parents=True, exist_ok=True)
      probe = self.root / ".write_probe"
      probe.write_bytes(b"ok")
      probe.unlink()
    except OSError as e:
      raise ValueError(f"workdir {str(self.root)!r} is not writable: {e.strerror}") from None
    marker = self.root / "config_hash.txt"
    if marker.exists() and marker.read_text().strip() != self.config_hash:
      if not overwrite:
        raise WorkdirMismatch(
            f"workdir {str(self.root)!r} holds results of a different config "
            f"(hash {marker.read_text().strip()}, this config {self.config_hash}); use a new "
            "--workdir, or pass --overwrite to delete its results")
      for p in self.units_dir.iterdir():
        p.unlink()
    atomic_write_text(marker, self.config_hash + "\n")

  def unit_path(self, unit_hash: str, suffix: str = ".json") -> Path:
    return self.units_dir / f"{unit_hash}{suffix}"

  def has_unit(self, unit_hash: str) -> bool:
    return self.unit_path(unit_hash).exists()

  def write_unit(self, unit_hash: str, record: dict, arrays: dict[str, np.ndarray] | None = None) -> None:
    """Arrays first, then the JSON record: a unit counts as done only once its JSON exists."""
    if arrays:
      atomic_write_npz(self.unit_path(unit_hash, ".npz"), arrays)
    atomic_write_json(self.unit_path(unit_hash), record)

  def read_unit(self, unit_hash: str) -> dict:
    return json.loads(self.unit_path(unit_hash).read_text())

  def read_arrays(self, unit_hash: str) -> dict[str, np.ndarray]:
    path = self.unit_path(unit_hash, ".npz")
    if not path.exists():
      return {}
    with np.load(path) as z:
      return {k: z[k] for k in z.files}
