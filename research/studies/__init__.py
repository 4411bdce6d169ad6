"""The studies: every module here that defines `STUDY = Study(...)` is one, found by name.

Adding a study is adding one module (here, or in a folder passed as `extra_dirs`) and its config
file; nothing else lists the studies. Modules without `STUDY` (e.g. fit.py) are helpers.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from pathlib import Path
from typing import Iterable

from research.study import Study


def _load_file(path: Path):
  spec = importlib.util.spec_from_file_location(f"_research_study_{path.stem}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def discover(extra_dirs: Iterable[str | Path] = ()) -> dict[str, Study]:
  """Every study in research/studies/ and in `extra_dirs`, by name, in summary-page order."""
  modules = [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)]
  for directory in map(Path, extra_dirs):
    if not directory.is_dir():
      raise ValueError(f"study directory {str(directory)!r} does not exist")
    modules += [_load_file(p) for p in sorted(directory.glob("*.py")) if not p.name.startswith("_")]
  found: dict[str, Study] = {}
  for module in modules:
    study = getattr(module, "STUDY", None)
    if not isinstance(study, Study):
      continue
    if study.name in found:
      raise ValueError(f"study name {study.name!r} is defined twice (second in {module.__file__})")
    found[study.name] = study
  return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def get_study(name: str, extra_dirs: Iterable[str | Path] = ()) -> Study:
  """The study called `name`; raises ValueError listing the valid names."""
  studies = discover(extra_dirs)
  if name not in studies:
    raise ValueError(f"unknown study {name!r}; valid studies: {', '.join(studies)}")
  return studies[name]
