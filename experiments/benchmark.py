"""Performance benchmark of the engine. See configs/benchmark.py and BENCHMARKS.md.

  python -m experiments.benchmark --workdir workdirs/benchmark
  python -m experiments.benchmark --config configs/benchmark.py:quick --workdir /tmp/b
"""

import sys

from absl import flags

from experiments._config import study_config
from experiments._entry import check_workdir, require, run, setup_jax, usage_error


def define(fv):
  flags.DEFINE_string("config", "configs/benchmark.py", "Benchmark config file (path[:variant]); "
                      "override fields with --config.FIELD=VALUE.", flag_values=fv)
  flags.DEFINE_string("workdir", None, "Folder for the results table.", flag_values=fv)
  require(fv, "workdir", "dir for the results table")


def _main(args):
  from research import benchmark
  from research.resources import check_resources
  check_workdir(args.flags.workdir)
  try:
    config = study_config(args.flags.config, args.overrides, "benchmark")
    check_resources(config)
    benchmark.check_config(config)
  except (ValueError, TypeError, KeyError, AttributeError) as e:
    usage_error(e if isinstance(e, ValueError) else f"invalid config ({type(e).__name__}: {e})")
  # Also sets the CPU device count (--cpu_devices, one per core by default) before JAX starts.
  setup_jax(args.flags)
  sys.exit(benchmark.main(config, args.flags.workdir))


def main(argv=None):
  run(_main, argv, define, __doc__, takes_config=True)


if __name__ == "__main__":
  main()
