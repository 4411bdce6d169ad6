"""Metric family `robustness`: test accuracy under Gaussian input noise of each std in
`config.eval.noise_stds`."""

from __future__ import annotations

import numpy as np

from research.metrics import boundary
from research.metrics.family import EvalContext, register_family
from research.models import predict
from research.validation import check_float, check_sequence


def validate(eval_config) -> None:
  for std in check_sequence("eval.noise_stds", eval_config.get("noise_stds")):
    check_float("eval.noise_stds", std, 0.0)


@register_family("robustness", columns=(r"noise_acc_\d+(p\d+)?",), validate=validate)
def robustness_columns(ctx: EvalContext) -> list[dict]:
  """Test accuracy under Gaussian input noise of each std in config.eval.noise_stds (input units).

  One noise draw per model (its seed), scaled by each std, so the accuracies differ only
  through the std (boundary.noise_robustness).
  """
  stds = tuple(ctx.config.eval.noise_stds)
  metrics = []
  for i, row in enumerate(ctx.rows):
    data = ctx.data(i)
    acc = boundary.noise_robustness(lambda x: np.asarray(predict(ctx.run(i, x)[0])), data.x_test,
                                    data.y_test, stds, seed=row["seed"])
    metrics.append({noise_column(s): float(a) for s, a in zip(stds, acc)})
  return metrics


def noise_column(std: float) -> str:
  """Column name of the accuracy under noise of this std, e.g. 0.5 -> noise_acc_0p5."""
  return "noise_acc_" + f"{std:g}".replace(".", "p").replace("-", "m")
