"""Runs one hypothesis file, of any study, and reports its verdict.

  python -m experiments.hypothesis --list
  python -m experiments.hypothesis --hypothesis relu_separates_better --workdir workdirs/h1
  python -m experiments.hypothesis --hypothesis my_claim --hypotheses_dir path/to/mine --quick
"""

import sys

from absl import flags

from experiments._config import load_config
from experiments._entry import check_workdir, run, setup_jax, usage_error
from experiments._signals import ends_cleanly


def define(fv):
  flags.DEFINE_bool("list", False, "List every hypothesis with its study and claim.", flag_values=fv)
  flags.DEFINE_string("hypothesis", None, "Name of the hypothesis (its file stem).", flag_values=fv)
  flags.DEFINE_multi_string("hypotheses_dir", [], "Extra folders of hypothesis files.", flag_values=fv)
  flags.DEFINE_multi_string("studies_dir", [], "Extra folders of study modules.", flag_values=fv)
  flags.DEFINE_string("configs_dir", "configs", "Folder of the study config files (<study>.py).",
                      flag_values=fv)
  flags.DEFINE_string("workdir", None, "Folder for the study's runs and hypothesis.md.", flag_values=fv)
  flags.DEFINE_bool("quick", False, "Use the study's quick variant (smoke test, not evidence).",
                    flag_values=fv)
  flags.DEFINE_bool("overwrite", False, "Delete results of a different config found in --workdir.",
                    flag_values=fv)
  flags.DEFINE_bool("progress", True, "Show progress bars.", flag_values=fv)


def _main(args):
  from research import hypotheses, studies
  from research.hypothesis_runner import check_metric, run_hypothesis, study_config
  from research.resources import check_resources
  from research.validation import check_hypothesis_plan
  f = args.flags
  try:
    if f.list:
      found, broken = hypotheses.scan(f.hypotheses_dir)
      for name, h in found.items():
        print(f"{name} [{h.study}]: {h.claim}")
      hypotheses.warn_broken(broken)
      return
    if not f.hypothesis or not f.workdir or not f.workdir.strip():
      usage_error("give --hypothesis NAME and --workdir DIR (or --list)")
    check_workdir(f.workdir)
    h = hypotheses.get_hypothesis(f.hypothesis, f.hypotheses_dir)
    study = studies.get_study(h.study, f.studies_dir)
    config = load_config(f"{f.configs_dir}/{h.study}.py" + (":quick" if f.quick else ""))
    # Every check the run makes, and the hypothesis' columns and arms, before any training.
    narrowed = study_config(h, study, config, f.quick)
    check_metric(h, study, narrowed)
    check_hypothesis_plan(h, study, narrowed)
    study.validate(narrowed)
    check_resources(narrowed)
  except (ValueError, TypeError, KeyError, AttributeError) as e:
    usage_error(e if isinstance(e, ValueError) else f"invalid config ({type(e).__name__}: {e})")
  setup_jax(f)
  with ends_cleanly(f.workdir):
    try:
      result = run_hypothesis(h, study, config, f.workdir, quick=f.quick, overwrite=f.overwrite,
                              progress=f.progress)
    except ValueError as e:
      usage_error(e)
  if result is not None:
    print(result.summary())
    print(f"hypothesis report: {f.workdir}/hypothesis.md")
  sys.exit(0)


def main(argv=None):
  run(_main, argv, define, __doc__)


if __name__ == "__main__":
  main()
