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

from experiments._entry import parse_flags, usage_error

flags.DEFINE_string("workdir", None, "A finished study's workdir (it holds config.json).", required=True)
flags.DEFINE_list("metrics", None, "Metric families to add, e.g. plane_topology,robustness.", required=True)
flags.DEFINE_multi_string("eval", [], "Knobs of the added families, name=value (a Python literal), "
                          "e.g. noise_stds=(0.1,0.5).")
flags.DEFINE_multi_string("studies_dir", [], "Extra folders of study modules.")
flags.DEFINE_bool("plots", True, "Draw the figures again.")
flags.DEFINE_bool("progress", True, "Show progress.")


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  import ml_collections
  from research import studies
  from research.reevaluate import add_metrics_to_run
  from research.study import run_study
  f = flags.FLAGS
  path = Path(f.workdir) / "config.json"
  try:
    config = ml_collections.ConfigDict(json.loads(path.read_text())["config"])
  except (OSError, ValueError, KeyError) as e:
    usage_error(f"--workdir {f.workdir!r}: no readable config.json of a finished run ({type(e).__name__})")
  knobs = {}
  for item in f.eval:
    key, eq, value = item.partition("=")
    try:
      knobs[key.strip()] = ast.literal_eval(value) if eq else None
    except (ValueError, SyntaxError):
      usage_error(f"--eval {item!r}: the value must be a Python literal, e.g. noise_stds=(0.1,0.5)")
    if not eq:
      usage_error(f"--eval {item!r}: give name=value")
  try:
    study = studies.get_study(config.study, f.studies_dir)
    new = add_metrics_to_run(study, config, f.workdir, f.metrics, knobs, progress=f.progress)
    outcome = run_study(study, new, f.workdir, draw=f.plots, progress=f.progress)
  except ValueError as e:
    usage_error(e)
  sys.exit(0 if outcome.ok else 1)


if __name__ == "__main__":
  main()
