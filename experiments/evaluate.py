"""Adds metric families to a finished run from its saved weights, without training.

  python -m experiments.evaluate --workdir workdirs/relu_vs_leaky --metrics=plane_topology
  python -m experiments.evaluate --workdir /tmp/q --metrics=robustness --eval='noise_stds=(0.1,0.5)'

Every unit of the run is measured on the added families (research/reevaluate.py), the workdir
moves to the extended config, and the study's tables, figures and report are written again with
the new columns, as if the run had listed the families from the start.
"""

import ast
import json
import sys
from pathlib import Path

from absl import flags

from experiments._entry import require, run, setup_jax, usage_error
from experiments._signals import ends_cleanly


def define(fv):
  flags.DEFINE_string("workdir", None, "A finished study's workdir (it holds config.json).", flag_values=fv)
  require(fv, "workdir", "a finished study's workdir")
  flags.DEFINE_list("metrics", [], "Metric families to add, e.g. plane_topology,robustness.", flag_values=fv)
  flags.DEFINE_multi_string("eval", [], "Knobs of the added families, name=value (a Python literal), "
                            "e.g. noise_stds=(0.1,0.5).", flag_values=fv)
  flags.DEFINE_multi_string("studies_dir", [], "Extra folders of study modules.", flag_values=fv)
  flags.DEFINE_bool("plots", True, "Draw the figures again.", flag_values=fv)
  flags.DEFINE_bool("progress", True, "Show progress.", flag_values=fv)


def _knobs(items: list[str]) -> dict:
  knobs = {}
  for item in items:
    key, eq, value = item.partition("=")
    if not eq or not key.strip():
      usage_error(f"--eval {item!r}: give name=value, e.g. noise_stds=(0.1,0.5)")
    try:
      knobs[key.strip()] = ast.literal_eval(value)
    except (ValueError, SyntaxError):
      usage_error(f"--eval {item!r}: the value must be a Python literal, e.g. noise_stds=(0.1,0.5)")
  return knobs


def _main(args):
  import ml_collections
  from research import studies
  from research.reevaluate import add_metrics_to_run
  from research.study import run_study
  f = args.flags
  if not f.metrics:
    usage_error("give --metrics=FAMILY[,FAMILY...], the metric families to add")
  knobs = _knobs(f.eval)
  try:
    config = ml_collections.ConfigDict(json.loads((Path(f.workdir) / "config.json").read_text())["config"])
    study = studies.get_study(config.study, f.studies_dir)
  except (OSError, ValueError, KeyError, AttributeError) as e:
    usage_error(f"--workdir {f.workdir!r}: not the workdir of a finished run (no readable config.json: "
                f"{type(e).__name__})")
  setup_jax(f)
  with ends_cleanly(f.workdir):
    try:
      new = add_metrics_to_run(study, config, f.workdir, f.metrics, knobs, progress=f.progress)
      outcome = run_study(study, new, f.workdir, draw=f.plots, progress=f.progress)
    except ValueError as e:
      usage_error(e)
  sys.exit(0 if outcome.ok else 1)


def main(argv=None):
  run(_main, argv, define, __doc__)


if __name__ == "__main__":
  main()
