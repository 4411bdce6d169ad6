"""What every figure shares: the interval over seeds, seed points, saving, one colour per activation.

Colours are a function of the activation spec alone (`activation_palette`), so one activation has
the same colour in every figure of every study; the order of activations is the config's (results
rows follow it).

Intervals are computed here (a Student-t interval over seeds), never by seaborn: its bootstrap
draws from an unseeded generator, so two identical runs drew different PNGs. Seed points are
jittered with a fixed numpy Generator for the same reason. Every figure function returns
`Figure(path, caption)` objects; the caption is one sentence saying what to read from it.
"""

from __future__ import annotations

import colorsys
import hashlib
import os
import time
from pathlib import Path

import matplotlib
import matplotlib.layout_engine
import matplotlib.ticker

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.stats

from research.report import Figure  # noqa: F401  (figure modules return these)
from research.sweep import not_diverged  # noqa: F401  (figures filter with it)

LEVEL = 0.95  # confidence level of every interval drawn
SEED = 0  # the jitter of seed points: fixed, so identical runs draw identical bytes
DPI = 110
MIN_N = 3  # fewer seeds than this: the mean is drawn without an interval
POINT = dict(s=9, alpha=0.45, linewidths=0, zorder=2)  # one seed: small, semi-transparent

# Families with a fixed hue (the rest get one from a hash of the spec). LeakyReLU's shade moves
# with its slope, so leaky_relu:0.01 / 0.1 / 0.2 are told apart but read as one family.
_BASE_COLOURS = {"relu": "#1f77b4", "tanh": "#2ca02c", "sigmoid": "#8c564b", "prelu": "#9467bd",
                 "gelu": "#e377c2", "identity": "#7f7f7f", "jax.nn.relu": "#17becf"}


def activation_colour(spec: str) -> tuple[float, float, float]:
  """The RGB colour of an activation spec, the same wherever it is drawn."""
  # A per-layer spec (relu+leaky_relu:0.2) is its own activation: a colour from its hash.
  name, _, arg = spec.partition(":") if "+" not in spec else (spec, "", "")
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
  """spec -> colour (keys in config order)."""
  return {a: activation_colour(a) for a in activation_order(names)}


def num_diverged(results: pd.DataFrame) -> int:
  return int(results["diverged"].fillna(False).astype(bool).sum()) if "diverged" in results else 0


def excluded_note(results: pd.DataFrame) -> str:
  """' (k diverged models excluded)' for titles, or ''."""
  n = num_diverged(results)
  return f" ({n} diverged models excluded)" if n else ""


def seed_range(seeds) -> str:
  """'seeds 0-3' / 'seeds 0, 2, 5' / 'seed 0': which seeds a subset holds, for titles."""
  s = sorted({int(v) for v in seeds})
  if len(s) == 1:
    return f"seed {s[0]}"
  if s == list(range(s[0], s[-1] + 1)):
    return f"seeds {s[0]}-{s[-1]}"
  return "seeds " + ", ".join(map(str, s))


