"""Explanation 4 (Naitzat et al.): Betti numbers fall faster through ReLU layers than through tanh."""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="Averaged over the hidden layers, the total Betti number of the predicted classes is lower "
          "by at least 1 in ReLU networks than in tanh networks (a homeomorphism per layer), among "
          "networks that fit their training data (Naitzat, Zhitnikov, Lim, JMLR 2020: the "
          "reduction is faster for ReLU).",
    study="topology",
    factor="activation",
    treatment="relu",
    control="tanh",
    metric="betti_total_mean",
    direction="less",
    min_effect=1.0,  # one Betti number (a component or a hole) on average over the layers
    conditions={"dataset": ["d1"]},
    num_seeds=88,  # configs/topology.py: >= 30 fitting nets per activation on D-I
)
