"""Is ReLU cheaper to compute? Forward + backward time of every registered activation.

  python -m experiments.activation_cost --workdir workdirs/activation_cost
  python -m experiments.activation_cost --config configs/activation_cost.py:quick --workdir /tmp/q

Times one jit-compiled SGD training step (forward, backward, update) of each network below with
each activation, and the bare activation (forward + gradient) on a large array, all in one process:
`num_rounds` rounds in which ReLU is timed just before and just after every other activation, so
that load from other processes cancels in the ratio. Compilation and warm-up calls are timed and
reported separately, never mixed into the rounds.
A measurement, not a paired seed statistic: the verdict rule is in research/studies/activation_cost.py.
Default: 12 activations + jax.nn.relu x 3 benchmarks x 30 rounds, measured 62 s on 2 idle CPU
cores with a warm compilation cache (2026-12-02), 1.3 minutes from cold (no compilation cache) on
cores shared with other jobs (load average about 4; 1.7 minutes at about 6). Single timings move
by 2-8x under that load; the ratios to adjacent ReLU timings are what the verdict reads. Three runs
agreed: ReLU no cheaper than LeakyReLU (ratio 0.93-1.03 everywhere); prelu, softplus, elu, gelu,
silu 1.1-1.5x ReLU in a training step; elu, gelu, softplus 1.2-2.1x on their own. tanh and sigmoid
were at or below ReLU in the earlier runs and 1.06-1.15x in a step in the last (0.51-0.56x on
their own). Quick: about 10-20 s.
"""

import ml_collections

from configs.common import parse_arg


def _network(in_dim: int, hidden_widths: tuple[int, ...], num_classes: int, batch_size: int):
  return ml_collections.ConfigDict(dict(in_dim=in_dim, hidden_widths=hidden_widths,
                                        num_classes=num_classes, batch_size=batch_size))


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  arg = parse_arg(arg, quick=False)
  c = ml_collections.ConfigDict()
  c.study = "activation_cost"
  c.seed = 0  # the random inputs and initial weights
  # Every registry entry; slopes explicit (library defaults differ). relu is the reference.
  c.activations = ("relu", "leaky_relu:0.01", "prelu:0.25", "elu", "gelu", "silu", "softplus", "tanh",
                   "sigmoid", "hard_tanh", "abs", "identity")
  c.networks = ml_collections.ConfigDict({
      "wide": _network(256, (256, 256, 256), 10, 1024),  # matmul-dominated
      "small": _network(2, (64, 64, 64), 2, 1024),  # the size of this project's models
  })
  # Also time ReLU as jax.nn.relu (max(x, 0)): the registry's relu is the leaky family at slope 0.
  c.include_jax_nn_relu = True
  c.elementwise_size = 1 << 22  # elements of the bare activation benchmark (16 MiB of float32)
  c.sgd_learning_rate = 0.001
  c.num_rounds = 30
  c.target_measurement_s = 0.05  # calls per measurement: about this long, from the warm-up time
  c.warmup_calls = 2
  # Verdict: ReLU is cheaper than X when X's median time is at least (1 + min_effect) x ReLU's and
  # the min-max ranges of the two do not overlap.
  c.min_effect = 0.05

  if arg.quick:
    c.activations = ("relu", "leaky_relu:0.01", "tanh")
    c.networks = ml_collections.ConfigDict({
        "wide": _network(16, (32, 32, 32), 10, 64),
        "small": _network(2, (8, 8, 8), 2, 64),
    })
    c.elementwise_size = 4096
    c.num_rounds = 3
    c.target_measurement_s = 0.002
    c.warmup_calls = 1
  return c
