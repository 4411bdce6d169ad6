"""Linear regions vs total neurons, depth, activation and training (Hanin & Rolnick).

  python -m experiments.linear_regions --workdir workdirs/linear_regions
  python -m experiments.linear_regions --config configs/linear_regions.py:quick --workdir /tmp/lrq

A grid of MLPs on 2-D spirals: a total of `model.neurons` hidden units split equally over each of
`model.depths` layers (width = neurons / depth), for ReLU and LeakyReLU(0.01, 0.2), with the same
seeds, initial weights and data per seed (paired). At every checkpoint (step 0 = initialisation,
then the same models trained to each step) every model gets: the exact number of activation
regions in the data domain (2-D enumeration), the exact number of region boundaries crossed per
unit length along `eval.num_lines` random chords of the domain (the density of Hanin & Rolnick),
and its test accuracy.
Expected (Hanin & Rolnick, ICML/NeurIPS 2019): density grows about linearly with the total number
of neurons (slope about 1 on log-log axes) and not exponentially with depth, at init and after
training; LeakyReLU cuts the input where ReLU does.
Default: 4 totals x 5 depths x 3 activations x 30 seeds = 1,800 models at 3 checkpoints (5,400
rows); measured 207 s end to end at 30 seeds on 2 idle CPU cores (2026-12-02) and 467 s on cores
shared with the test suite (load average 3), the same results; at 8 seeds: 3 min end to end on 2 idle CPU cores with one device per core and models in
cache-sized groups, 433 s in the previous version's run with the cores shared by two other jobs
(earlier: 7 min 35 s and 8 min 3 s at load average 5 to 8, about
200 s of it training and 200 s exact 2-D enumeration).
Quick: 4 small architectures x 6 models, 5 to 30 s plus start-up depending on the load.
"""

import ml_collections

from configs.common import parse_arg, sweep_config


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  arg = parse_arg(arg, quick=False)
  c = sweep_config("linear_regions")  # c.seed also seeds the random lines
  c.num_seeds = 30
  c.data.names = ("spirals",)  # 2-D data sets only: regions are enumerated on their domain
  c.data.num_train_per_class = 100
  c.data.num_test_per_class = 100

  c.model.neurons = (24, 48, 96, 192)  # total hidden units; each must be divisible by every depth
  c.model.depths = (1, 2, 3, 4, 6)
  # Piecewise-linear only (regions are undefined otherwise); slopes explicit, as everywhere.
  c.model.activations = ("relu", "leaky_relu:0.01", "leaky_relu:0.2")
  # init "he" has zero biases: at step 0 every region is a cone with apex at the origin.

  # Only schedules that do not depend on the run's length: a checkpoint then equals a shorter run
  # stopped there (tested).
  c.optim.num_steps = 1000  # the last measurement
  c.optim.eval_every_steps = 100  # must divide every checkpoint (same compiled chunk for all)

  c.eval.checkpoint_steps = (0, 100)  # earlier steps at which the models are measured too
  # line_density: regions crossed along random chords (every seed); region_count: the exact
  # 2-D count (seeds 0..expensive_seeds-1, two thirds of the runtime at 4: about 18,000 regions
  # per trained 192-neuron net).
  c.eval.metrics = ("line_density", "region_count")
  c.eval.num_lines = 8  # random chords of the domain, the same for every model
  c.eval.grid_resolution = 64  # the core family's sparsity and pattern count on the domain grid

  if arg.quick:
    c.num_seeds = 2
    c.data.num_train_per_class = 40
    c.data.num_test_per_class = 40
    c.model.neurons = (8, 16)
    c.model.depths = (1, 2)
    c.optim.eval_every_steps = 20
    c.optim.num_steps = 60
    c.eval.checkpoint_steps = (0, 20)
    c.eval.num_lines = 3
    c.eval.expensive_seeds = 2
  return c
