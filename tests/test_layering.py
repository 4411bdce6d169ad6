"""How the library is layered: no import circles, nothing in research/ exits or launches an entry
point, no module over 400 lines, computing modules free of plotting libraries."""

import ast
import re

import pytest

from helpers import ROOT

RESEARCH = ROOT / "research"
MODULES = sorted(RESEARCH.rglob("*.py"))


def module_name(path) -> str:
  parts = path.relative_to(ROOT).with_suffix("").parts
  return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path) -> set[str]:
  """research.* modules imported at module level (imports inside functions are deferred)."""
  tree = ast.parse(path.read_text())
  names = set()
  for node in tree.body:
    if isinstance(node, ast.Import):
      names |= {a.name for a in node.names}
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
      names.add(node.module)
      names |= {f"{node.module}.{a.name}" for a in node.names}
  known = {module_name(p) for p in MODULES}
  return {n for n in names if n in known}


def import_graph() -> dict[str, set[str]]:
  return {module_name(p): top_level_imports(p) - {module_name(p)} for p in MODULES}


def find_cycle(graph):
  state, stack = {}, []

  def visit(node):
    state[node] = "open"
    stack.append(node)
    for nxt in sorted(graph.get(node, ())):
      if state.get(nxt) == "open":
        return stack[stack.index(nxt):] + [nxt]
      if nxt not in state and (cycle := visit(nxt)):
        return cycle
    stack.pop()
    state[node] = "done"
    return None

  for node in sorted(graph):
    if node not in state and (cycle := visit(node)):
      return cycle
  return None


def test_no_import_circles():
  # A package imports its parent package implicitly; only edges between distinct modules count,
  # and a package __init__ importing its own submodules is not a circle through the package.
  graph = import_graph()
  for mod, deps in graph.items():
    graph[mod] = {d for d in deps if not mod.startswith(d + ".")}
  assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_find_cycle_finds_one():
  assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
  assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_library_never_exits_or_reaches_up_into_entry_points_or_configs(path):
  text = path.read_text()
  assert not re.search(r"sys\.exit\(|import_module\(\s*f?[\"']configs", text), path
  for node in ast.walk(ast.parse(text)):  # at any level, deferred imports included
    if isinstance(node, ast.Import):
      assert not any(a.name.split(".")[0] in ("configs", "experiments") for a in node.names), path
    elif isinstance(node, ast.ImportFrom) and node.module:
      assert node.module.split(".")[0] not in ("configs", "experiments"), path
  if "subprocess" in text:  # provenance asks git for the commit; nothing else runs a process
    assert path.name == "provenance.py", path


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_are_small(path):
  assert len(path.read_text().splitlines()) <= 400


# Plotting modules: research/figures/ and the views that draw (the views' loading and net modules
# compute, and a run with draw=False imports none of the drawing ones).
DRAWING_VIEWS = {"animation.py", "drawing.py", "hidden_units.py"}
COMPUTING = [p for p in MODULES if "figures" not in p.parts
             and not ("views" in p.parts and p.name in DRAWING_VIEWS)]


@pytest.mark.parametrize("path", COMPUTING, ids=lambda p: str(p.relative_to(ROOT)))
def test_computing_modules_import_no_plotting_library_at_module_level(path):
  tree = ast.parse(path.read_text())
  for node in tree.body:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
      names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
      assert not any(re.match(r"(matplotlib|seaborn|research\.figures)", n) for n in names), path


def test_metrics_depend_on_models_not_on_the_engine():
  graph = import_graph()
  for mod, deps in graph.items():
    if mod.startswith("research.metrics"):
      assert "research.train" not in deps and "research.sweep" not in deps, mod
