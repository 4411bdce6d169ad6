"""Gathers the latest run of every study into one page answering the seed question.

  python -m experiments.report --workdirs workdirs            # gather what has been run
  python -m experiments.report --workdirs workdirs --run      # run every study first (minutes)
  python -m experiments.report --workdirs /tmp/w --run --quick
  python -m experiments.report --list                          # the studies and what they answer

Studies are found by module name (research/studies/, and --studies_dir); each runs in this process
through the same runner as its own command, with its config file <configs_dir>/<study>.py.
"""

import sys
from pathlib import Path

from absl import flags

from experiments._entry import load_config, parse_flags, usage_error

flags.DEFINE_string("workdirs", "workdirs", "Folder holding one workdir per study (workdirs/<study>).")
flags.DEFINE_bool("run", False, "Run every study's config into --workdirs first.")
flags.DEFINE_bool("quick", False, "With --run: the quick variants (smoke test, not evidence).")
flags.DEFINE_bool("list", False, "List the studies, their questions and what they answer.")
flags.DEFINE_multi_string("studies_dir", [], "Extra folders of study modules.")
flags.DEFINE_string("configs_dir", "configs", "Folder of the study config files (<study>.py).")
flags.DEFINE_bool("plots", True, "With --run: draw every study's figures.")
flags.DEFINE_bool("progress", True, "Show progress bars.")


def run_all(studies: dict, root: Path) -> list[str]:
  """Runs every study's default (or quick) config into root/<study>; returns the failures."""
  from research.study import run_study
  f = flags.FLAGS
  failed = []
  for name, study in studies.items():
    config_path = f"{f.configs_dir}/{name}.py" + (":quick" if f.quick else "")
    print(f"== {name} ({config_path}) -> {root / name}", flush=True)
    try:
      outcome = run_study(study, load_config(config_path), root / name, draw=f.plots, progress=f.progress)
      if not outcome.ok:
        failed.append(name)
    except Exception as e:  # one study's failure does not stop the others
      print(f"FAILED study {name}: {type(e).__name__}: {e}", file=sys.stderr)
      failed.append(name)
  return failed


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  from research import studies as registry
  from research.summary_report import gather
  f = flags.FLAGS
  try:
    studies = registry.discover(f.studies_dir)
  except ValueError as e:
    usage_error(e)
  if f.list:
    for name, study in studies.items():
      print(f"{name}: {study.question}")
    return
  failed = run_all(studies, Path(f.workdirs)) if f.run else []
  md, page = gather(f.workdirs, studies)
  print(f"report: {md} and {page}")
  if failed:
    print(f"FAILED studies: {', '.join(failed)}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
  main()
