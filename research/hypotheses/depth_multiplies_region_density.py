"""The exponential-in-depth picture of linear regions, which Hanin & Rolnick argue against.

At a fixed budget of neurons, theory for specially built networks gives counts exponential in
depth; Hanin & Rolnick find that typical networks, at init and after training, have a density
along lines set by the total number of neurons instead. This file states the exponential claim,
so Hanin & Rolnick predict REFUTED: the log2 ratio is shown to be below a doubling (Holm-adjusted
one-sided test), or SMALLER THAN CLAIMED if depth raises the density by less than a doubling.
"""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="At a fixed total number of hidden neurons, ReLU networks with 4 hidden layers cross at "
          "least twice as many linear regions per unit length as networks with 1 hidden layer "
          "(log2 density higher by at least 1), at initialisation and after 1000 training steps.",
    study="linear_regions",
    factor="depth",
    treatment=4,
    control=1,
    metric="log2_density",
    direction="greater",
    min_effect=1.0,
    conditions={"activation": ["relu"], "neurons": [48, 96, 192], "step": [0, 1000]},
    num_seeds=8,
)
