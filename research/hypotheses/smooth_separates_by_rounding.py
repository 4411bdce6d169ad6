"""The seed's precision claim: tanh and sigmoid separate through rounding, so coarser rounding helps."""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="tanh and sigmoid networks reach higher test accuracy in float32 than in float64 on spirals "
          "and rings (the seed discussion: smooth activations disentangle data only because "
          "floating-point rounding makes them non-continuous, so finer rounding should separate worse).",
    study="precision",
    factor="dtype",
    treatment="float32",
    control="float64",
    metric="test_acc",
    direction="greater",
    min_effect=0.01,  # one test point in a hundred
    conditions={"activation": ["tanh", "sigmoid"], "dataset": ["spirals", "rings"]},
    num_seeds=30,
)
