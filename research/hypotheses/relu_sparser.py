"""Explanation 3: ReLU gives sparser codes than LeakyReLU(0.01)."""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="Trained ReLU networks leave a larger fraction of hidden units inactive (pre-activation "
          "<= 0) than LeakyReLU(0.01) networks, by at least 5 percentage points.",
    study="sparsity",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.01",
    metric="inactive_fraction",
    direction="greater",
    min_effect=0.05,
    conditions={"dataset": ["spirals", "rings"]},
    num_seeds=10,
)
