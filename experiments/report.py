"""Gathers the latest run of every study into one page answering the seed question.

  python -m experiments.report --workdirs workdirs            # gather what has been run
  python -m experiments.report --workdirs workdirs --run      # run every study first (minutes)
  python -m experiments.report --workdirs /tmp/w --run --quick
"""

import sys
from pathlib import Path

from absl import flags

from research.cli import parse_flags
from research.summary_report import gather, run_all

flags.DEFINE_string("workdirs", "workdirs", "Folder holding one workdir per study (workdirs/<study>).")
flags.DEFINE_bool("run", False, "Run every study's config into --workdirs first.")
flags.DEFINE_bool("quick", False, "With --run: the quick variants (smoke test, not evidence).")


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  f = flags.FLAGS
  failed = run_all(Path(f.workdirs), f.quick) if f.run else []
  md, page = gather(f.workdirs)
  print(f"report: {md} and {page}")
  if failed:
    print(f"FAILED studies: {', '.join(failed)}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
  main()
