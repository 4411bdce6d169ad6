"""What the study test files share: each registered study's quick config run once per test process
(lazily, on first use), the golden tables they are compared with, and the split of the studies
over two test files.

The quick runs are most of the suite's time. `pytest -n 2 --dist loadfile` gives each file to one
worker, so the studies are split over tests/test_studies.py (FIRST_FILE) and
tests/test_studies_quick.py (every other discovered study, a new one included without editing
anything): both workers then run quick runs side by side. Each file asks only for its own studies,
so no study runs twice.
"""

import platform
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research import studies
from helpers import ROOT, run_modules



def platform_key() -> str:
  """The machine and the widest x86 vector extension XLA compiles for: "x86_64-avx512f" and so on.

  Training over hundreds of steps amplifies float rounding, and XLA's CPU code rounds differently
  with AVX-512 than with AVX2 (other reduction widths, other FMA contractions): the same quick run
  measured a test loss 2.4e-4 apart (relative) and one boundary length 7% apart on an AMD EPYC
  (AVX2) and on the Intel Sapphire Rapids (AVX-512) the goldens were first made on. So golden
  tables are snapshots of one instruction set and are kept per platform.
  """
  flags: set[str] = set()
  try:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
      if line.startswith("flags"):
        flags = set(line.split(":", 1)[1].split())
        break
  except OSError:
    pass
  isa = next((f for f in ("avx512f", "avx2") if f in flags), "")
  return "-".join(filter(None, [platform.machine().lower(), isa]))


GOLDEN_ROOT = ROOT / "tests" / "golden"
GOLDEN = GOLDEN_ROOT / platform_key()
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


def _pairs(name: str):
  """(golden file, file of the run) of each of the study's golden tables."""
  return [pair if isinstance(pair, tuple) else (pair, pair) for pair in TABLES[name]]


def check_golden_tables(runs: QuickRuns, name: str) -> None:
  if not GOLDEN.is_dir():
    pytest.skip(f"no golden tables for this platform ({GOLDEN.name}; kept: "
                f"{', '.join(sorted(p.name for p in GOLDEN_ROOT.iterdir() if p.is_dir()))}); "
                f"record them with `python tests/record_goldens.py` (tests/golden/README.md)")
  workdir, _ = runs[name]
  for golden, new in _pairs(name):
    assert_same_table(pd.read_csv(GOLDEN / name / golden), pd.read_csv(workdir / new), f"{name}/{new}")


def record_golden_tables(runs: QuickRuns, names, into: Path) -> list[Path]:
  """Copies each study's golden tables from its quick run into `into`/NAME; the files written."""
  written = []
  for name in names:
    workdir, out = runs[name]
    assert out.returncode == 0, (name, out.stderr[-3000:])
    for golden, new in _pairs(name):
      target = into / name / golden
      target.parent.mkdir(parents=True, exist_ok=True)
      shutil.copyfile(workdir / new, target)
      written.append(target)
  return written


def check_hypotheses_reported(runs: QuickRuns, names: list[str]) -> None:
  """Every hypothesis of these studies is evaluated in its study's report."""
  from research.hypotheses import discover
  for h in discover().values():
    if h.study in names:
      assert f"`{h.name}`" in (runs[h.study][0] / "report.md").read_text(), h.name
