"""Hanin & Rolnick's positive claim: the region density along a line grows with the neurons.

Density proportional to the number of neurons predicts a x4 (log2 +2) from 48 to 192 neurons; the
claim asks for at least a doubling in every depth cell, at init and after training.
"""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="At every depth, ReLU networks with 192 hidden neurons in total cross at least twice as "
          "many linear regions per unit length as networks with 48 (log2 density higher by at least "
          "1), at initialisation and after 1000 training steps.",
    study="linear_regions",
    factor="neurons",
    treatment=192,
    control=48,
    metric="log2_density",
    direction="greater",
    min_effect=1.0,
    conditions={"activation": ["relu"], "depth": [1, 2, 4, 6], "step": [0, 1000]},
    num_seeds=8,
)
