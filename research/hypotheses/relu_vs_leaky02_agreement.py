"""ReLU recovers the true class regions better than LeakyReLU(0.2), the slope of Naitzat et al."""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="On a dense input grid, ReLU networks agree with the true class regions more often than "
          "LeakyReLU(0.2) networks (the slope Naitzat et al. compared), on spirals and rings.",
    study="relu_vs_leaky",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.2",
    metric="grid_agreement",
    direction="greater",
    min_effect=0.01,
    conditions={"dataset": ["spirals", "rings"]},
    num_seeds=10,
)
