"""Does ReLU separate entangled data better than LeakyReLU?

  python -m experiments.relu_vs_leaky --workdir workdirs/relu_vs_leaky
  python -m experiments.relu_vs_leaky --config configs/relu_vs_leaky.py:quick --workdir /tmp/q

Trains every activation below on the same seeds and the same data draw per seed (paired), on
spirals, concentric rings, xor and moons, over a width x depth grid, and records accuracy,
agreement of the decision regions with the ground truth, decision-region topology, exact linear
regions, margins and boundary pieces (results.csv), then draws the figures and the report.
Widths are kept small (4 and 16): at width 64 every activation reaches the noise ceiling on these
data sets (measured: 0.994 test accuracy on spirals for all of them), which hides any difference.
Default: 4 data sets x 5 activations x 2 widths x 2 depths x 30 seeds = 2,400 models: measured
114 s of training and evaluation, 140 s with figures and report, in a fresh-clone `make demo` on 2
idle CPU cores (2026-12-02, warm compilation cache; 124 s and 151 s in a second idle run; 362 s and 414 s with two other studies' runs
on the same cores). The weights saved at 8 checkpoints for the views (research/views: the boundary
through training, hidden units, explorer in <workdir>/views/) add about a fifth to the CPU time of
training and evaluation (measured on the spirals quarter of the run: 67 s instead of 57 s).
Quick: 2 data sets, 4 activations, 3 seeds, 200 steps: well under a minute plus compilation.
"""

import ml_collections

from configs.common import parse_arg, sweep_config


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  arg = parse_arg(arg, quick=False)
  c = sweep_config("relu_vs_leaky")
  c.num_seeds = 30  # 30+ paired seeds per cell: the verdicts of issue 13 need them
  c.data.names = ("spirals", "rings", "xor", "moons")
  # Slopes are always explicit: library defaults differ (0.01 JAX/PyTorch, 0.2 TensorFlow).
  c.model.activations = ("relu", "leaky_relu:0.01", "leaky_relu:0.1", "leaky_relu:0.2", "tanh")
  c.model.widths = (4, 16)
  c.model.depths = (2, 4)
  c.eval.metrics = ("core", "boundary", "exact_regions", "robustness")
  c.eval.noise_stds = (0.1, 0.3, 1.0)  # robustness: Gaussian input noise, in input units
  # Weights saved through training for the boundary animation (research/views): every evaluation
  # step but the last (the final weights are always kept). At those steps only the fit (loss,
  # accuracy) is measured: every family there tripled the run's CPU time, "core" alone 1.9x.
  c.eval.checkpoint_steps = (0, 250, 500, 750, 1000, 1250, 1500, 1750)
  c.eval.skip_at_checkpoints = ("core",)

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
    c.eval.skip_at_checkpoints = ()  # every family at its two checkpoints
  return c
