"""One static HTML page per workdir to browse every model of a run: no server, no network.

Choose data set, activation, architecture, learning rate and seed; the page shows that model's
decision boundary with its linear regions, the true class boundary and the training points (drawn
by the page's script, explorer.js, from the model's float32 weights), its results row and its
training curve. Everything is inlined in one JSON block (`<script id="explorer-data">`):

  models[i]: dataset, activation, width, depth, lr, seed, out (logits), acts ([name, slope] per
             hidden layer), w (base64 little-endian float32: kernel then bias of each layer, hidden
             layers then head, kernels (fan_in, fan_out) row-major), row (results.csv's values in
             `columns` order, NaN as null), curve (train/test loss and accuracy at `curve_steps`),
             instance (the key of its data in `instances`)
  instances[key]: domain, x (training points, uint16 over the domain box, base64), y (uint8),
             truth (index into `truths`, or null)
  truths[t]: domain, resolution, labels (uint8 row-major grid, rows along y, base64)

Weights rather than images: a 96 x 96 PNG per model would cost about as much as the weights of
the default run's largest nets and would show less (no zoom into regions, no exact pixels).
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import numpy as np

from research.metrics import boundary
from research.store import atomic_write_text
from research.views.loading import Run, Selection

CURVE_COLUMNS = ("train_loss", "test_loss", "train_acc", "test_acc")
HIDDEN_COLUMNS = ("unit", "model_index")  # store bookkeeping, not results
# Shown first in the page's table (the rest follow in results.csv's order).
FIRST_COLUMNS = ("dataset", "activation", "width", "depth", "lr", "seed", "test_acc", "train_acc",
                 "test_loss", "train_loss", "diverged", "grid_agreement", "num_regions", "boundary_pieces",
                 "dead_fraction", "inactive_fraction", "margin_mean")
RESOLUTION = 300  # canvas pixels per side
TRUTH_RESOLUTION = 160


def _b64(array: np.ndarray) -> str:
  return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _value(v):
  """A results cell as JSON: numbers to 7 significant digits (float32 precision), NaN as null."""
  if isinstance(v, (bool, np.bool_)):
    return bool(v)
  if isinstance(v, (int, np.integer)):
    return int(v)
  if isinstance(v, (float, np.floating)):
    return None if not math.isfinite(v) else float(f"{float(v):.7g}")
  return None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _weights(net) -> str:
  parts = []
  for k, b in zip(net.kernels, net.biases):
    parts += [np.asarray(k, "<f4").ravel(), np.asarray(b, "<f4").ravel()]
  return _b64(np.concatenate(parts))


def _instances(run: Run, keys: list[tuple[str, int]]) -> tuple[dict, list]:
  """Each (dataset, seed)'s domain and training points; the truth grids, deduplicated."""
  instances, truths, truth_index = {}, [], {}
  for dataset in dict.fromkeys(d for d, _ in keys):
    draws = run.instances(dataset)
    seeds = [s for d, s in keys if d == dataset]
    boxes = np.stack([np.asarray(draws[s].domain, np.float64) for s in seeds])
    union = np.stack([boxes[:, :, 0].min(0), boxes[:, :, 1].max(0)], 1)
    points, shape = boundary.make_grid(union, TRUTH_RESOLUTION)
    for s in seeds:
      d = draws[s]
      t = None
      if d.truth is not None:
        labels = np.asarray(d.truth(points), np.uint8)
        key = (dataset, labels.tobytes())
        if key not in truth_index:  # seeds of one data set usually share their truth
          truth_index[key] = len(truths)
          truths.append(dict(domain=union.tolist(), resolution=TRUTH_RESOLUTION, labels=_b64(labels)))
        t = truth_index[key]
      domain = np.asarray(d.domain, np.float64)
      q = np.round((d.x_train - domain[:, 0]) / (domain[:, 1] - domain[:, 0]) * 65535)
      instances[f"{dataset}/{s}"] = dict(domain=domain.tolist(), x=_b64(np.clip(q, 0, 65535).astype("<u2")),
                                         y=_b64(d.y_train.astype(np.uint8)), truth=t)
  return instances, truths


def _curves(run: Run) -> tuple[list[int], dict]:
  """The steps of the curves and (unit, model_index) -> {column: values}."""
  c = run.curves
  if c.empty:
    return [], {}
  steps = sorted(c["step"].unique().tolist())
  out = {}
  cols = [k for k in CURVE_COLUMNS if k in c]
  for (unit, i), g in c.groupby(["unit", "model_index"], sort=False):
    g = g.set_index("step").reindex(steps)
    out[(unit, int(i))] = {k: [_value(v) for v in g[k].to_numpy()] for k in cols}
  return [int(s) for s in steps], out


