"""Figures drawn once per input: a rerun of a finished run reuses them instead of redrawing.

Drawing is the slow part of a finished run's rerun (tens of seconds of matplotlib for a default
run), and a figure is a function of its inputs: the files in the workdir it reads, the config and
the code that draws it. The key hashes all three:

- every table and record in the workdir and its subfolders (`*.csv`, `*.json`; a unit's record
  carries the SHA-256 of its arrays, so the arrays are covered without reading them), except the
  run's outputs (reports, summary.json, this cache) and the folders the figures were drawn into;
- the config;
- the source of the modules that draw: those of research/figures/ and research/views/ that the
  drawing loaded (recorded when it ran, so that editing one study's figure module does not redraw
  every other study's figures; a new import shows up as an edit of a recorded module), and the
  module that defines the study's figures hook (the study module, research/study_report.py for
  the training studies). The report template and the runner are not part of it: the report is
  written afresh on every run from the figures' files and captions.

The key, the code files and the hook's Figure list are stored in <workdir>/figures.json (written
atomically, after the figures); a run reuses the list when the key matches and every listed file
still exists.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
from pathlib import Path
from typing import Callable, Iterable

from research.report import Figure, as_figure
from research.store import LOCK_NAME, MARKER, atomic_write_json

CACHE_NAME = "figures.json"
# Files a run writes after its figures (or about the run, not its data): never part of the key.
OUTPUTS = {CACHE_NAME, "report.md", "report.html", "summary.json", "config.json", LOCK_NAME, MARKER}
INPUT_SUFFIXES = (".csv", ".json")
CODE_DIRS = ("figures", "views")


def _research_root() -> Path:
  return Path(__file__).parent


def hook_files(hooks: Iterable[Callable]) -> set[Path]:
  """The source files of the drawing hooks (the study module, or research/study_report.py)."""
  files = set()
  for hook in hooks:
    try:
      files.add(Path(inspect.getsourcefile(hook)))
    except TypeError:  # a builtin or a callable without a source file
      continue
  return files


def _relative_code(path: Path) -> str:
  """A code file relative to research/ (the cache survives moving the checkout)."""
  root = _research_root()
  return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def loaded_drawing_files() -> set[Path]:
  """The modules of research/figures/ and research/views/ this process has imported."""
  prefixes = tuple(f"research.{name}" for name in CODE_DIRS)
  out = set()
  for name, module in list(sys.modules.items()):
    if name.startswith(prefixes) and getattr(module, "__file__", None):
      out.add(Path(module.__file__))
  return out


def input_files(workdir: Path, skip_dirs: Iterable[Path] = ()) -> list[Path]:
  """The workdir's tables and records, outputs and figure folders left out."""
  workdir = Path(workdir)
  skip = {Path(d).resolve() for d in skip_dirs}
  out = []
  for f in sorted(workdir.rglob("*")):
    if not f.is_file() or f.suffix not in INPUT_SUFFIXES or f.name.startswith("."):
      continue
    if f.name in OUTPUTS:  # at any depth: a sweep in a subfolder writes its own config.json
      continue
    if any(parent in skip for parent in f.resolve().parents):
      continue
    out.append(f)
  return out


def figures_key(workdir: Path, config_dict: dict, code: Iterable[Path],
                skip_dirs: Iterable[Path] = ()) -> str:
  """SHA-256 of the figures' inputs: workdir tables and records, config, drawing code (a code
  file that no longer exists counts as changed)."""
  workdir = Path(workdir)
  digest = hashlib.sha256()
  digest.update(json.dumps(config_dict, sort_keys=True, default=str).encode() + b"\0")
  for f in sorted(set(map(Path, code))):
    digest.update(f"code {_relative_code(f)}\0".encode() + (f.read_bytes() if f.is_file() else b"<missing>") + b"\0")
  for f in input_files(workdir, skip_dirs):
    digest.update(f"data {f.relative_to(workdir)}\0".encode() + f.read_bytes() + b"\0")
  return digest.hexdigest()


def _figure_dirs(workdir: Path, figures: list[Figure]) -> set[Path]:
  """The folders figures were drawn into (the workdir itself never counts: it holds the data)."""
  workdir = Path(workdir).resolve()
  return {Path(f.path).resolve().parent for f in figures
          if Path(f.path).resolve().parent != workdir}


def _load(workdir: Path) -> dict | None:
  try:
    stored = json.loads((Path(workdir) / CACHE_NAME).read_text())
    return stored if isinstance(stored, dict) and "key" in stored else None
  except (OSError, ValueError):
    return None


def _stored_figures(workdir: Path, stored: dict) -> list[Figure] | None:
  try:
    figures = [Figure(Path(workdir) / f["path"], f["caption"], bool(f.get("caption_from_name")))
               for f in stored["figures"]]
  except (KeyError, TypeError):
    return None
  return figures if all(f.path.is_file() for f in figures) else None


def draw_cached(workdir: Path, config_dict: dict, draw: Callable[[], list], hooks: Iterable[Callable]
                ) -> tuple[list[Figure], bool]:
  """(the figures, reused?): the stored list when its inputs are unchanged, else draw() afresh."""
  workdir = Path(workdir)
  hooks = list(hooks)
  stored = _load(workdir)
  previous = _stored_figures(workdir, stored) if stored else None
  if previous is not None and isinstance(stored.get("code"), list):
    code = hook_files(hooks) | {_research_root() / f for f in stored["code"]}
    if stored["key"] == figures_key(workdir, config_dict, code, _figure_dirs(workdir, previous)):
      return previous, True
  figures = [as_figure(item) for item in draw() if item is not None]
  # The key is recomputed with the folders just drawn into left out, so that the next run, which
  # leaves out the same folders, can match it, and with the drawing modules this run loaded.
  code = hook_files(hooks) | loaded_drawing_files()
  key = figures_key(workdir, config_dict, code, _figure_dirs(workdir, figures))
  records = []
  for f in figures:
    path = Path(f.path)
    rel = path.resolve().relative_to(workdir.resolve()) if path.resolve().is_relative_to(workdir.resolve()) else path
    records.append(dict(path=str(rel), caption=f.caption, caption_from_name=f.caption_from_name))
  atomic_write_json(workdir / CACHE_NAME, dict(key=key, figures=records,
                                                code=sorted(map(_relative_code, code))))
  return figures, False
