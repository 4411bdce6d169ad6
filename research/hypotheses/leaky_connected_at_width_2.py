"""Nguyen et al. / Beise et al.: at width <= input dim, LeakyReLU decision regions are connected."""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="With hidden width 2 (no wider than the 2-D input), LeakyReLU(0.01) networks split the "
          "plane into fewer extra decision-region components (beyond one, counted exactly in the "
          "whole plane) than ReLU networks do (theory: LeakyReLU regions are connected there, so "
          "none; ReLU regions need not be).",
    study="narrow_nets",
    factor="activation",
    treatment="leaky_relu:0.01",
    control="relu",
    metric="plane_excess_c1",
    direction="less",
    min_effect=0.0,
    conditions={"dataset": ["rings"], "width": [2]},
    num_seeds=16,
)
