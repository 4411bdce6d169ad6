"""Is ReLU sparser than LeakyReLU, and does sparser mean more separable? See configs/sparsity.py."""

import sys

from absl import flags

from research.cli import define_flags, parse_flags
from research.studies import sparsity

_CONFIG = define_flags("configs/sparsity.py")


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  f = flags.FLAGS
  sys.exit(sparsity.run(_CONFIG.value, f.workdir, overwrite=f.overwrite, draw=f.plots,
                        progress=f.progress))


if __name__ == "__main__":
  main()
