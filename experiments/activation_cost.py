"""Is ReLU cheaper to compute? See configs/activation_cost.py."""

import sys

from absl import flags

from research.cli import define_flags, parse_flags
from research.studies import activation_cost

_CONFIG = define_flags("configs/activation_cost.py")


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  f = flags.FLAGS
  sys.exit(activation_cost.run(_CONFIG.value, f.workdir, draw=f.plots, progress=f.progress))


if __name__ == "__main__":
  main()
