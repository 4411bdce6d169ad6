"""What several test modules share: running an entry point as a user does, and checking the
one-line usage error that bad input must give before anything is computed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_module(module: str, *args, timeout: float = 600, devices: int = 1, **kw):
  """`python -m module args` from the repository root on `devices` CPU devices; its CompletedProcess."""
  env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
  return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True,
                        text=True, timeout=timeout, env=env, **kw)


def assert_usage_error_before_compute(call, capsys, workdir: Path, fragment: str) -> None:
  """call() must exit with status 2 and one stderr line containing `fragment`, having run nothing."""
  with pytest.raises(SystemExit) as e:
    call()
  assert e.value.code == 2
  lines = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
  assert len(lines) == 1 and fragment in lines[0], lines
  assert not (workdir / "units").exists()


def run_study_command(name: str, config, workdir: Path) -> None:
  """What `python -m experiments.NAME` does with `config`, in this process (exits like it)."""
  from experiments._entry import usage_error
  from research import studies
  from research.study import run_study
  try:
    outcome = run_study(studies.get_study(name), config, workdir, progress=False)
  except ValueError as e:
    usage_error(e)
  raise SystemExit(0 if outcome.ok else 1)
