"""experiments._entry: the --cpu_devices flag every entry point has, applied before JAX starts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from research import jax_setup

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys
from experiments._entry import parse_flags
parse_flags(["prog", *sys.argv[1:]])
import jax
print(jax.device_count())
"""


def device_count(*args, xla_flags=None):
  env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
  if xla_flags:
    env["XLA_FLAGS"] = xla_flags
  out = subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
  return out


@pytest.mark.parametrize("args,expected", [
    ((), jax_setup.num_cores()),  # the default: one device per core
    (("--cpu_devices=3",), 3),
    (("--cpu_devices=default",), 1),
])
def test_cpu_devices_flag_sets_the_device_count(args, expected):
  out = device_count(*args)
  assert out.returncode == 0, out.stderr
  assert int(out.stdout.split()[-1]) == expected


def test_explicit_xla_device_count_wins():
  out = device_count("--cpu_devices=3", xla_flags="--xla_force_host_platform_device_count=4")
  assert out.returncode == 0, out.stderr
  assert int(out.stdout.split()[-1]) == 4


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_cpu_devices_is_a_one_line_usage_error(value):
  out = device_count(f"--cpu_devices={value}")
  assert out.returncode == 2 and "Traceback" not in out.stderr
  lines = [l for l in out.stderr.splitlines() if l.strip()]
  assert len(lines) == 1 and "cpu_devices" in lines[0] and "cores" in lines[0], out.stderr
