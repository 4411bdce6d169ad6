"""What produced a result: package versions, git commit and dirtiness, devices."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import jax

PACKAGES = ("jax", "jaxlib", "flax", "optax", "numpy", "scipy", "scikit-learn", "pandas", "seaborn",
            "ml_collections", "ripser")


def _git(*args: str) -> str | None:
  try:
    out = subprocess.run(["git", *args], cwd=Path(__file__).resolve().parent, capture_output=True,
                         text=True, timeout=10)
  except (OSError, subprocess.TimeoutExpired):
    return None
  return out.stdout.strip() if out.returncode == 0 else None


def collect() -> dict:
  """Versions, git state and device description for config.json."""
  versions = {}
  for p in PACKAGES:
    try:
      versions[p] = metadata.version(p)
    except metadata.PackageNotFoundError:
      versions[p] = None
  status = _git("status", "--porcelain")
  devices = jax.devices()
  return dict(
      versions=versions, python=sys.version.split()[0], platform=platform.platform(),
      git_commit=_git("rev-parse", "HEAD"),
      git_dirty=None if status is None else bool(status),
      device_kind=devices[0].device_kind, device_platform=devices[0].platform,
      device_count=len(devices), process_count=jax.process_count())
