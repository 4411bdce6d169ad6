"""Explanation 1's premise: in narrow networks, ReLU (whose units can die) loses accuracy to LeakyReLU.

If ReLU did not lose accuracy when narrow, there would be no harm for width to remove. The wide
counterpart is relu_loses_accuracy_when_wide. A loss here is ReLU's, not necessarily its dead units':
the dead-fraction heat map of the dying_relu study shows whether the losing cells are the ones
where units died.
"""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="At widths 2 and 4, ReLU networks reach lower test accuracy than LeakyReLU(0.01) networks "
          "by at least 0.01, at every learning rate.",
    study="dying_relu",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.01",
    metric="test_acc",
    direction="less",
    min_effect=0.01,  # 4 of the 400 test points per data set
    conditions={"width": [2, 4], "lr": [0.001, 0.01, 0.1]},
    num_seeds=10,
)
