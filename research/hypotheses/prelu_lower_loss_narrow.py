"""Snopov & Musin (arXiv 2507.12874): PReLU reaches a lower loss than ReLU on narrow ring nets."""

from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="On ring data, narrow networks (hidden width 2, 3 or 4) with a learned-slope LeakyReLU "
          "(PReLU, initial slope 0.25) reach a lower test loss than ReLU networks (Snopov & Musin "
          "report this in every configuration they tried).",
    study="narrow_nets",
    factor="activation",
    treatment="prelu:0.25",
    control="relu",
    metric="test_loss",
    direction="less",
    min_effect=0.01,  # nats
    conditions={"dataset": ["rings"], "width": [2, 3, 4]},
    num_seeds=16,
)
