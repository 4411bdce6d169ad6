"""experiments._entry: the --cpu_devices flag every entry point has (applied before JAX starts), --help
on every entry point, config overrides."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from research import jax_setup

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys
from experiments._entry import run, setup_jax

def main(args):
  setup_jax(args.flags)
  import jax
  print(jax.device_count())

run(main, ["prog", *sys.argv[1:]], lambda fv: None, "")
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


# --help on every entry point: exit 0, the usage text, and for studies every config field.
ENTRIES = ("relu_vs_leaky", "topology", "sparsity", "dying_relu", "linear_regions", "narrow_nets",
           "activation_cost", "theorems", "verdict_map", "study", "hypothesis", "report", "benchmark",
           "stats_simulation", "views")
CONFIG_KEYS = {"relu_vs_leaky": ("num_seeds = 30", "model.widths = (4, 16)", "data.params = {}"),
               "topology": ("eval.betti_k = 13",), "dying_relu": ("born_dead.num_inits = 4000",),
               "linear_regions": ("model.neurons",), "narrow_nets": ("model.widths = (2, 3, 4)",),
               "sparsity": ("data.params.rings.num_rings = 3",), "activation_cost": ("networks.wide.in_dim",),
               "benchmark": ("memory.num_models",)}


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("flag", ["--help", "-h", "--helpshort", "--helpfull"])
def test_help_exits_0_and_lists_the_config(entry, flag, capsys):
  import importlib
  main = importlib.import_module(f"experiments.{entry}").main
  with pytest.raises(SystemExit) as exit_:
    main(["prog", flag])
  out = capsys.readouterr().out
  assert exit_.value.code == 0
  assert "--cpu_devices" in out
  for key in CONFIG_KEYS.get(entry, ()) if flag != "--helpshort" else ():
    assert key in out, (key, out)


def test_help_lists_meanings_and_the_given_variant(capsys):
  from experiments.topology import main
  with pytest.raises(SystemExit):
    main(["prog", "--config=configs/topology.py:quick", "-h"])
  out = capsys.readouterr().out
  assert "num_seeds = 2" in out and "Naitzat" in out  # the quick values, the config docstring
  assert "optim.momentum = 0.9  # sgd only" in out


def test_overrides_reach_the_config():
  from experiments._config import split_overrides, study_config
  overrides, rest = split_overrides(["--config.num_seeds=4", "--config.model.widths", "(8,)",
                                     "--config.data.params.spirals.turns=2.5", "--workdir=x"])
  assert rest == ["--workdir=x"]
  c = study_config("configs/relu_vs_leaky.py:quick", overrides, "relu_vs_leaky")
  assert c.num_seeds == 4 and c.model.widths == (8,) and c.data.params.spirals.turns == 2.5


def test_overriding_a_reference_sets_only_that_field():
  from experiments._config import study_config
  c = study_config("configs/topology.py", [("eval.expensive_seeds", "2")], "topology")
  assert (c.num_seeds, c.eval.expensive_seeds) == (88, 2)
  c = study_config("configs/topology.py", [("num_seeds", "3")], "topology")
  assert (c.num_seeds, c.eval.expensive_seeds) == (3, 3)  # the reference follows its source


@pytest.mark.parametrize("name", ["relu_vs_leaky", "topology", "sparsity", "dying_relu", "linear_regions",
                                  "narrow_nets", "activation_cost", "benchmark"])
def test_quick_variants_have_the_default_schema(name):
  from experiments._config import load_config, reference_config
  from research.validation import check_fields
  check_fields(load_config(f"configs/{name}.py:quick"), reference_config(name))
