"""Builds notebooks/tutorial.ipynb from notebooks/tutorial.py (the percent format jupytext reads).

  .venv/bin/python notebooks/build.py          # writes tutorial.ipynb next to tutorial.py

The .py file is the source (it diffs and reviews as code); the .ipynb is what GitHub shows and
Jupyter opens. The notebook is written without outputs and with fixed cell ids, so building twice
gives the same bytes; tests/test_notebook.py checks the committed one is this build of the .py.
Cells: `# %%` starts a code cell (`# %% tags=["parameters"]` one tagged for papermill-style
parameters), `# %% [markdown]` a markdown cell whose lines drop their leading '# '. In a code cell
a commented magic, `# %matplotlib inline`, becomes the magic (the .py still runs as a script).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
MARKER = re.compile(r"^# %%(?P<rest>.*)$")


def cells_of(source: str) -> list[dict]:
  """The cells of a percent-format script (its leading `# ---` metadata block is left out)."""
  lines = source.splitlines()
  if lines and lines[0] == "# ---":
    lines = lines[lines.index("# ---", 1) + 1:]
  cells, current = [], None
  for line in lines:
    m = MARKER.match(line)
    if m:
      rest = m["rest"].strip()
      kind = "markdown" if rest.startswith("[markdown]") else "code"
      tags = json.loads(rest.partition("tags=")[2]) if "tags=" in rest else []
      current = dict(kind=kind, tags=tags, lines=[])
      cells.append(current)
    elif current is not None:
      current["lines"].append(line)
    elif line.strip():
      raise ValueError(f"line {line!r} comes before the first '# %%' cell marker")
  out = []
  for n, cell in enumerate(cells):
    body = cell["lines"]
    while body and not body[-1].strip():
      body = body[:-1]
    while body and not body[0].strip():
      body = body[1:]
    if cell["kind"] == "markdown":
      bad = [l for l in body if l and not l.startswith("#")]
      if bad:
        raise ValueError(f"markdown cell {n}: line {bad[0]!r} does not start with '#'")
      text = "\n".join(re.sub(r"^# ?", "", l) for l in body)
      new = nbformat.v4.new_markdown_cell(text)
    else:
      # A commented magic ('# %matplotlib inline') is a magic in the notebook, as jupytext does.
      new = nbformat.v4.new_code_cell("\n".join(re.sub(r"^# (%[A-Za-z])", r"\1", l) for l in body))
      if cell["tags"]:
        new.metadata["tags"] = cell["tags"]
    new["id"] = f"cell-{n:02d}"  # fixed ids: the same source builds the same file
    out.append(new)
  return out


def build(source_path: Path = HERE / "tutorial.py") -> nbformat.NotebookNode:
  """The notebook of a percent-format script, without outputs."""
  nb = nbformat.v4.new_notebook()
  nb.cells = cells_of(Path(source_path).read_text())
  nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                 "language_info": {"name": "python"}}
  nbformat.validate(nb)
  return nb


def text_of(nb: nbformat.NotebookNode) -> str:
  return nbformat.writes(nb) + "\n"


if __name__ == "__main__":
  source = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "tutorial.py"
  target = source.with_suffix(".ipynb")
  target.write_text(text_of(build(source)))
  print(f"wrote {target}")
