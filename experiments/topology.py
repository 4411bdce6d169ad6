"""Do ReLU layers simplify each class's topology faster? See configs/topology.py."""

import sys

from absl import flags

from research.cli import define_flags, parse_flags
from research.studies import topology

_CONFIG = define_flags("configs/topology.py")


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  f = flags.FLAGS
  sys.exit(topology.run(_CONFIG.value, f.workdir, overwrite=f.overwrite, draw=f.plots,
                        progress=f.progress))


if __name__ == "__main__":
  main()
