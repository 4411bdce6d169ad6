"""Explanation 3, the representation side: ReLU's sparser last hidden layer is more separable."""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="A linear probe on the last hidden layer separates the classes better, by at least 0.01 "
          "held-out accuracy, in ReLU networks than in LeakyReLU(0.01) networks (sparser layers "
          "are more linearly separable).",
    study="sparsity",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.01",
    metric="probe_acc_last",
    direction="greater",
    min_effect=0.01,  # one probe test point in a hundred
    conditions={"dataset": ["spirals", "rings"]},
    num_seeds=10,
)
