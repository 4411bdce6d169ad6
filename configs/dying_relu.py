"""Dying ReLU: how often are ReLU networks born dead, how many units die in training, and does it matter?

  python -m experiments.dying_relu --workdir workdirs/dying_relu
  python -m experiments.dying_relu --config configs/dying_relu.py:quick --workdir /tmp/q

Part (a), `config.born_dead`: the probability that a ReLU network is born dead (some hidden layer
inactive on the whole input domain, so the output is constant) over a width x depth grid, for He
and RAI initialisation, each cell estimated from `num_inits` random networks (vmapped, in calls
of `inits_per_call`), next to Lu et al.'s single-input closed form 1 - (1 - 2^-N)^L and their
reported 10-layer values.
Part (b), the rest of the config (a sweep config, as in configs/relu_vs_leaky.py, so that
`python -m experiments.hypothesis` can run this study's hypotheses): ReLU and LeakyReLU(0.01)
trained on spirals and rings over widths x learning rates; dead-unit fraction and test accuracy.

Default: 10 widths x 7 depths x 2 inits x 4000 networks (a), and 2 data sets x 2 activations x
6 widths x 3 learning rates x 30 seeds = 2,160 models of 1000 Adam steps (b). Measured 157 s end to
end at 30 seeds on 2 idle CPU cores (2026-12-02; 877 s shared with two other runs, load average
3-5), the same results both times: born dead and the
trained fractions as below, dead_relu_hurts_narrow_nets INCONCLUSIVE (SUPPORTED in 4 of 6 cells),
relu_loses_accuracy_when_wide REFUTED. At 10 seeds: 1.7 minutes end to end on 2 idle CPU cores (one device per core, models in cache-sized groups; 62 s for (b)); an
earlier version took 6.3 minutes at load average 7. Result of that run: born dead at depth
10 (He, whole domain) 0.56 / 0.087 / 0.0005 at widths 3 / 5 / 10 (Lu et al.: about 60%, over 10%,
under 1%), under RAI 0.076 at width 3; after training ReLU loses 0.06-0.10 test accuracy to
LeakyReLU at width 2, none at width 64 except at learning rate 0.1 (about 0.06), where 40% of
ReLU units end dead. Quick: 15-40 s, depending on the load.
"""

import ml_collections

from configs.common import parse_arg, sweep_config


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  arg = parse_arg(arg, quick=False)
  c = sweep_config("dying_relu")  # c.seed also seeds every born-dead draw
  c.num_seeds = 30

  c.born_dead = ml_collections.ConfigDict()
  c.born_dead.widths = (2, 3, 4, 5, 6, 8, 10, 16, 32, 64)
  c.born_dead.depths = (1, 2, 3, 5, 10, 15, 20)
  # he_normal: the symmetric He init of Lu et al.; rai: their randomized asymmetric init.
  c.born_dead.inits = ("he_normal", "rai")
  c.born_dead.num_inits = 4000  # binomial standard error <= 0.008 per cell
  # The domain is the square [-half_width, half_width]^2, as a points_per_side^2 grid (corners
  # included). With zero bias (He) the scale does not matter; with RAI's biases it does.
  c.born_dead.domain_half_width = 1.0
  c.born_dead.points_per_side = 17
  c.born_dead.single_input = (1.0, 1.0)  # where the closed form is checked
  c.born_dead.lu_depth = 10  # depth of Lu et al.'s reported values and of the curves figure
  # Networks per compiled call: bounds memory (inits x depth x width^2 weights, about 80 MB at 64).
  c.born_dead.inits_per_call = 250

  c.data.names = ("spirals", "rings")
  c.data.num_train_per_class = 200
  c.data.num_test_per_class = 200
  c.model.activations = ("relu", "leaky_relu:0.01")  # slope explicit: library defaults differ
  c.model.widths = (2, 4, 8, 16, 32, 64)
  c.model.depths = (3,)
  # 0.1 is deliberately too high for Adam here: it is where units are expected to die.
  c.optim.learning_rates = (0.001, 0.01, 0.1)
  c.optim.num_steps = 1000
  c.eval.grid_resolution = 64
  c.eval.expensive_seeds = 0  # the core family (dead units, sparsity, patterns) is all it reads

  if arg.quick:
    c.num_seeds = 2
    c.born_dead.widths = (3, 5)
    c.born_dead.depths = (1, 10)
    c.born_dead.num_inits = 500
    c.born_dead.points_per_side = 9
    c.data.names = ("spirals",)
    c.data.num_train_per_class = 50
    c.data.num_test_per_class = 50
    c.model.widths = (2, 8)
    c.model.depths = (2,)
    c.optim.learning_rates = (0.01, 0.1)
    c.optim.num_steps = 100
    c.optim.eval_every_steps = 50
    c.eval.grid_resolution = 16
  return c
