"""Explanation 1, its falsifiable half: does ReLU still lose accuracy to LeakyReLU when wide?

"Width makes death harmless" says that at large widths the ReLU-LeakyReLU accuracy gap vanishes.
Under stats.VERDICT_RULE only an effect can be SUPPORTED; "no gap" can only show up as a REFUTED
claim of a gap. So the claim below is the gap itself, stated so that SUPPORTED means what it says:
SUPPORTED = wide ReLU networks still lose at least min_effect (against the explanation);
REFUTED = a loss below min_effect is shown in some cell (Holm-adjusted; for the explanation);
SMALLER THAN CLAIMED = wide ReLU loses, but not shown to lose min_effect. Its narrow-width
counterpart is dead_relu_hurts_narrow_nets; explanation 1 predicts SUPPORTED there and REFUTED here.
"""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="At widths 32 and 64, ReLU networks reach lower test accuracy than LeakyReLU(0.01) networks "
          "by at least 0.01, at every learning rate. (Explanation 1, width makes dead units harmless, "
          "predicts REFUTED: the loss is excluded once networks are wide.)",
    study="dying_relu",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.01",
    metric="test_acc",
    direction="less",
    min_effect=0.01,  # 4 of the 400 test points per data set
    conditions={"width": [32, 64], "lr": [0.001, 0.01, 0.1]},
    num_seeds=10,
)
