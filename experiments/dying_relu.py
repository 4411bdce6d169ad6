"""How often are ReLU networks born dead, and do dead units matter? See configs/dying_relu.py."""

import sys

from absl import flags

from research.cli import define_flags, parse_flags
from research.studies import dying_relu

_CONFIG = define_flags("configs/dying_relu.py")


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  f = flags.FLAGS
  sys.exit(dying_relu.run(_CONFIG.value, f.workdir, overwrite=f.overwrite, draw=f.plots,
                          progress=f.progress))


if __name__ == "__main__":
  main()
