"""Theorems that must hold for every network, tested on thousands of random networks each.

  python -m experiments.theorems --workdir workdirs/theorems
  python -m experiments.theorems --config configs/theorems.py:quick --workdir /tmp/thq

All networks are random initialisations (He-normal weights, N(0, bias_std^2) biases), none trained:
  plane: 2-2-...-2-1 nets (width 2 in 2-D), every decision region counted in the whole plane, exactly
    for piecewise-linear activations and on a grid for tanh: Nguyen, Mukkamala & Hein 2018 (connected
    for strictly monotone activations; ReLU not covered, its rate reported), Johnson 2019 (no bounded
    region, any of these activations). Nets that break a claim are counted again at 1000x tighter
    sliver tolerances (grid: three finer grids) and saved to counterexamples/ (grid: candidates/).
  stable: Brownlowe et al. 2024, P(second-layer ReLU unit stably unactivated) for first-layer widths
    1, 2, 3 in 2-D (theory 1/4, 1/8, 5/64), decided exactly per net, under normal and uniform draws.
  growth: Hanin & Rolnick 2019, exact region counts in [-2, 2]^2 vs total neurons, depth and slope.
  linking: Ren & Lim 2026 (our reading of their abstract, see research/theorems/linking.py): |linking
    number| of a Hopf link through width-3 layers, monotone activations against |x|.
Default: 6 plane cells x 1000 nets, 2 x 3 x 10^6 stable-unit draws, 288 region counts, 4 x 1000
linked-ring nets; measured 9.5 min end to end (568 s: plane 364 s, stable 26 s, growth 8 s,
linking about 165 s) on 2 CPU cores shared with other jobs at load average 7-15, and 275 s (4.6
min) at load average 3-4 (one other study's run on the same 2 cores), and 90 s on 2 idle cores
(2026-12-02), each with the same results.
Result of that run: no counterexample for LeakyReLU 0.2 (Nguyen, Johnson) or ReLU (Johnson) in
6,000 exact counts; ReLU 2-2-2-1 nets have a disconnected region in 27 of 1000; tanh 2-2-2-1 in 5
of 1000 on every grid (candidates: tanh may be outside Nguyen et al.'s class, see the report);
Brownlowe's 1/4, 1/8, 5/64 matched within 0.0005 under both draws; regions ~ neurons^2.04-2.08
(95% CIs within [1.96, 2.18]); linking: no monotone layer changed |lk| (495 / 668 / 38 certified
first layers of LeakyReLU / tanh / ReLU), |x| changed it in 98 of 162. Quick: 15-40 s.
"""

import ml_collections

from configs.common import parse_arg


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  arg = parse_arg(arg, quick=False)
  c = ml_collections.ConfigDict()
  c.study = "theorems"
  c.seed = 0  # base of every network draw

  c.plane = ml_collections.ConfigDict()
  # Slopes explicit, as everywhere. leaky_relu:0.01 is left out of the default: its vertices lie
  # ~100^depth domains out, and certifying the whole plane then costs 60 ms+ per net.
  c.plane.activations = ("leaky_relu:0.2", "relu", "tanh")
  c.plane.depths = (1, 2)  # hidden layers, each of width 2
  c.plane.num_nets = 1000  # per activation and depth; the same nets for every activation
  c.plane.bias_std = 1.0
  c.plane.first_half_width = 16.0  # the first square of the exact count; it doubles until certified
  c.plane.grid_half_width = 16.0  # tanh: the square read on the grid ...
  c.plane.grid_points = 256  # ... with this many points per side

  c.stable = ml_collections.ConfigDict()
  c.stable.widths = (1, 2, 3)  # first-layer widths n1 (input dimension 2)
  c.stable.inits = ("normal", "uniform")  # symmetric draws; the theorem holds for any
  c.stable.num_inits = 1_000_000  # 95% interval half-width <= 0.0009: the +-0.002 target is testable
  c.stable.bias_std = 1.0
  c.stable.inits_per_call = 100_000  # bounds memory
  c.stable.tolerance = 0.002  # |estimate - theory| allowed

  c.growth = ml_collections.ConfigDict()
  c.growth.neurons = (16, 32, 64, 128)  # total hidden units, split equally over the layers
  c.growth.depths = (1, 2, 4)
  c.growth.slopes = (0.0, 0.01, 0.2)  # LeakyReLU slopes; 0 is ReLU
  c.growth.num_seeds = 8
  c.growth.half_width = 2.0  # the box [-2, 2]^2
  c.growth.bias_std = 1.0
  # Verdict: CONSISTENT when the 95% interval lies within theory +- tolerance.
  c.growth.tol_exponent = 0.25  # exponent of neurons; theory 2
  c.growth.tol_depth = 0.5  # log2 regions per added layer; theory 0 (exponential growth: >= 1)
  c.growth.tol_slope = 0.25  # mean paired log2 count ratio between slopes; theory 0 (+-19%)

  c.linking = ml_collections.ConfigDict()
  c.linking.activations = ("leaky_relu:0.2", "tanh", "relu", "abs")  # abs: the non-monotone one
  c.linking.depth = 2  # hidden layers of width 3; lk is read after each
  c.linking.num_nets = 1000
  c.linking.bias_std = 0.5
  c.linking.points = 96  # vertices per ring

  if arg.quick:
    c.plane.activations = ("leaky_relu:0.2", "relu", "tanh")
    c.plane.depths = (1, 2)
    c.plane.num_nets = 40
    c.plane.grid_points = 96
    c.stable.inits = ("normal",)
    c.stable.num_inits = 20_000
    c.stable.inits_per_call = 10_000
    c.stable.tolerance = 0.02
    c.growth.neurons = (8, 16, 32)
    c.growth.depths = (1, 2)
    c.growth.slopes = (0.0, 0.2)
    c.growth.num_seeds = 3
    c.linking.activations = ("leaky_relu:0.2", "abs")
    c.linking.depth = 1
    c.linking.num_nets = 30
    c.linking.points = 48
  return c
