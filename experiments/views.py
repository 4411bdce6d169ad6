"""The views of a finished run with saved weights: boundary through training, hidden units, explorer.

  python -m experiments.views --workdir workdirs/relu_vs_leaky
  python -m experiments.views --workdir /tmp/q --model='dataset=rings,seed=2,activation=relu|tanh'

Writes into <workdir>/views/: a GIF of the decision boundary and the exact linear regions at every
saved checkpoint (eval.checkpoint_steps), the models of one seed side by side; a figure of what
every hidden unit computes over the input plane, per model; and explorer.html, one page to browse
every model of the run. --model picks the cell and seed (keys dataset, activation, width, depth,
seed, lr; several activations joined by '|'); what it omits takes the default: the first data set,
the narrowest architecture, ReLU and LeakyReLU 0.01 and the seed of median ReLU test accuracy.
"""

import sys

from absl import flags

from experiments._entry import require, run, setup_jax, usage_error


def define(fv):
  flags.DEFINE_string("workdir", None, "A finished run's workdir (config.json, results.csv, units/).",
                      flag_values=fv)
  require(fv, "workdir", "a finished run's workdir")
  flags.DEFINE_multi_string("model", [], "Models to draw, key=value[,key=value...] (keys: dataset, "
                            "activation, width, depth, seed, lr); repeat for several.", flag_values=fv)
  flags.DEFINE_bool("explorer", True, "Write the explorer page too.", flag_values=fv)
  flags.DEFINE_integer("resolution", 120, "Grid points per side of the drawn planes.", lower_bound=16,
                       upper_bound=1024, flag_values=fv)


def _main(args):
  from research.views import write_views
  from research.views.loading import Run, parse_selector, select
  f = args.flags
  try:  # every check before anything is drawn: a bad workdir or selector is one line, exit 2
    checked = Run(f.workdir)
    for m in f.model:
      parse_selector(m)
      select(checked.results, m)
  except ValueError as e:
    usage_error(e)
  setup_jax(f)
  try:
    views = write_views(f.workdir, f.model or [None], explorer=f.explorer, resolution=f.resolution)
  except ValueError as e:
    usage_error(e)
  for fig in views.figures:
    print(f"view: {fig.path}")
  for note in views.notes:
    print(f"note: {note}")
  sys.exit(0)


def main(argv=None):
  run(_main, argv, define, __doc__)


if __name__ == "__main__":
  main()
