"""Do ReLU layers simplify the topology of each class faster than LeakyReLU(0.2) and tanh layers?

  python -m experiments.topology --workdir workdirs/topology
  python -m experiments.topology --config configs/topology.py:quick --workdir /tmp/q

Naitzat, Zhitnikov, Lim ("Topology of Deep Neural Networks", JMLR 2020) in a budget that runs on
a laptop. Nine hidden layers, ReLU vs LeakyReLU(0.2) vs tanh, full-batch Adam at learning rate
0.02 with their halving schedule, only runs that fit the training data kept; Betti numbers of each
PREDICTED class at the input and every hidden layer, from a k-NN graph with hop distance and a
Vietoris-Rips complex at one scale (research/metrics/layer_topology.py).

Deviations from their protocol, all to fit in minutes on 2 CPU cores:
  * 4,000 steps with the learning rate halved every 833 (their up to 12,000 and 2,500, compressed
    3x: the same 4.8 halvings), so networks are trained less far and fewer of them fit: at 2,400
    steps only 2 to 4 of 6 runs per cell fitted D-I exactly;
  * one width, 25 (theirs: 15, 25 and 50), and 6 seeds per cell: after dropping the runs that do
    not fit, cells keep about 3 to 6 runs and fewer relu/tanh pairs, below the 5 pairs the verdict
    rule needs (use --config.num_seeds=16 for verdicts, about 2.5x the time);
  * 600 training points per class; hence k = 8 neighbours and scale 3 hops (their k about 14 was
    for denser samples: at 600 points k = 14 reads D-I's class 1 as (1, 0) or (1, 1) instead of
    (1, 9) and D-II's classes as (9, 0, 0)). Even at k = 8 the input layer reads the true Betti
    numbers in only 7 to 12 of 12 or 13 kept runs per class (a hole or ring of D-I's class 1 and
    D-II's class 1 is missed now and then; the report's input check counts it);
  * He initialisation for every activation.
The quick variant trains on rings (the Playground circle: inner disk (1, 0), annulus (1, 1)).

Default: 2 data sets x 3 activations x 6 seeds = 36 models. Measured about 2 minutes end to end
(127 s) on 2 CPU cores (8.6 minutes in an earlier version at load average 7), with an
evaluation grid for 3-D input, which D-II needs (see research/studies/topology.py). Result: 10
of 36 runs did not fit their training data exactly and were dropped; no kept run reached trivial
topology at any layer; at the last hidden layer the summed Betti numbers were 9-11 (ReLU),
7-9 (LeakyReLU(0.2)) and 14 (tanh), from 19 (D-I) and 36 (D-II) at the input; both hypotheses
INCONCLUSIVE (fewer than 5 relu/tanh pairs per cell). Quick (rings only, 3 hidden
layers): about 40 s.
"""

import ml_collections

from configs.common import parse_arg, sweep_config


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  arg = parse_arg(arg, quick=False)
  c = sweep_config("topology")
  c.num_seeds = 6
  # Naitzat's D-I (2-D) and D-II (3-D). Add rings (inner disk (1, 0), annulus (1, 1)) with
  # --config.data.names="('d1','d2','rings')": a third of the time again.
  c.data.names = ("d1", "d2")
  c.data.num_train_per_class = 600
  c.data.num_test_per_class = 200
  c.data.noise = 0.0  # Naitzat's data are noise-free

  # Slopes are always explicit: 0.2 is Naitzat's (and TensorFlow's); JAX's default is 0.01.
  c.model.activations = ("relu", "leaky_relu:0.2", "tanh")
  c.model.widths = (25,)
  c.model.depths = (9,)

  c.optim.learning_rates = (0.02,)  # full-batch Adam, as Naitzat
  c.optim.schedule = "halve_every"
  c.optim.halve_every_steps = 833
  c.optim.num_steps = 4000
  c.optim.eval_every_steps = 500

  c.eval.grid_resolution = 64  # the core family's grid metrics (not used by this study's figures)
  c.eval.metrics = ("core", "layer_topology")
  # Betti numbers for every seed (a reference: overriding num_seeds moves it too).
  c.eval.expensive_seeds = c.get_ref("num_seeds")
  c.eval.betti_k = 8
  c.eval.betti_scale = 3.0
  c.eval.betti_max_points = 600  # per class; equal for every compared cloud
  # Naitzat kept only runs with 100% training accuracy. Accuracy is a float32 mean of 0/1 values
  # over at most 2^24 points, so 1.0 means every training point is right.
  c.eval.min_train_acc = 1.0
  # Betti numbers only for runs that are kept (they are the costly part).
  c.eval.betti_min_train_acc = c.eval.get_ref("min_train_acc")

  if arg.quick:
    c.num_seeds = 2
    c.data.names = ("rings",)
    c.data.num_train_per_class = 200
    c.data.num_test_per_class = 100
    c.model.widths = (12,)
    c.model.depths = (3,)
    c.optim.num_steps = 400
    c.optim.halve_every_steps = 200
    c.optim.eval_every_steps = 200
    c.eval.grid_resolution = 32
    c.eval.betti_max_points = 200
    # Smoke runs must exercise the figures even when a short run misses a point or two.
    c.eval.min_train_acc = 0.95
  return c
