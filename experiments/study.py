"""Runs any study by name, including studies in extra folders (--studies_dir).

  python -m experiments.study --study topology --config configs/topology.py:quick --workdir /tmp/t
  python -m experiments.study --studies_dir my_studies --study mine --config my_studies/configs/mine.py --workdir /tmp/m
"""

import sys

from absl import flags

from experiments._entry import define_study_flags, parse_flags, run_and_exit, usage_error

CONFIG = define_study_flags(None)
flags.DEFINE_string("study", None, "Name of the study (its module's STUDY.name).", required=True)


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  if CONFIG.value is None:
    usage_error("give --config PATH[:variant], the study's config file")
  run_and_exit(flags.FLAGS.study, CONFIG.value)


if __name__ == "__main__":
  main()
