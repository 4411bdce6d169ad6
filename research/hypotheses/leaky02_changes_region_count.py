"""Does LeakyReLU(0.2) change the number of linear regions of the same network?

LeakyReLU has the same breakpoint as ReLU, so with one hidden layer and the same weights the
regions are identical; deeper, ReLU's zeroed units change what later layers see. The claim is a
difference of at least 25% in the exact 2-D count (|log2 ratio| >= 0.32) from the same initial
weights; "as many regions" is its REFUTED verdict (the CI lies within +-0.32).
"""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="ReLU and LeakyReLU(0.2) networks with the same initial weights and data differ in their "
          "exact number of linear regions in the data domain by at least 25% (|log2 ratio| >= 0.32), "
          "at initialisation and after 2000 training steps, at 2 to 6 hidden layers of 96 neurons in total.",
    study="linear_regions",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.2",
    metric="log2_regions",
    direction="two-sided",
    min_effect=0.32,
    conditions={"neurons": [96], "depth": [2, 4, 6], "step": [0, 2000]},
    num_seeds=8,
)
