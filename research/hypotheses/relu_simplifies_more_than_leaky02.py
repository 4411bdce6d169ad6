"""Explanation 4: a non-injective ReLU layer can glue points; a LeakyReLU(0.2) layer cannot."""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="Averaged over the hidden layers, the total Betti number of the predicted classes is lower "
          "by at least 1 in ReLU networks than in LeakyReLU(0.2) networks (a homeomorphism per "
          "layer), among networks that fit their training data.",
    study="topology",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.2",
    metric="betti_total_mean",
    direction="less",
    min_effect=1.0,  # one Betti number (a component or a hole) on average over the layers
    conditions={"dataset": ["d1"]},
    num_seeds=88,  # configs/topology.py: >= 30 fitting nets per activation on D-I
)
