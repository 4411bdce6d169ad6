"""ReLU reaches higher test accuracy than LeakyReLU(0.01) on the two-class playground data sets."""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="ReLU networks reach higher test accuracy than LeakyReLU(0.01) networks on spirals and "
          "rings (explanation 4: a non-injective map can fold space and disentangle the classes).",
    study="relu_vs_leaky",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.01",
    metric="test_acc",
    direction="greater",
    min_effect=0.01,  # one test point in a hundred
    conditions={"dataset": ["spirals", "rings"]},
    num_seeds=10,
)
