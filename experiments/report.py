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

from experiments._config import load_config
from experiments._entry import check_workdir, require, run, setup_jax, usage_error


def define(fv):
  flags.DEFINE_string("workdirs", "workdirs", "Folder holding one workdir per study (workdirs/<study>).",
                      flag_values=fv)
  require(fv, "workdirs", "dir holding one workdir per study")
  flags.DEFINE_bool("run", False, "Run every study's config into --workdirs first.", flag_values=fv)
  flags.DEFINE_bool("quick", False, "With --run: the quick variants (smoke test, not evidence).",
                    flag_values=fv)
  flags.DEFINE_bool("list", False, "List the studies, their questions and what they answer.",
                    flag_values=fv)
  flags.DEFINE_multi_string("studies_dir", [], "Extra folders of study modules.", flag_values=fv)
  flags.DEFINE_string("configs_dir", "configs", "Folder of the study config files (<study>.py).",
                      flag_values=fv)
  flags.DEFINE_bool("plots", True, "With --run: draw every study's figures.", flag_values=fv)
  flags.DEFINE_bool("progress", True, "Show progress bars.", flag_values=fv)


def run_all(f, studies: dict, configs: dict, root: Path) -> list[str]:
  """Runs every study's default (or quick) config into root/<study>; returns the failures."""
  from research.study import run_study
  failed = []
  for name, study in studies.items():
    print(f"== {name} ({configs[name][0]}) -> {root / name}", flush=True)
    try:
      outcome = run_study(study, configs[name][1], root / name, draw=f.plots, progress=f.progress)
      if not outcome.ok:
        failed.append(name)
    except Exception as e:  # one study's failure does not stop the others
      print(f"FAILED study {name}: {type(e).__name__}: {e}", file=sys.stderr)
      failed.append(name)
  return failed


def _main(args):
  from research import studies as registry
  from research.summary_report import gather
  f = args.flags
  try:
    studies = registry.discover(f.studies_dir)
    if f.list:
      for name, study in studies.items():
        print(f"{name}: {study.question}")
      return
    check_workdir(f.workdirs, "workdirs")
    configs = {}
    if f.run:  # every config loaded and validated before the first study trains
      if not Path(f.configs_dir).is_dir():
        raise ValueError(f"--configs_dir={f.configs_dir!r} is not a folder")
      for name, study in studies.items():
        path = f"{f.configs_dir}/{name}.py" + (":quick" if f.quick else "")
        configs[name] = (path, load_config(path))
        study.validate(configs[name][1])
    elif not Path(f.workdirs).is_dir():
      raise ValueError(f"--workdirs={f.workdirs!r} does not exist: run the studies first (or --run)")
  except (ValueError, TypeError, KeyError, AttributeError) as e:
    usage_error(e if isinstance(e, ValueError) else f"invalid config ({type(e).__name__}: {e})")
  setup_jax(f)
  failed = run_all(f, studies, configs, Path(f.workdirs)) if f.run else []
  md, page = gather(f.workdirs, studies)
  print(f"report: {md} and {page}")
  if failed:
    print(f"FAILED studies: {', '.join(failed)}", file=sys.stderr)
    sys.exit(1)


def main(argv=None):
  run(_main, argv, define, __doc__)


if __name__ == "__main__":
  main()
