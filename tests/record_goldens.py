"""Records this platform's golden tables: `python tests/record_goldens.py [--force]`.

Runs every study of tests/study_runs.TABLES with its quick config exactly as the suite does (one
CPU device) and copies the compared tables to tests/golden/PLATFORM (study_runs.platform_key).
Only for a platform that has none yet, from a version whose results are trusted: the suite then
checks later versions against them. Say in the commit message which commit recorded them.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import study_runs


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--force", action="store_true", help="replace this platform's existing goldens")
  args = parser.parse_args(argv)
  into = study_runs.GOLDEN
  if into.exists() and not args.force:
    print(f"error: {into} exists; --force replaces it", file=sys.stderr)
    return 2
  with tempfile.TemporaryDirectory() as tmp:
    runs = study_runs.QuickRuns(Path(tmp))
    runs.run_all(list(study_runs.TABLES))
    written = study_runs.record_golden_tables(runs, list(study_runs.TABLES), into)
  print(f"{len(written)} golden tables for {into.name} written to {into}")
  return 0


if __name__ == "__main__":
  raise SystemExit(main())
