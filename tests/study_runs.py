"""What the study test files share: each registered study's quick config run once per test process
(lazily, on first use), the golden tables they are compared with, and the split of the studies
over two test files.

The quick runs are most of the suite's time. `pytest -n 2 --dist loadfile` gives each file to one
worker, so the studies are split over tests/test_studies.py (FIRST_FILE) and
tests/test_studies_quick.py (every other discovered study, a new one included without editing
anything): both workers then run quick runs side by side. Each file asks only for its own studies,
so no study runs twice.
"""

import numpy as np
import pandas as pd

from research import studies
from helpers import ROOT, run_modules

GOLDEN = ROOT / "tests" / "golden"
# study -> (golden file, file of this run) pairs; activation_cost times the machine (no golden).
TABLES = {
    "relu_vs_leaky": ["results.csv", "checkpoints.csv", "curves.csv"],
    "narrow_nets": ["results.csv", "checkpoints.csv", "curves.csv"],
    "topology": ["results.csv", "kept_runs.csv", "betti_per_layer.csv", "topology_summary.csv",
                 "fit_summary.csv", "curves.csv"],
    "sparsity": ["results.csv", "layers.csv", "models.csv", "spearman.csv", "fit_summary.csv", "curves.csv"],
    "dying_relu": ["born_dead.csv", "trained/results.csv"],
    "linear_regions": [("results.csv", "regions.csv"), "lines.csv"],  # its old long table
    "theorems": ["plane_nets.csv", "stable.csv", "linking.csv"],
}
# The unit hash names the config (which lost fields in the move); timings vary run to run.
NOT_COMPARED = {"unit", "wall_time_s", "compile_time_s"}
KEYS = ["dataset", "activation", "width", "depth", "neurons", "lr", "seed", "step", "model_index",
        "layer", "cls", "dim", "init", "place", "over", "sparsity", "separability", "x0"]

# The studies whose quick runs tests/test_studies.py checks, chosen so that the two files' quick
# runs take about the same time (measured CPU seconds of each quick run, warm compilation cache:
# see the note at the end of this module). Every other study belongs to tests/test_studies_quick.py.
FIRST_FILE = ("topology", "sparsity", "narrow_nets", "activation_cost")


def file_studies(first: bool) -> list[str]:
  """The discovered studies one of the two files checks (first: tests/test_studies.py)."""
  names = list(studies.discover())
  return [n for n in names if (n in FIRST_FILE) == first]


def assert_same_table(golden: pd.DataFrame, new: pd.DataFrame, name: str) -> None:
  """Every golden column is in the new table with equal values (floats to 1e-4 relative)."""
  cols = [c for c in golden.columns if c not in NOT_COMPARED]
  assert set(cols) <= set(new.columns), (name, sorted(set(cols) - set(new.columns)))
  keys = [k for k in KEYS if k in cols]
  a = golden[cols].sort_values(keys).reset_index(drop=True)
  b = new[cols].sort_values(keys).reset_index(drop=True)
  assert len(a) == len(b), (name, len(a), len(b))
  for c in cols:
    if pd.api.types.is_numeric_dtype(a[c]) and pd.api.types.is_numeric_dtype(b[c]):
      np.testing.assert_allclose(b[c].to_numpy(float), a[c].to_numpy(float), rtol=1e-4, atol=1e-6,
                                 err_msg=f"{name}: {c}")
    else:
      assert (a[c].astype(str) == b[c].astype(str)).all(), (name, c)


class QuickRuns:
  """The `quick_runs` fixture (tests/conftest.py, one per test process): each study's quick config, run on first request as its command runs it (figures and report
  included), on one CPU device: the golden tables were made so (the device count changes float
  rounding in training)."""

  def __init__(self, root):
    self.root, self.outs = root, {}

  def _command(self, name: str) -> list[str]:
    return [f"experiments.{name}", "--config", f"configs/{name}.py:quick", "--workdir",
            str(self.root / name), "--noprogress", "--cpu_devices=1"]

  def run_all(self, names) -> None:
    """Runs those of `names` not run yet, one after another in one fresh interpreter: each
    through its command's main(argv), as `python -m experiments.NAME` runs it, without paying
    the imports of jax, the library and matplotlib once per study (3-4 s each)."""
    todo = [n for n in names if n not in self.outs]
    if todo:
      self.outs.update(zip(todo, run_modules([self._command(n) for n in todo])))

  def __getitem__(self, name: str):
    """(workdir, CompletedProcess) of the study's quick run."""
    self.run_all([name])
    return self.root / name, self.outs[name]


def check_quick_run(runs: QuickRuns, name: str) -> None:
  """The study's command ran to the end and wrote its report and summary."""
  workdir, out = runs[name]
  assert out.returncode == 0, out.stderr[-3000:]
  assert f"{name}: done in" in out.stdout and "report:" in out.stdout
  report = (workdir / "report.md").read_text()
  assert report.startswith(f"# Study: {name}") and "## Setting" in report and "## Caveats" in report
  assert (workdir / "summary.json").exists()


def check_golden_tables(runs: QuickRuns, name: str) -> None:
  workdir, _ = runs[name]
  for pair in TABLES[name]:
    golden, new = pair if isinstance(pair, tuple) else (pair, pair)
    assert_same_table(pd.read_csv(GOLDEN / name / golden), pd.read_csv(workdir / new), f"{name}/{new}")


def check_hypotheses_reported(runs: QuickRuns, names: list[str]) -> None:
  """Every hypothesis of these studies is evaluated in its study's report."""
  from research.hypotheses import discover
  for h in discover().values():
    if h.study in names:
      assert f"`{h.name}`" in (runs[h.study][0] / "report.md").read_text(), h.name
