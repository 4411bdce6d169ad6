"""Simulations of the verdict rule with known truth: interval coverage, false support and power.

  python -m experiments.stats_simulation --out /tmp/sim            # 4000 replications, minutes
  python -m experiments.stats_simulation --out /tmp/sim --reps 400

Writes coverage.csv, verdicts.csv and stats_simulation.png (the figure in the README's statistics
section); see research/stats_simulation.py for what is simulated.
"""

import sys
from pathlib import Path

from absl import flags

from experiments._entry import parse_flags

flags.DEFINE_string("out", None, "Folder for the CSVs and the figure.", required=True)
flags.DEFINE_integer("reps", 4000, "Replications per setting.", lower_bound=10)
flags.DEFINE_integer("n_boot", 1999, "Bootstrap resamples per replication.", lower_bound=99)


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  import pandas as pd
  from research import stats_simulation
  from research.figures.stats_simulation import plot
  f = flags.FLAGS
  out = Path(f.out)
  out.mkdir(parents=True, exist_ok=True)
  cov, rates = stats_simulation.run(reps=f.reps, n_boot=f.n_boot)
  cov.to_csv(out / "coverage.csv", index=False)
  rates.to_csv(out / "verdicts.csv", index=False)
  plot(cov, rates, out / "stats_simulation.png")
  with pd.option_context("display.width", 200, "display.max_columns", 20):
    print(cov.to_string(index=False))
    print(rates.to_string(index=False))


if __name__ == "__main__":
  main()
