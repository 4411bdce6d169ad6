"""Random MLPs drawn as stacked numpy arrays: thousands of small networks in one draw.

The draws are symmetric about zero (weights and biases), as every theorem here assumes: `normal`
is He's N(0, 2 / fan_in) for weights with N(0, bias_std^2) biases; `uniform` has the same
variances from uniform distributions (used to show that Brownlowe et al.'s probability does not
depend on the distribution, only on its symmetry). Biases are not zero: with zero biases every
line passes through the origin and the arrangements the theorems speak about degenerate.
"""

from __future__ import annotations

import numpy as np

INITS = ("normal", "uniform")


def _symmetric(rng: np.random.Generator, init: str, shape: tuple, std: float) -> np.ndarray:
  if init == "normal":
    return rng.standard_normal(shape) * std
  if init == "uniform":  # U(-a, a) has standard deviation a / sqrt(3)
    return rng.uniform(-1.0, 1.0, shape) * std * np.sqrt(3.0)
  raise ValueError(f"init {init!r} is not one of {', '.join(INITS)}")


def draw_nets(rng: np.random.Generator, num: int, dims: tuple[int, ...], *, init: str = "normal",
              bias_std: float = 1.0) -> tuple[list[np.ndarray], list[np.ndarray]]:
  """`num` random MLPs with layer sizes dims = (d_in, h1, ..., d_out): weights [(num, a, b)],
  biases [(num, b)], float64."""
  ws, bs = [], []
  for a, b in zip(dims[:-1], dims[1:]):
    ws.append(_symmetric(rng, init, (num, a, b), np.sqrt(2.0 / a)))
    bs.append(_symmetric(rng, init, (num, b), bias_std))
  return ws, bs


def net(ws: list[np.ndarray], bs: list[np.ndarray], i: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
  """Network i of a stack, as the per-network lists the region code takes."""
  return [w[i] for w in ws], [b[i] for b in bs]
