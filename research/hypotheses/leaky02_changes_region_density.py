"""Does LeakyReLU(0.2) change how many linear regions the same network crosses?

LeakyReLU has the same breakpoint as ReLU, so with one hidden layer and the same weights the
regions are identical; deeper, ReLU's zeroed units change what later layers see. The claim is a
difference of at least 25% (|log2 ratio| >= 0.32) in the regions crossed per unit length, from the
same initial weights and data; "as many regions" is its REFUTED verdict (the difference is shown
to lie within +-0.32, Holm-adjusted). The density along lines is used, not the 2-D count, because every seed has it.
"""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="ReLU and LeakyReLU(0.2) networks with the same initial weights and data differ in the "
          "number of linear regions they cross per unit length by at least 25% (|log2 ratio| >= "
          "0.32), at initialisation and after 1000 training steps, at 2, 4 and 6 hidden layers of "
          "96 neurons in total.",
    study="linear_regions",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.2",
    metric="log2_density",
    direction="two-sided",
    min_effect=0.32,
    conditions={"neurons": [96], "depth": [2, 4, 6], "step": [0, 1000]},
    num_seeds=8,
)
