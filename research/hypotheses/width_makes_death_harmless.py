"""Explanation 1: the ReLU/LeakyReLU accuracy gap shrinks as width grows.

A per-cell test cannot state a trend, so this claims a gap of at least min_effect in each width
cell; the explanation predicts SUPPORTED at the narrow widths and REFUTED (the gap lies within
+-min_effect) at the wide ones, which is the pattern to read off the per-cell table. The overall
verdict, a claim about every cell, is then REFUTED by design.
"""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="The accuracy gap between ReLU and LeakyReLU(0.01) shrinks as width grows: they differ by "
          "at least 0.01 test accuracy at narrow widths and not at wide ones (read per cell).",
    study="dying_relu",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.01",
    metric="test_acc",
    direction="two-sided",
    min_effect=0.01,
    conditions={"width": [2, 4, 8, 32]},
    num_seeds=10,
)
