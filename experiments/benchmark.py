"""Performance benchmark of the engine. See configs/benchmark.py and BENCHMARKS.md."""

import sys

from absl import flags
from ml_collections import config_flags

from experiments._entry import parse_flags

CONFIG = config_flags.DEFINE_config_file("config", "configs/benchmark.py",
                                         "Benchmark config file (path[:variant]).", lock_config=True)
flags.DEFINE_string("workdir", None, "Folder for the results table.", required=True)


def main(argv=None):
  # Also sets the CPU device count (--cpu_devices, one per core by default) before JAX starts.
  parse_flags(sys.argv if argv is None else argv)
  from research import benchmark
  sys.exit(benchmark.main(CONFIG.value, flags.FLAGS.workdir))


if __name__ == "__main__":
  main()
