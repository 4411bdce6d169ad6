"""What every figure shares: the interval over seeds, saving, and one colour per activation.

Colours are a function of the activation spec alone (`activation_palette`), so one activation has
the same colour in every figure of every study; the order of activations is the config's (results
rows follow it).
"""

from __future__ import annotations

import colorsys
import hashlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from research.sweep import not_diverged  # noqa: F401  (figures filter with it)

# Seaborn's 95% bootstrap interval over seeds; SEED makes its resampling reproducible, so two
# identical runs draw identical figures.
CI = ("ci", 95)
SEED = 0
DPI = 110

# Families with a fixed hue (the rest get one from a hash of the spec). LeakyReLU's shade moves
# with its slope, so leaky_relu:0.01 / 0.1 / 0.2 are told apart but read as one family.
_BASE_COLOURS = {"relu": "#1f77b4", "tanh": "#2ca02c", "sigmoid": "#8c564b", "prelu": "#9467bd",
                 "gelu": "#e377c2", "identity": "#7f7f7f", "jax.nn.relu": "#17becf"}


def activation_colour(spec: str) -> tuple[float, float, float]:
  """The RGB colour of an activation spec, the same wherever it is drawn."""
  name, _, arg = spec.partition(":")
  if name == "leaky_relu":
    slope = float(arg) if arg else 0.01
    # Slopes 0.001..0.5 on a log scale, from orange (small) to dark red (large).
    t = float(np.clip((np.log10(max(slope, 1e-3)) + 3) / (np.log10(0.5) + 3), 0, 1))
    return colorsys.hls_to_rgb(0.08 - 0.08 * t, 0.55 - 0.25 * t, 0.9)
  if name in _BASE_COLOURS:
    return matplotlib.colors.to_rgb(_BASE_COLOURS[name])
  h = int(hashlib.sha256(spec.encode()).hexdigest()[:6], 16) / 0xFFFFFF
  return colorsys.hls_to_rgb(h, 0.45, 0.6)


def activation_order(names) -> list[str]:
  """The activations in order of first appearance (the config's order: results rows follow it)."""
  return list(dict.fromkeys(names))


def activation_palette(names) -> dict[str, tuple[float, float, float]]:
  """spec -> colour for seaborn's `palette=` and `hue_order=` (keys in config order)."""
  return {a: activation_colour(a) for a in activation_order(names)}


def excluded_note(results: pd.DataFrame) -> str:
  """' (k diverged models excluded)' for titles, or ''."""
  n = int(results["diverged"].fillna(False).astype(bool).sum()) if "diverged" in results else 0
  return f" ({n} diverged models excluded)" if n else ""


def dodge(activations: pd.Series, order: list[str], width: float = 0.24) -> pd.Series:
  """Small x offsets per activation, so that equal curves stay visible side by side."""
  n = max(len(order), 1)
  step = width / max(n - 1, 1)
  offsets = {a: (i - (n - 1) / 2) * step for i, a in enumerate(order)}
  return activations.map(offsets).fillna(0.0)


def save(fig, path: Path) -> Path:
  """Writes a figure as PNG (parent folders made) and closes it."""
  path = Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
  plt.close(fig)
  return path
