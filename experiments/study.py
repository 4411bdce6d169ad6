"""Runs any study by name, including studies in extra folders (--studies_dir).

  python -m experiments.study --study topology --config configs/topology.py:quick --workdir /tmp/t
  python -m experiments.study --studies_dir my_studies --study mine --config my_studies/configs/mine.py --workdir /tmp/m
"""

from absl import flags

from experiments._entry import define_study_flags, require, run, run_and_exit


def define(fv):
  define_study_flags(fv, None)
  require(fv, "config", "path[:variant] of the study's config file")
  flags.DEFINE_string("study", None, "Name of the study (its module's STUDY.name).", flag_values=fv)
  require(fv, "study", "name of the study")


def main(argv=None):
  run(lambda args: run_and_exit(args.flags.study, args), argv, define, __doc__, takes_config=True)


if __name__ == "__main__":
  main()