def t_interval(values, level: float = LEVEL, log: bool = False) -> tuple[float, float, float, int]:
  """(mean, low, high, n) of the finite values: the Student-t interval of the mean.

  log: of log10(values) (values > 0), mapped back: the geometric mean and its interval, for
  quantities drawn on log axes. One value gives an interval of zero width; none gives NaNs.
  """
  v = np.asarray(values, np.float64)
  v = v[np.isfinite(v) & ((v > 0) if log else True)]
  n = len(v)
  if n == 0:
    return float("nan"), float("nan"), float("nan"), 0
  if log:
    v = np.log10(v)
  mean = float(v.mean())
  half = 0.0 if n < 2 else float(scipy.stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
  out = (mean, mean - half, mean + half)
  if log:
    out = tuple(10.0 ** x for x in out)
  return (*out, n)


def offsets(order: list, width: float = 0.6) -> dict:
  """Side-by-side x offsets of the groups in `order` within one x slot of the given width."""
  n = max(len(order), 1)
  step = width / n
  return {a: (i - (n - 1) / 2) * step for i, a in enumerate(order)}


def jitter(n: int, width: float, rng: np.random.Generator) -> np.ndarray:
  """x offsets in [-width/2, width/2] for n seed points (from the figure's fixed Generator)."""
  return rng.uniform(-width / 2, width / 2, n) if n else np.zeros(0)


def seeds_and_means(ax, xs, groups, colour, rng: np.random.Generator, *, width: float = 0.28,
                    log: bool = False, mean_colour="black", marker: str = "o", label=None,
                    clip: tuple[float, float] | None = None) -> list[int]:
  """At each x, one point per seed (jittered) and the mean with its t-interval; returns the n's.

  groups: one array of values per x (non-finite values, and values <= 0 on log axes, dropped);
  colour: one colour, or a list of one per x (one call can then draw every activation of a panel).
  clip: the range the quantity can take (0..1 for a fraction; None for an open end); the interval
  is cut to it, since a t-interval near a bound (15 seeds at 1.0, one at 0.5) otherwise reaches
  past what is possible. Groups of fewer than MIN_N seeds get the mean without an interval.
  One scatter and one errorbar call for all x, so that figures with many panels stay fast; the
  means are an errorbar (a line, not a scatter), so an axes' scatter points are exactly its seeds.
  """
  colours = colour if isinstance(colour, list) else [colour] * len(xs)  # a list: one colour per x
  px, py, pc, mx, stats = [], [], [], [], []
  for x, values, c in zip(xs, groups, colours):
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v) & ((v > 0) if log else True)]
    if len(v):
      px.append(x + jitter(len(v), width, rng))
      py.append(v)
      pc += [matplotlib.colors.to_rgba(c)] * len(v)
      mx.append(x)
      stats.append(t_interval(v, log=log))
  if not mx:
    return []
  ax.scatter(np.concatenate(px), np.concatenate(py), c=np.array(pc), marker=marker, label=label, **POINT)
  mean, lo, hi, n = (np.array(c) for c in zip(*stats))
  if clip is not None:
    lo, hi = np.clip(lo, *clip), np.clip(hi, *clip)
  # Below MIN_N the t quantile explodes (12.7 at n = 2): the mean alone, the points say the rest.
  lo, hi = np.where(n < MIN_N, mean, lo), np.where(n < MIN_N, mean, hi)
  ax.errorbar(mx, mean, yerr=[mean - lo, hi - mean], fmt="_", color=mean_colour, markersize=10,
              markeredgewidth=2, elinewidth=1.3, capsize=3, zorder=3, linestyle="none")
  return [int(k) for k in n]


def log_axes(ax, x: bool = False, y: bool = True) -> None:
  """Log scale with plain-number ticks: 1, 2, 5 x 10^k over short ranges, powers of 10 over long.

  Call after plotting: the tick density follows the data range so labels do not collide.
  """
  for use, axis, scale, limits in ((x, ax.xaxis, ax.set_xscale, ax.get_xlim),
                                   (y, ax.yaxis, ax.set_yscale, ax.get_ylim)):
    if use:
      scale("log")
      lo, hi = limits()
      decades = np.log10(hi / lo) if lo > 0 and hi > lo else 1.0
      subs = (1.0, 2.0, 5.0) if decades <= 1.6 else (1.0, 3.0) if decades <= 2.0 else (1.0,)
      axis.set_major_locator(matplotlib.ticker.LogLocator(subs=subs))
      axis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
      axis.set_minor_locator(matplotlib.ticker.NullLocator())  # minor ticks cost drawing time, say nothing


def n_label(counts: dict) -> str:
  """'n = 16' when every group has the same n, else 'n = relu 16, tanh 15'."""
  values = set(counts.values())
  if len(values) == 1:
    return f"n = {values.pop()}"
  return "n = " + ", ".join(f"{k} {v}" for k, v in counts.items())


_progress = dict(k=0, t=time.perf_counter())


def begin() -> None:
  """Restarts the figure count and clock of the progress lines (called by each figure set)."""
  _progress.update(k=0, t=time.perf_counter())


def save(fig, path: Path) -> Path:
  """Writes a figure as PNG (parent folders made), closes it and prints one progress line.

  Metadata without the software version or a date, so identical inputs give identical bytes.
  """
  path = Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  tmp = path.with_name(f".{path.name}.tmp")  # then renamed: a killed draw leaves no half PNG
  # A constrained layout already fits everything inside the figure; "tight" would draw it twice.
  constrained = isinstance(fig.get_layout_engine(), matplotlib.layout_engine.ConstrainedLayoutEngine)
  fig.savefig(tmp, format="png", dpi=DPI, bbox_inches=None if constrained else "tight",
              metadata={"Software": None})
  os.replace(tmp, path)
  plt.close(fig)
  now = time.perf_counter()
  _progress["k"] += 1
  print(f"  figure {_progress['k']}: {path.stem} ({now - _progress['t']:.1f} s)", flush=True)
  _progress["t"] = now
  return path
