"""Explanation 4 (Naitzat et al.): ReLU networks reach trivial topology in fewer layers than tanh."""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="In networks that fit their training data, every predicted class reaches trivial topology "
          "(Betti numbers (1, 0, ...)) at least one layer sooner through ReLU layers than through "
          "tanh layers (Naitzat, Zhitnikov, Lim, JMLR 2020); a run that never gets there counts as "
          "depth + 1.",
    study="topology",
    factor="activation",
    treatment="relu",
    control="tanh",
    metric="layers_to_trivial_capped",
    direction="less",
    min_effect=1.0,  # one layer
    conditions={"dataset": ["d1"]},
    num_seeds=88,  # configs/topology.py: >= 30 fitting nets per activation on D-I
)
