"""Views of trained models, as TensorFlow Playground users ask for them (issue 12).

- animation.py: the decision boundary and the exact linear regions through training (a GIF, one
  frame per stored checkpoint), ReLU and LeakyReLU of the same seed side by side;
- hidden_units.py: what every hidden unit computes over the input plane, dead units marked;
- explorer.py (+ explorer.js): one static HTML page to browse every model of a run;
- drawing.py: one model's boundary, regions and true boundary on an axis;
- net.py: a model as in-memory weights (`make_net(kernels, biases, activation)`), which every view
  takes, so callers holding weights (research/api.py) use them without a workdir;
- loading.py: a finished run's models (weights final and per checkpoint, data, model selection).

`write_views(workdir)` writes all three for a finished run with saved weights, into
<workdir>/views/, and returns them as report Figures; `python -m experiments.views` is its command.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

from research.report import Figure

VIEWS_DIR = "views"
NO_CHECKPOINTS = ("the animation needs weights saved during training: rerun with "
                  "eval.checkpoint_steps set, e.g. --config.eval.checkpoint_steps='(0,250,500)'")


@dataclasses.dataclass
class Views:
  """What write_views wrote (as report Figures) and what it could not, in one line each."""

  figures: list[Figure]
  notes: list[str]


def write_views(workdir: str | Path, models: Sequence[str | None] = (None,), *,
                out_dir: str | Path | None = None, explorer: bool = True, resolution: int = 120) -> Views:
  """The animation (where checkpoints were saved), the hidden-unit figures and the explorer of a
  finished run. `models`: selectors (research/views/loading.py), None for the default model."""
  from research.views import animation, hidden_units
  from research.views import explorer as explorer_page
  from research.views.loading import Run, select
  run = Run(workdir)
  out = Path(out_dir) if out_dir is not None else run.workdir / VIEWS_DIR
  selections = list(dict.fromkeys(select(run.results, m) for m in (models or [None])))
  figures, notes = [], []
  for sel in selections:
    rows = run.rows(sel)
    data = run.data(rows[0])
    labels = [r["activation"] for r in rows]
    steps = sorted(set.intersection(*(set(run.checkpoint_steps(r)) for r in rows)))
    if steps:
      final = int(run.config.optim.num_steps)
      whichs = [f"s{s}" for s in steps] + ([] if final in steps else ["final"])
      frames = steps + ([] if final in steps else [final])
      path = animation.write_animation(
          frames, [[run.net(r, w) for r in rows] for w in whichs], labels, data.domain,
          out / f"boundary_through_training_{sel.tag}.gif", truth=data.truth,
          data=(data.x_train, data.y_train), test=(data.x_test, data.y_test), resolution=resolution,
          title=sel.describe())
      figures.append(Figure(path, f"Decision boundary (black) and exact linear regions (grey) of "
                                  f"{' and '.join(labels)} at each saved step from {frames[0]} to "
                                  f"{frames[-1]}, on the same data and initial weights ({sel.describe()}: "
                                  f"{sel.why}); dashed green: the true boundary."))
    elif NO_CHECKPOINTS not in notes:
      notes.append(NO_CHECKPOINTS)
    for r in rows:
      path = hidden_units.plot_hidden_units(
          run.net(r), data.domain, out / f"hidden_units_{sel.tag}_{_file_part(r['activation'])}.png",
          data=(data.x_train, data.y_train), truth=data.truth,
          title=f"{r['activation']}: {sel.describe()} ({sel.why})")
      figures.append(Figure(path, f"What each hidden unit of the trained {r['activation']} net "
                                  f"computes over the input plane ({sel.describe()}), a row per layer; "
                                  "dead units framed red, inactive ones orange (dashed: on the "
                                  "training points only)."))
  if explorer:
    path = explorer_page.write_explorer(run, out / "explorer.html", selections[0])
    figures.append(Figure(path, f"Explorer: choose data set, activation, architecture and seed to see "
                                f"any of the {len(run.results)} models' boundary, regions, results "
                                "row and training curve (one HTML page, no server)."))
  return Views(figures, notes)


def _file_part(spec: str) -> str:
  return spec.replace(":", "").replace("+", "-").replace("/", "-")


def training_views(ctx) -> list[Figure]:
  """The views of a plain training study's run (research/study_report.py training_figures)."""
  try:
    views = write_views(ctx.sweep_dir)
  except ValueError as e:  # e.g. a run without 2-D data sets or saved weights: the report goes on
    print(f"views: not written: {e}")
    return []
  for note in views.notes:
    print(f"views: {note}")
  return views.figures
