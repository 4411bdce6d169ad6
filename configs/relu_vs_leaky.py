"""Does ReLU separate entangled data better than LeakyReLU?

  python -m experiments.relu_vs_leaky --workdir workdirs/relu_vs_leaky
  python -m experiments.relu_vs_leaky --config configs/relu_vs_leaky.py:quick --workdir /tmp/q

Trains every activation below on the same seeds and the same data draw per seed (paired), on
spirals, concentric rings, xor and moons, over a width x depth grid, and records accuracy,
agreement of the decision regions with the ground truth, decision-region topology, exact linear
regions, margins and boundary pieces (results.csv), then draws the figures and the report.
Widths are kept small (4 and 16): at width 64 every activation reaches the noise ceiling on these
data sets (measured: 0.994 test accuracy on spirals for all of them), which hides any difference.
Default: 4 data sets x 5 activations x 2 widths x 2 depths x 16 seeds = 1,280 models: 87 s of
training and evaluation, about 2 minutes with figures and report, on 2 CPU cores.
Quick: 2 data sets, 4 activations, 3 seeds, 200 steps: well under a minute plus compilation.
"""

import ml_collections

from configs.common import parse_arg


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  arg = parse_arg(arg, quick=False)
  c = ml_collections.ConfigDict()
  c.study = "relu_vs_leaky"
  c.question = ("Does ReLU separate entangled data better than LeakyReLU (and than tanh), on the "
                "same seeds, initial weights and data?")
  c.seed = 0  # base of every model's init key and every data draw
  c.num_seeds = 16

  c.data = ml_collections.ConfigDict()
  c.data.names = ("spirals", "rings", "xor", "moons")
  c.data.num_train_per_class = 250
  c.data.num_test_per_class = 250
  c.data.noise = 0.1
  # Per-data-set extra generator parameters, e.g. {"spirals": {"turns": 1.75}}.
  c.data.params = ml_collections.ConfigDict({})

  c.model = ml_collections.ConfigDict()
  # Slopes are always explicit: library defaults differ (0.01 JAX/PyTorch, 0.2 TensorFlow).
  c.model.activations = ("relu", "leaky_relu:0.01", "leaky_relu:0.1", "leaky_relu:0.2", "tanh")
  c.model.widths = (4, 16)
  c.model.depths = (2, 4)
  c.model.init = "he"

  c.optim = ml_collections.ConfigDict()
  c.optim.optimizer = "adam"
  c.optim.momentum = 0.9
  c.optim.learning_rates = (0.01,)
  c.optim.schedule = "constant"
  c.optim.halve_every_steps = 2500
  c.optim.num_steps = 2000
  c.optim.eval_every_steps = 250
  c.optim.batch_size = 0  # 0 = full batch

  c.eval = ml_collections.ConfigDict()
  c.eval.grid_resolution = 200  # grid metrics on grid_resolution^2 points of the data domain
  c.eval.plot_seed = 0  # the seed drawn in the decision-boundary panels
  # Metric families (research/metrics/evaluation.py); "core" (sparsity, patterns) always runs.
  c.eval.metrics = ("core", "boundary", "exact_regions", "robustness")
  c.eval.noise_stds = (0.1, 0.3, 1.0)  # robustness: Gaussian input noise, in input units
  # Steps (0 = initialisation, multiples of eval_every_steps) at which every metric family is also
  # evaluated, into checkpoints.csv: e.g. (0, 500) for region counts through training.
  c.eval.checkpoint_steps = ()
  c.eval.expensive_seeds = 4  # exact regions and margins for seeds 0..3 of every cell

  c.max_models_per_chunk = 1024

  if arg.quick:
    c.data.names = ("spirals", "rings")
    c.model.activations = ("relu", "leaky_relu:0.01", "leaky_relu:0.2", "tanh")
    c.num_seeds = 3
    c.data.num_train_per_class = 100
    c.data.num_test_per_class = 100
    c.model.widths = (8,)
    c.model.depths = (2,)
    c.optim.num_steps = 200
    c.optim.eval_every_steps = 50
    c.eval.grid_resolution = 64
    c.eval.expensive_seeds = 1
    c.eval.checkpoint_steps = (0, 100)
  return c
