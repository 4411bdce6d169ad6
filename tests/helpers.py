"""What several test modules share: running an entry point as a user does, and checking the
one-line usage error that bad input must give before anything is computed."""

import json
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


# Runs each command's `main(argv)` in turn in one interpreter; each one's exit status, stdout and
# stderr come back as a JSON list on the last line. The entry points are made for several in one
# process (experiments/_entry.py: fresh flags per call, jax.distributed joined once).
_SEVERAL_MODULES = r"""
import contextlib, importlib, io, json, sys, traceback
outcomes = []
for module, *args in json.loads(sys.argv[1]):
  out, err = io.StringIO(), io.StringIO()
  with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    try:
      importlib.import_module(module).main([module, *args])
      code = 0
    except SystemExit as e:
      code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
      traceback.print_exc()
      code = 1
  outcomes.append(dict(returncode=code, stdout=out.getvalue(), stderr=err.getvalue()))
print(json.dumps(outcomes))
"""


def start_modules(commands: list[list[str]], env: dict) -> subprocess.Popen:
  """One fresh interpreter running each [module, *args] of `commands` in turn (see run_modules)."""
  return subprocess.Popen([sys.executable, "-c", _SEVERAL_MODULES, json.dumps(commands)], cwd=ROOT,
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_modules(commands: list[list[str]], timeout: float = 600,
                devices: int = 1) -> list[subprocess.CompletedProcess]:
  """Like run_module for each [module, *args] of `commands`, but all in one fresh interpreter
  (one import of jax and the library instead of one per command: seconds each); the
  CompletedProcess of each command, its output separated from the others'."""
  env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
  return several_outcomes(start_modules(commands, env), commands, timeout)


def several_outcomes(proc: subprocess.Popen, commands: list[list[str]],
                     timeout: float = 600) -> list[subprocess.CompletedProcess]:
  """The per-command CompletedProcesses of a run_modules interpreter (started by the caller)."""
  stdout, stderr = proc.communicate(timeout=timeout)
  assert proc.returncode == 0 and stdout.strip(), stderr[-3000:]
  outcomes = json.loads(stdout.strip().splitlines()[-1])
  return [subprocess.CompletedProcess(c, o["returncode"], o["stdout"], o["stderr"])
          for c, o in zip(commands, outcomes)]
