"""Results on disk: atomic writes, one record per unit of work, damage and stale code detected.

A sweep is a list of units (one compiled training call and its metrics). Each finished unit is
written atomically (temporary file in the same folder, then `os.replace`): its arrays (.npz), then
its record (.json), which carries the SHA-256 of its own content and of the arrays, and the
fingerprint of the code that computed it (`code_fingerprint`). On load, `Store.check_unit` says
whether a unit can be reused: a missing, truncated, garbled or edited part, or a unit computed by
other code, is reported in one line and the unit is recomputed. Temporary files of killed writes
are removed when a run opens the workdir. The workdir remembers the hash of the config that made
it (a different config, or another study, is refused rather than mixed in; `overwrite` deletes
every output of the old run), and one process at a time holds its lock (`.lock`, flock: released
when the process ends, however it ends). Files are written 0644 (less what the umask removes), so
collaborators can read the tables.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import socket
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import research

LOCK_NAME = ".lock"
DISTRIBUTION = "research"  # pyproject.toml [project] name
MARKER = "config_hash.txt"
# The modules whose code decides what a unit holds (training, data, metrics); figures, reports and
# study tables are drawn from the units afresh on every run, so they are not part of it.
FINGERPRINTED = ("activations.py", "models.py", "model_batch.py", "train.py", "sweep.py",
                 "distributed.py", "datasets", "metrics")


def stable_hash(obj: Any) -> str:
  """Hash of a JSON-serialisable object, independent of dict order."""
  text = json.dumps(obj, sort_keys=True, default=str)
  return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.cache
def code_fingerprint() -> str:
  """Package version + SHA-256 of the source files that compute a unit (see FINGERPRINTED)."""
  root = Path(research.__file__).parent
  digest = hashlib.sha256()
  for name in FINGERPRINTED:
    path = root / name
    for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
      digest.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
  try:
    version = importlib.metadata.version(DISTRIBUTION)
  except importlib.metadata.PackageNotFoundError:
    version = "0"
  return f"{version}+{digest.hexdigest()[:12]}"


def run_identity(config_dict: dict) -> str:
  """The hash that says which run a workdir holds: the config up to its number of seeds (and the
  seeds that get host-side metrics), so a run with more seeds adds to a workdir (research/reuse.py)
  instead of being refused."""
  identity = json.loads(json.dumps(config_dict, default=str))
  identity.pop("num_seeds", None)
  if isinstance(identity.get("eval"), dict):
    identity["eval"].pop("expensive_seeds", None)
    identity["eval"].pop("tensorboard", None)  # also writing event files is the same run
  return stable_hash(identity)


def _umask() -> int:
  mask = os.umask(0)
  os.umask(mask)
  return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
  """Writes `data` to `path` so that readers see either the old file or the whole new one.

  A full disk raises OSError(ENOSPC) naming the file and the bytes it needed; the old file and
  every other file stay as they were.
  """
  path = Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
  try:
    os.fchmod(fd, 0o644 & ~_umask())  # mkstemp makes 0600: collaborators could not read it
    with os.fdopen(fd, "wb") as f:
      f.write(data)
      f.flush()
      os.fsync(f.fileno())
    os.replace(tmp, path)
  except OSError as e:
    Path(tmp).unlink(missing_ok=True)
    if e.errno == errno.ENOSPC:
      raise OSError(errno.ENOSPC, f"no space left on the device of {path.parent} "
                    f"(writing {path.name}, {len(data):,} bytes)") from None
    raise
  except BaseException:
    Path(tmp).unlink(missing_ok=True)
    raise


def atomic_write_text(path: Path, text: str) -> None:
  atomic_write_bytes(path, text.encode())


def atomic_write_json(path: Path, obj: Any) -> None:
  atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def atomic_write_csv(path: Path, frame: pd.DataFrame) -> None:
  atomic_write_text(path, frame.to_csv(index=False))


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
  buf = io.BytesIO()
  np.savez_compressed(buf, **arrays)
  return buf.getvalue()


def atomic_write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
  atomic_write_bytes(path, npz_bytes(arrays))


def _json_default(obj):
  if isinstance(obj, np.generic):
    return obj.item()
  if isinstance(obj, np.ndarray):
    return obj.tolist()
  return str(obj)


def _sha(data: bytes) -> str:
  return hashlib.sha256(data).hexdigest()


def _record_digest(record: dict) -> str:
  body = {k: v for k, v in record.items() if k != "checksum"}
  return _sha(json.dumps(body, sort_keys=True, default=_json_default).encode())


class WorkdirMismatch(ValueError):
  """The workdir holds results of a different config (or of another study)."""


class WorkdirLocked(ValueError):
  """Another process holds the workdir."""


class Store:
  """A workdir: config.json, units/<hash>.json (+ .npz) and the assembled tables."""

  def __init__(self, workdir: str | os.PathLike, config_dict: dict | None, *, overwrite: bool = False):
    """Claims `workdir` for `config_dict` (and holds its lock); with None, opens it read-only."""
    self.root = Path(workdir)
    self.units_dir = self.root / "units"
    self._lock_fd = None
    if config_dict is None:
      if not self.units_dir.is_dir():
        raise ValueError(f"{str(self.root)!r} is not a workdir with results (no units/ folder)")
      self.config_hash = (self.root / MARKER).read_text().strip()
      return
    self.config_hash = run_identity(config_dict)
    self._claim(config_dict, overwrite)

  # ------------------------------------------------------------------ claiming the workdir

  def _claim(self, config_dict: dict, overwrite: bool) -> None:
    """Checks the workdir is writable, locks it, and that it belongs to this config (or is new)."""
    if not str(self.root).strip():
      raise ValueError("--workdir is empty: give a folder for the results")
    try:
      self.root.mkdir(parents=True, exist_ok=True)
      probe = self.root / ".write_probe"
      probe.write_bytes(b"ok")
      probe.unlink()
    except OSError as e:
      raise ValueError(f"workdir {str(self.root)!r} is not writable: {e.strerror}") from None
    self._lock()
    self.remove_temporary_files()
    marker = self.root / MARKER
    if marker.exists() and marker.read_text().strip() != self.config_hash:
      if not overwrite:
        self.release()
        raise WorkdirMismatch(f"workdir {str(self.root)!r} holds results of {self._describe_other(config_dict)} "
                              f"(config hash {marker.read_text().strip()}, this config "
                              f"{self.config_hash}); use a new --workdir, or pass --overwrite to "
                              "delete its results")
      self.remove_outputs()
    elif marker.exists() and overwrite:
      self.remove_outputs()
    self.units_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(marker, self.config_hash + "\n")

  def _describe_other(self, config_dict: dict) -> str:
    try:
      other = json.loads((self.root / "config.json").read_text())["config"].get("study")
    except (OSError, ValueError, KeyError, AttributeError):
      return "a different config"
    if other and other != config_dict.get("study"):
      return f"another study ({other!r}, this is {config_dict.get('study')!r})"
    return "a different config"

  def _lock(self) -> None:
    path = self.root / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
      holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
      os.close(fd)
      raise WorkdirLocked(f"workdir {str(self.root)!r} is in use by {holder}; wait for it to end, "
                          "or use another --workdir") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"process {os.getpid()} on {socket.gethostname()}\n".encode())
    self._lock_fd = fd

  def release(self) -> None:
    """Releases the workdir's lock (also released when the process ends)."""
    if self._lock_fd is not None:
      fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
      os.close(self._lock_fd)
      self._lock_fd = None

  def remove_temporary_files(self) -> int:
    """Deletes temporary files left by killed writes (safe: this process holds the lock)."""
    removed = 0
    for tmp in self.root.rglob(".*.tmp"):
      tmp.unlink(missing_ok=True)
      removed += 1
    return removed

  def remove_outputs(self) -> None:
    """Deletes every output of the old run in the workdir (its lock stays)."""
    for p in self.root.iterdir():
      if p.name == LOCK_NAME:
        continue
      shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()

  def adopt(self, config_dict: dict) -> None:
    """The workdir now belongs to `config_dict` (its units were moved to it by the caller)."""
    self.config_hash = run_identity(config_dict)
    atomic_write_text(self.root / MARKER, self.config_hash + "\n")

  # ------------------------------------------------------------------ units

  def unit_path(self, unit_hash: str, suffix: str = ".json") -> Path:
    return self.units_dir / f"{unit_hash}{suffix}"

  def has_unit(self, unit_hash: str) -> bool:
    return self.unit_path(unit_hash).exists()

  def write_unit(self, unit_hash: str, record: dict, arrays: dict[str, np.ndarray] | None = None) -> None:
    """Arrays first, then the JSON record: a unit counts as done only once its JSON exists."""
    record = dict(record, code=code_fingerprint())
    if arrays:
      data = npz_bytes(arrays)
      atomic_write_bytes(self.unit_path(unit_hash, ".npz"), data)
      record["arrays_sha256"] = _sha(data)
    else:
      self.unit_path(unit_hash, ".npz").unlink(missing_ok=True)
    record["checksum"] = _record_digest(record)
    atomic_write_json(self.unit_path(unit_hash), record)

  def check_unit(self, unit_hash: str, required: tuple[str, ...] = ("status",)) -> str | None:
    """None if the stored unit is whole, checksummed and from this code; else why it is not."""
    path = self.unit_path(unit_hash)
    if not path.exists():
      return "missing"
    try:
      record = json.loads(path.read_text())
    except (OSError, ValueError) as e:
      return f"unreadable record ({type(e).__name__})"
    if not isinstance(record, dict) or "checksum" not in record:
      return "record without a checksum"
    if record["checksum"] != _record_digest(record):
      return "record edited or damaged (checksum mismatch)"
    missing = [k for k in required if k not in record]
    if missing:
      return f"record lacks {missing}"
    if record.get("code") != code_fingerprint():
      return f"computed by other code ({record.get('code')}, this code {code_fingerprint()})"
    if "arrays_sha256" in record:
      npz = self.unit_path(unit_hash, ".npz")
      if not npz.exists():
        return "arrays file missing"
      if _sha(npz.read_bytes()) != record["arrays_sha256"]:
        return "arrays file damaged (checksum mismatch)"
    return None

  def read_unit(self, unit_hash: str) -> dict:
    return json.loads(self.unit_path(unit_hash).read_text())

  def read_arrays(self, unit_hash: str, prefix: str = "") -> dict[str, np.ndarray]:
    """The unit's arrays whose names start with `prefix` (only those are read: a unit's saved
    weights are most of its file, and the tables need its curves alone)."""
    path = self.unit_path(unit_hash, ".npz")
    if not path.exists():
      return {}
    try:
      with np.load(path) as z:
        return {k: z[k] for k in z.files if k.startswith(prefix)}
    except (OSError, ValueError, zipfile.BadZipFile) as e:
      raise ValueError(f"{path}: unreadable arrays ({type(e).__name__}); rerun the study to "
                       "recompute the unit") from None
