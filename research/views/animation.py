"""The decision boundary and the exact linear regions through training, as a GIF.

One frame per stored step (every `eval.checkpoint_steps` step, then the final weights), one panel
per model, side by side: ReLU and LeakyReLU of the same seed share the data and the initial
weights, so the panels differ only by the activation. Pillow writes the GIF (it comes with
matplotlib; no system package): frames are drawn by matplotlib's Agg backend and reduced to an
adaptive palette without dithering, so identical inputs give identical bytes.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from research.store import atomic_write_bytes
from research.views.drawing import draw_boundary, legend_handles
from research.views.net import Net, accuracy

FRAME_MS = 700  # each step on screen; the last one stays LAST_FRAME_MS
LAST_FRAME_MS = 2500
PALETTE_COLOURS = 96  # an adaptive palette this size keeps the GIF small and the lines crisp


def frame_figure(step: int, nets: Sequence[Net], labels: Sequence[str], domain, *,
                 truth: Callable | None = None, data=None, test=None, resolution: int = 120,
                 title: str = "", dpi: int = 80):
  """The figure of one frame: one panel per net (tagged gid='panel'), the step in the title.

  `test`: (x, y) for each panel's test accuracy at this step (computed here, from the weights).
  """
  fig, axes = plt.subplots(1, len(nets), figsize=(3.3 * len(nets), 3.9), squeeze=False, dpi=dpi)
  for ax, net, label in zip(axes[0], nets, labels):
    ax.set_gid("panel")
    drawn = draw_boundary(ax, net, domain, truth=truth, data=data, resolution=resolution)
    parts = [label]
    if np.isfinite(drawn["num_regions"]):
      parts.append(f"{int(drawn['num_regions'])} regions")
    if test is not None:
      parts.append(f"test acc {accuracy(net, *test):.2f}")
    ax.set_title(", ".join(parts), fontsize=8)
  fig.suptitle(f"step {step}" + (f" - {title}" if title else ""), fontsize=10)
  fig.legend(handles=legend_handles(nets[0].num_classes, True, truth is not None), loc="lower center",
             ncol=5, fontsize=6.5, frameon=False, handlelength=1.5)
  fig.subplots_adjust(left=0.02, right=0.98, top=0.84, bottom=0.1, wspace=0.06)
  return fig


def _remembering(truth: Callable | None) -> Callable | None:
  """truth() that remembers its last answer: every frame asks for the same grid."""
  if truth is None:
    return None
  last: dict = {}

  def cached(points):
    key = hashlib.sha256(np.ascontiguousarray(points).tobytes()).digest()
    if key not in last:
      last.clear()
      last[key] = truth(points)
    return last[key]
  return cached


def _frame_image(fig) -> Image.Image:
  fig.canvas.draw()
  rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
  plt.close(fig)
  return Image.fromarray(np.ascontiguousarray(rgb)).quantize(
      colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def write_animation(steps: Sequence[int], nets: Sequence[Sequence[Net]], labels: Sequence[str], domain,
                    path: str | Path, *, truth: Callable | None = None, data=None, test=None,
                    resolution: int = 120, title: str = "", still: str | Path | None = None) -> Path:
  """Writes the GIF: frame k shows nets[k] (one Net per label) at steps[k]; returns its path.

  `still`: also write the last frame as a PNG there (for a README).
  """
  if len(steps) != len(nets) or not steps:
    raise ValueError(f"steps ({len(steps)}) and nets ({len(nets)}) must be non-empty and of one length")
  images, truth = [], _remembering(truth)
  for step, at_step in zip(steps, nets):
    if len(at_step) != len(labels):
      raise ValueError(f"step {step}: {len(at_step)} nets for {len(labels)} labels {list(labels)}")
    images.append(_frame_image(frame_figure(step, at_step, labels, domain, truth=truth, data=data,
                                            test=test, resolution=resolution, title=title)))
  buf = io.BytesIO()
  durations = [FRAME_MS] * (len(images) - 1) + [LAST_FRAME_MS]
  # Pillow folds a frame identical to the previous one into it; the step in every title keeps each.
  images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=durations,
                 loop=0, optimize=False, disposal=1)
  path = Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  atomic_write_bytes(path, buf.getvalue())
  if still is not None:
    out = io.BytesIO()
    images[-1].save(out, format="PNG", optimize=True)
    Path(still).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(Path(still), out.getvalue())
  return path
