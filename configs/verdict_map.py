"""Under which training conditions does each flagship claim hold? One verdict per setting.

  python -m experiments.verdict_map --workdir workdirs/verdict_map
  python -m experiments.verdict_map --config configs/verdict_map.py:quick --workdir /tmp/q

The three flagship claims (hypothesis files relu_separates_better, dead_relu_hurts_narrow_nets,
relu_sparser) were each tested in one setting of their study. A reviewer asks whether they survive
another learning rate, SGD instead of Adam, noisier data, a deeper net, a shorter or longer run.
This study trains ReLU and LeakyReLU(0.01) on the same seeds (paired) in a base setting and in
one-factor-at-a-time departures from it (`map.settings`, each `field=value` assignments on the
base config), every width of `model.widths` in each, and tests each claim (its metric, direction
and min_effect, from its hypothesis file) in every cell setting x data set x width, Holm-adjusted
over the whole map of that claim. The effect-size map marks the cells whose verdict differs from
the base setting's.

Default: 9 settings x 2 data sets x 2 activations x 3 widths x 30 seeds = 3,240 models: measured
108 s end to end on 2 idle CPU cores (2026-12-02, same results) and 620 s on cores shared with
another study's run (load average 5); a rerun of the
finished run takes 14 s. Result of that run: relu_separates_better is SUPPORTED in none of its
54 cells and REFUTED in 38 (ReLU is behind by up to 16 min_effects at widths 2 and 4, equal at
16); dead_relu_hurts_narrow_nets is SUPPORTED in 7 of 36 cells (rings width 2 in most settings,
spirals width 4 at learning rate 0.1 or depth 4), SMALLER THAN CLAIMED in 3, REFUTED in 7;
relu_sparser is SUPPORTED in none of 54, SMALLER THAN CLAIMED in 1 and REFUTED in 25 (ReLU is
0.9 percentage points sparser at the median cell, against the claimed 5).
Quick: 2 settings, 5 seeds, 100 steps: a few seconds plus compilation (runs in the test suite).
"""

import ml_collections

from configs.common import parse_arg, sweep_config


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  arg = parse_arg(arg, quick=False)
  c = sweep_config("verdict_map")
  c.num_seeds = 30
  c.data.names = ("spirals", "rings")
  c.model.activations = ("relu", "leaky_relu:0.01")
  c.model.widths = (2, 4, 16)
  c.model.depths = (2,)
  c.optim.learning_rates = (0.01,)
  c.eval.metrics = ("core",)  # test_acc and inactive_fraction: what the three claims measure
  c.eval.grid_resolution = 64
  c.eval.expensive_seeds = 0  # no host-side metric is needed

  c.map = ml_collections.ConfigDict()
  c.map.claims = ("relu_separates_better", "dead_relu_hurts_narrow_nets", "relu_sparser")
  # Each setting departs from the base config in one factor; "base" is the config as it is.
  c.map.settings = (
      "base",
      "optim.learning_rates=0.001",
      "optim.learning_rates=0.1",
      "optim.optimizer=sgd; optim.learning_rates=0.1",  # SGD with momentum 0.9 needs a larger step
      "data.noise=0.02",
      "data.noise=0.3",
      "model.depths=4",
      "optim.num_steps=500",
      "optim.num_steps=5000",
  )

  if arg.quick:
    c.num_seeds = 5  # the fewest pairs the verdict rule tests (stats.MIN_PAIRS)
    c.data.names = ("spirals",)
    c.data.num_train_per_class = 60
    c.data.num_test_per_class = 60
    c.model.widths = (2, 8)
    c.optim.num_steps = 100
    c.optim.eval_every_steps = 50
    c.eval.grid_resolution = 16
    c.map.settings = ("base", "optim.learning_rates=0.1")
  return c
