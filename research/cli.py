"""The shared body of the `python -m experiments.NAME` entry points.

Bad input (an unknown name, a value out of range, a misspelt override) ends the command with
exit status 2 and one line naming the field, the value and the valid choices, before any data
is generated or anything compiled.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable

from absl import flags

from research import distributed, jax_setup, plots
from research.study_report import write_training_study_report
from research.sweep import run_sweep

USAGE_ERROR = 2

# Every entry point has this flag: parse_flags applies it before JAX starts (research.jax_setup).
flags.DEFINE_string("cpu_devices", "cores", "XLA CPU devices: 'cores' (one per core; the engine "
                    "shards its models over them, see BENCHMARKS.md), 'default' (JAX's one device) "
                    "or a number. Ignored on GPUs and when XLA_FLAGS sets a host device count.")


def define_flags(default_config: str):
  from ml_collections import config_flags
  config = config_flags.DEFINE_config_file("config", default_config, "Study config file (path[:variant]).",
                                           lock_config=True)
  flags.DEFINE_string("workdir", None, "Folder for results and figures.", required=True)
  flags.DEFINE_bool("overwrite", False, "Delete results of a different config found in --workdir.")
  flags.DEFINE_bool("plots", True, "Draw the figures after training.")
  flags.DEFINE_bool("progress", True, "Show progress bars.")
  define_distributed_flags()
  return config


def define_distributed_flags():
  flags.DEFINE_string("coordinator_address", None, "host:port of process 0, to run on several hosts "
                      "(or set JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES, JAX_PROCESS_ID).")
  flags.DEFINE_integer("num_processes", None, "Number of processes (hosts) in a distributed run.")
  flags.DEFINE_integer("process_id", None, "This process's index in a distributed run (0 writes).")


def initialize_distributed():
  f = flags.FLAGS
  distributed.initialize(f.coordinator_address, f.num_processes, f.process_id)


def parse_flags(argv: list[str]) -> None:
  """Parses flags, turning config-file and override errors into one-line usage errors, then sets
  JAX up (compilation cache, CPU devices) before anything touches a device."""
  try:
    flags.FLAGS(argv)
    jax_setup.setup(cpu_devices=jax_setup.parse_cpu_devices(flags.FLAGS.cpu_devices))
  except (flags.Error, ValueError, AttributeError, KeyError, TypeError) as e:
    usage_error(str(e).splitlines()[0] if str(e) else repr(e))


def usage_error(message: str):
  print(f"error: {message}", file=sys.stderr)
  sys.exit(USAGE_ERROR)


def run_sweep_study(config, workdir: str | Path, finish: Callable, *, validate: Callable = lambda c: None,
                    sweep_config: Callable = lambda c: c, sweep_subdir: str = "",
                    overwrite: bool = False, progress: bool = True) -> int:
  """Validates, runs or resumes the sweep of a study, then `finish(workdir, summary, start_time)`
  writes the study's tables, figures and report (process 0 only); returns the exit status.

  A study whose sweep is only part of it (dying_relu) passes `sweep_config` (the sweep's config
  from the study's, called after `validate`) and `sweep_subdir` (where the sweep's files go).
  A bad config or workdir ends with exit status 2 and one line, before any compute.
  """
  start = time.perf_counter()
  workdir = Path(workdir)
  try:
    validate(config)
    summary = run_sweep(sweep_config(config), str(workdir / sweep_subdir), overwrite=overwrite,
                        progress=progress)
  except ValueError as e:  # ConfigError, or a workdir that is unwritable or holds another config
    usage_error(str(e).splitlines()[0])
  if not distributed.is_writer():
    return 1 if summary.failed_units else 0
  if summary.num_models:
    finish(workdir, summary, start)
  print(summary.line())
  for failure in summary.failed_units:
    print(f"FAILED unit: {failure}", file=sys.stderr)
  return 1 if summary.failed_units else 0


def run_training_study(config, workdir: str, overwrite: bool, draw: bool, progress: bool) -> int:
  """Runs or resumes a training study, then its figures and report; returns the exit status."""
  def finish(workdir, summary, start):
    if not draw:
      return
    figures = plots.plot_study(workdir)
    for path in figures:
      print(f"figure: {path}")
    md, page = write_training_study_report(config, workdir, figures, summary.failed_units)
    print(f"report: {md} and {page}")
  return run_sweep_study(config, workdir, finish, overwrite=overwrite, progress=progress)


def training_main(default_config: str):
  """The whole `main` of a training experiment module."""
  config_flag = define_flags(default_config)

  def main(argv=None):
    parse_flags(sys.argv if argv is None else argv)
    initialize_distributed()
    f = flags.FLAGS
    sys.exit(run_training_study(config_flag.value, f.workdir, f.overwrite, f.plots, f.progress))
  return main
