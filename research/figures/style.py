"""What the layer-wise studies' figures share: the CI, a fixed activation order and saving."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only
import matplotlib.pyplot as plt

CI = ("ci", 95)  # seaborn's 95% bootstrap confidence interval over seeds
ACTIVATION_ORDER = ("relu", "leaky_relu:0.01", "leaky_relu:0.2", "prelu", "tanh")


def activation_order(names) -> list[str]:
  """Activations in a fixed order (the known ones first), so colours match across figures."""
  names = list(dict.fromkeys(names))
  return [a for a in ACTIVATION_ORDER if a in names] + [a for a in names if a not in ACTIVATION_ORDER]


def dodge(activations, order: list[str], width: float = 0.24):
  """Small x offsets per activation, so that equal curves stay visible side by side."""
  n = max(len(order), 1)
  step = width / max(n - 1, 1)
  offsets = {a: (i - (n - 1) / 2) * step for i, a in enumerate(order)}
  return activations.map(offsets).fillna(0.0)


def save(fig, path: Path) -> Path:
  path.parent.mkdir(parents=True, exist_ok=True)
  fig.savefig(path, dpi=110, bbox_inches="tight")
  plt.close(fig)
  return path
