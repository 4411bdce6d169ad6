"""What every `python -m experiments.NAME` shares: the flags, config files, one-line errors and
exit statuses. The library (research/) raises and returns; only this layer exits.

Exit statuses: 0 done; 1 some units failed (recorded, the others ran; a rerun retries them);
2 bad input (one line on stderr naming the field, the value and the valid choices; nothing run).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from absl import flags

USAGE_ERROR = 2

# Every entry point has this flag: parse_flags applies it before JAX starts (research.jax_setup).
flags.DEFINE_string("cpu_devices", "cores", "XLA CPU devices: 'cores' (one per core; the engine "
                    "shards its models over them, see BENCHMARKS.md), 'default' (JAX's one device) "
                    "or a number. Ignored on GPUs and when XLA_FLAGS sets a host device count.")


def usage_error(message: str):
  """Ends the command: one line on stderr, exit status 2."""
  print(f"error: {str(message).splitlines()[0] if str(message) else message!r}", file=sys.stderr)
  sys.exit(USAGE_ERROR)


def parse_flags(argv: list[str]) -> None:
  """Parses flags, turning config-file and override errors into one-line usage errors, then sets
  JAX up (compilation cache, CPU devices) before anything touches a device."""
  from research import jax_setup
  try:
    flags.FLAGS(argv)
    jax_setup.setup(cpu_devices=jax_setup.parse_cpu_devices(flags.FLAGS.cpu_devices))
  except (flags.Error, ValueError, AttributeError, KeyError, TypeError) as e:
    usage_error(str(e) or repr(e))


def define_study_flags(default_config: str | None):
  """--config (path[:variant], with --config.field=value overrides), --workdir and the run flags."""
  from ml_collections import config_flags
  config = config_flags.DEFINE_config_file("config", default_config, "Study config file (path[:variant]).",
                                           lock_config=True)
  flags.DEFINE_string("workdir", None, "Folder for results, figures and the report.", required=True)
  flags.DEFINE_bool("overwrite", False, "Delete results of a different config found in --workdir.")
  flags.DEFINE_bool("plots", True, "Draw the figures (--noplots: tables and report only; matplotlib "
                    "is then never imported).")
  flags.DEFINE_bool("progress", True, "Show progress bars.")
  flags.DEFINE_multi_string("studies_dir", [], "Extra folders of study modules.")
  flags.DEFINE_string("coordinator_address", None, "host:port of process 0, to run on several hosts "
                      "(or set JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES, JAX_PROCESS_ID).")
  flags.DEFINE_integer("num_processes", None, "Number of processes (hosts) in a distributed run.")
  flags.DEFINE_integer("process_id", None, "This process's index in a distributed run (0 writes).")
  return config


def load_config(path_and_variant: str):
  """get_config(variant) of a config file given as path[:variant] (what --config takes)."""
  path, _, variant = str(path_and_variant).partition(":")
  if not Path(path).is_file():
    raise ValueError(f"config file {path!r} does not exist")
  spec = importlib.util.spec_from_file_location(f"_config_{Path(path).stem}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(variant or None)


def run_and_exit(study_name: str, config) -> None:
  """Runs one study with the parsed flags and exits with its status."""
  from research import studies
  from research.study import run_study
  f = flags.FLAGS
  try:
    study = studies.get_study(study_name, f.studies_dir)
    outcome = run_study(study, config, f.workdir, overwrite=f.overwrite, draw=f.plots,
                        progress=f.progress, coordinator_address=f.coordinator_address,
                        num_processes=f.num_processes, process_id=f.process_id)
  except ValueError as e:  # ConfigError, or a workdir that is unwritable or holds another config
    usage_error(e)
  sys.exit(0 if outcome.ok else 1)


def study_main(study_name: str):
  """The whole `main` of `experiments/<study_name>.py` (config default: configs/<name>.py)."""
  config = define_study_flags(f"configs/{study_name}.py")

  def main(argv=None):
    parse_flags(sys.argv if argv is None else argv)
    run_and_exit(study_name, config.value)
  return main
