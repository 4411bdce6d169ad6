"""Linear regions vs total neurons, depth and activation. See configs/linear_regions.py."""

import sys

from absl import flags

from research.cli import define_flags, parse_flags
from research.studies import linear_regions

CONFIG = define_flags("configs/linear_regions.py")


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  f = flags.FLAGS
  sys.exit(linear_regions.main(CONFIG.value, f.workdir, overwrite=f.overwrite, draw=f.plots,
                               progress=f.progress))


if __name__ == "__main__":
  main()
