"""The mirror of smooth_separates_by_rounding: the coarsest rounding (bfloat16) should separate best."""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="tanh and sigmoid networks reach higher test accuracy in bfloat16 than in float32 on spirals "
          "and rings (if rounding is what makes smooth activations disentangle, 8-bit mantissas "
          "should do it better than 24-bit ones).",
    study="precision",
    factor="dtype",
    treatment="bfloat16",
    control="float32",
    metric="test_acc",
    direction="greater",
    min_effect=0.01,
    conditions={"activation": ["tanh", "sigmoid"], "dataset": ["spirals", "rings"]},
    num_seeds=30,
)
