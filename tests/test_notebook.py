"""notebooks/tutorial.ipynb: the committed notebook is the build of tutorial.py, has no outputs, and
runs from top to bottom (on the small setting, TUTORIAL_SMALL=1) in a real Jupyter kernel."""

import importlib.util
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
VERDICTS = ("SUPPORTED", "SMALLER THAN CLAIMED", "REFUTED", "INCONCLUSIVE")


def _build_module():
  spec = importlib.util.spec_from_file_location("notebook_build", NOTEBOOKS / "build.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def test_the_committed_notebook_is_the_build_of_the_script_and_has_no_outputs():
  build = _build_module()
  committed = (NOTEBOOKS / "tutorial.ipynb").read_text()
  assert committed == build.text_of(build.build(NOTEBOOKS / "tutorial.py")), \
      "notebooks/tutorial.ipynb is stale: run .venv/bin/python notebooks/build.py"
  nb = nbformat.reads(committed, as_version=4)
  code = [c for c in nb.cells if c.cell_type == "code"]
  assert all(c.outputs == [] and c.execution_count is None for c in code)
  assert 10 <= len(code) <= 14  # "about a dozen cells"
  assert any("parameters" in c.metadata.get("tags", []) for c in code)


def test_the_builder_reads_the_percent_format():
  build = _build_module()
  cells = build.cells_of("# %% [markdown]\n# # Title\n#\n# text\n\n# %% tags=[\"parameters\"]\nx = 1\n\n\n# %%\ny = x\n")
  assert [(c.cell_type, c.source) for c in cells] == [("markdown", "# Title\n\ntext"), ("code", "x = 1"),
                                                     ("code", "y = x")]
  assert cells[1].metadata["tags"] == ["parameters"]
  assert build.cells_of("# %%\n# %matplotlib inline\n# a comment\n")[0].source == "%matplotlib inline\n# a comment"
  with pytest.raises(ValueError, match="does not start with '#'"):
    build.cells_of("# %% [markdown]\nnot a comment\n")


def test_the_tutorial_runs_in_a_kernel(tmp_path, monkeypatch):
  monkeypatch.setenv("TUTORIAL_SMALL", "1")
  nb = nbformat.read(NOTEBOOKS / "tutorial.ipynb", as_version=4)
  client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                   resources={"metadata": {"path": str(tmp_path)}})
  client.execute()  # raises CellExecutionError naming the cell on any error
  outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
  assert not [o for o in outputs if o.output_type == "error"]
  # Every figure cell shows its figure (the inline backend survives research.api's import).
  images = [o for o in outputs if "image/png" in o.get("data", {})]
  # the data, boundaries, regions, hidden units and curves, each shown once
  assert len(images) == 5, [o.get("data", {}).keys() for o in outputs]
  text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
  assert re.search(r"Models\(6 models: data spirals; activations relu, leaky_relu:0.01", text)
  verdicts = re.findall(r"^(?:relu_more_dead_units -> )?(%s) \(supported in" % "|".join(VERDICTS), text, re.M)
  assert len(verdicts) == 2 and verdicts[0] == verdicts[1]  # the file gives the same verdict
  assert (tmp_path / "my_hypotheses" / "relu_more_dead_units.py").exists()
