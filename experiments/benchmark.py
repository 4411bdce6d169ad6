"""Performance benchmark of the engine. See configs/benchmark.py and BENCHMARKS.md."""

import sys

from absl import flags
from ml_collections import config_flags

from research.cli import parse_flags

CONFIG = config_flags.DEFINE_config_file("config", "configs/benchmark.py",
                                         "Benchmark config file (path[:variant]).", lock_config=True)
flags.DEFINE_string("workdir", None, "Folder for the results table.", required=True)


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  config = CONFIG.value
  # The device count must be set before JAX starts its CPU backend, so before the benchmark runs.
  from research import jax_setup
  jax_setup.setup(cpu_devices=None if config.cpu_devices == "default" else config.cpu_devices)
  from research import benchmark
  sys.exit(benchmark.main(config, flags.FLAGS.workdir))


if __name__ == "__main__":
  main()
