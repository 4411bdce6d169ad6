"""Runs one hypothesis file and reports its verdict.

  python -m experiments.hypothesis --list
  python -m experiments.hypothesis --hypothesis relu_separates_better --workdir workdirs/h1
  python -m experiments.hypothesis --hypothesis my_claim --hypotheses_dir path/to/mine --quick
"""

import sys

from absl import flags

from research.cli import parse_flags, usage_error
from research.hypotheses import discover, get_hypothesis
from research.hypothesis_runner import run_hypothesis

flags.DEFINE_bool("list", False, "List every hypothesis with its claim.")
flags.DEFINE_string("hypothesis", None, "Name of the hypothesis (its file stem).")
flags.DEFINE_multi_string("hypotheses_dir", [], "Extra folders of hypothesis files.")
flags.DEFINE_string("workdir", None, "Folder for the runs and report.md.")
flags.DEFINE_bool("quick", False, "Use the study's quick variant (smoke test, not evidence).")
flags.DEFINE_bool("overwrite", False, "Delete results of a different config found in --workdir.")
flags.DEFINE_bool("progress", True, "Show progress bars.")


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  f = flags.FLAGS
  try:
    if f.list:
      for name, h in discover(f.hypotheses_dir).items():
        print(f"{name} [{h.study}]: {h.claim}")
      return
    if not f.hypothesis or not f.workdir:
      usage_error("give --hypothesis NAME and --workdir DIR (or --list)")
    h = get_hypothesis(f.hypothesis, f.hypotheses_dir)
    result = run_hypothesis(h, f.workdir, variant="quick" if f.quick else None,
                            overwrite=f.overwrite, progress=f.progress)
  except ValueError as e:
    usage_error(str(e))
  print(result.summary())
  print(f"report: {f.workdir}/report.md")


if __name__ == "__main__":
  main()