def explorer_data(run: Run, initial: Selection | None = None) -> dict:
  """The page's JSON: every model of the run with its weights, row and curve (see module doc)."""
  # The page draws the input plane: models of data sets with other input dimensions are left out.
  results = run.results[[run.instances(d)[0].x_train.shape[1] == 2 for d in run.results["dataset"]]]
  if results.empty:
    raise ValueError(f"--workdir {str(run.workdir)!r}: no model of this run has 2-D input; the views "
                     "draw the input plane")
  columns = [c for c in FIRST_COLUMNS if c in results]
  columns += [c for c in results.columns if c not in HIDDEN_COLUMNS and c not in columns]
  steps, curves = _curves(run)
  keys = list(dict.fromkeys(zip(results["dataset"], results["seed"].astype(int))))
  instances, truths = _instances(run, keys)
  models, initial_index = [], 0
  for _, row in results.iterrows():
    if not run.has_weights(row):
      raise ValueError(f"unit {row['unit']} has no saved weights (made by an older version); rerun the study")
    net = run.net(row)
    models.append(dict(
        dataset=row["dataset"], activation=row["activation"], width=int(row["width"]),
        depth=int(row["depth"]), lr=float(row["lr"]), seed=int(row["seed"]), out=int(net.kernels[-1].shape[1]),
        acts=[[a.name, float(f"{s:.9g}")] for a, s in zip(net.activations, net.slopes)], w=_weights(net),
        row=[_value(row[c]) for c in columns], curve=curves.get((row["unit"], int(row["model_index"])), {}),
        instance=f"{row['dataset']}/{int(row['seed'])}"))
    if initial is not None and (row["dataset"], int(row["width"]), int(row["depth"]), float(row["lr"]),
                                int(row["seed"]), row["activation"]) == (
        initial.dataset, initial.width, initial.depth, initial.lr, initial.seed, initial.activations[0]):
      initial_index = len(models) - 1
  return dict(title=str(run.config.get("study", "")), resolution=RESOLUTION, show_regions=True,
              columns=columns, curve_steps=steps, instances=instances, truths=truths, models=models,
              initial=initial_index)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Explorer: {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.2em; color: #222; max-width: 1060px; }}
#controls label {{ margin-right: 1em; font-size: 0.95em; }}
#main {{ display: flex; gap: 1.4em; align-items: flex-start; margin-top: 0.8em; }}
#plane {{ width: 450px; height: 450px; border: 1px solid #999; }}
#metrics {{ border-collapse: collapse; font-size: 0.8em; }}
#metrics th {{ text-align: left; font-weight: normal; color: #555; padding: 0 0.8em 0 0; }}
#metrics td {{ font-variant-numeric: tabular-nums; }}
#selected {{ font-weight: bold; margin-bottom: 0.4em; }}
.note {{ font-size: 0.85em; color: #555; }}
.metric-box {{ columns: 2; column-gap: 1.5em; }}
</style></head><body>
<h1>Explorer: {title}</h1>
<p class="note">{count} models of {workdir}. Every picture is computed in this page from the model's
saved weights (float32, as trained). Shading: predicted class (blue class 0, red class 1); black:
decision boundary; green: true class boundary; dots: training points.</p>
<div id="controls">
<label>data set <select id="sel-dataset"></select></label>
<label>activation <select id="sel-activation"></select></label>
<label>architecture <select id="sel-architecture"></select></label>
<label>learning rate <select id="sel-lr"></select></label>
<label>seed <select id="sel-seed"></select></label>
</div>
<div id="main">
<div><canvas id="plane"></canvas>
<p class="note" id="regions-note"></p>
<p class="note">predicted area: <span id="class-fractions"></span></p></div>
<div><div id="selected"></div>
<svg id="curve" width="520" height="150" role="img" aria-label="training curve"></svg>
<div class="metric-box"><table id="metrics"></table></div></div>
</div>
<script id="explorer-data" type="application/json">{data}</script>
<script>{script}</script>
</body></html>
"""


def write_explorer(run: Run, path: str | Path, initial: Selection | None = None) -> Path:
  """Writes the explorer page of `run` to `path` (atomically); returns the path."""
  data = explorer_data(run, initial)
  # Inside <script>, "</" would end the block early; JSON allows the escaped form.
  text = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
  script = (Path(__file__).with_name("explorer.js")).read_text()
  left_out = len(run.results) - len(data["models"])
  count = str(len(data["models"]))
  if left_out:
    count += f" (of {len(run.results)}: {left_out} without 2-D input left out)"
  page = PAGE.format(title=html.escape(data["title"] or "run"), count=count,
                     workdir=html.escape(str(run.workdir)), data=text, script=script)
  path = Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  atomic_write_text(path, page)
  return path


def read_explorer_data(path: str | Path) -> dict:
  """The JSON block of an explorer page (for tests and tools)."""
  text = Path(path).read_text()
  start = text.index('<script id="explorer-data" type="application/json">')
  start = text.index(">", start) + 1
  return json.loads(text[start:text.index("</script>", start)])

