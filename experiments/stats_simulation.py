"""Simulations of the verdict rule with known truth: interval coverage, false support and power.

  python -m experiments.stats_simulation --out /tmp/sim            # 4000 replications, minutes
  python -m experiments.stats_simulation --out /tmp/sim --reps 400

Writes coverage.csv, verdicts.csv and stats_simulation.png (the figure in the README's statistics
section); see research/stats_simulation.py for what is simulated.
"""

from pathlib import Path

from absl import flags

from experiments._entry import check_workdir, require, run, setup_jax


def define(fv):
  flags.DEFINE_string("out", None, "Folder for the CSVs and the figure.", flag_values=fv)
  require(fv, "out", "dir for the CSVs and the figure")
  flags.DEFINE_integer("reps", 4000, "Replications per setting.", lower_bound=10, upper_bound=1_000_000,
                       flag_values=fv)
  flags.DEFINE_integer("n_boot", 1999, "Bootstrap resamples per replication.", lower_bound=99,
                       upper_bound=100_000, flag_values=fv)


def _main(args):
  f = args.flags
  check_workdir(f.out, "out")
  setup_jax(f)
  import pandas as pd
  from research import stats_simulation
  from research.figures.stats_simulation import plot
  out = Path(f.out)
  out.mkdir(parents=True, exist_ok=True)
  cov, rates = stats_simulation.run(reps=f.reps, n_boot=f.n_boot)
  cov.to_csv(out / "coverage.csv", index=False)
  rates.to_csv(out / "verdicts.csv", index=False)
  plot(cov, rates, out / "stats_simulation.png")
  with pd.option_context("display.width", 200, "display.max_columns", 20):
    print(cov.to_string(index=False))
    print(rates.to_string(index=False))


def main(argv=None):
  run(_main, argv, define, __doc__)


if __name__ == "__main__":
  main()
