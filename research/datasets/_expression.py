"""A safe arithmetic expression in x and y, parsed with `ast` and evaluated with numpy.

Used by the boundary data set (boundary.py): the class of a point is the sign of a user's
expression, so the expression comes from a config file or a command line and must never run as
code. Nothing is passed to `eval` or `compile`: the text is parsed to an `ast` tree, every node is
checked against a whitelist (numbers, x, y, pi, e, + - * / **, unary minus and plus, parentheses,
calls of the functions in FUNCTIONS), and the tree is then walked with numpy on float64 arrays.
The exponent of `**` must be a number in [-MAX_EXPONENT, MAX_EXPONENT] (so `9**9**9` cannot
ask for a huge power), and the text and tree have size limits (a deeply nested text would otherwise
exhaust the parser). Anything else raises ValueError in one line naming the bad token and the
allowed ones.
"""

from __future__ import annotations

import ast
from typing import Callable

import numpy as np

# name -> (numpy function, number of arguments)
FUNCTIONS: dict[str, tuple[Callable, int]] = {
    "abs": (np.abs, 1), "sin": (np.sin, 1), "cos": (np.cos, 1), "tan": (np.tan, 1),
    "arcsin": (np.arcsin, 1), "arccos": (np.arccos, 1), "arctan": (np.arctan, 1),
    "sinh": (np.sinh, 1), "cosh": (np.cosh, 1), "tanh": (np.tanh, 1),
    "exp": (np.exp, 1), "log": (np.log, 1), "sqrt": (np.sqrt, 1), "sign": (np.sign, 1),
    "floor": (np.floor, 1), "ceil": (np.ceil, 1),
    "min": (np.minimum, 2), "max": (np.maximum, 2), "hypot": (np.hypot, 2),
    "arctan2": (np.arctan2, 2),
}
CONSTANTS = {"pi": np.pi, "e": np.e}
VARIABLES = ("x", "y")
MAX_EXPONENT = 16
MAX_LENGTH = 500  # characters
MAX_NODES = 400  # ast nodes

_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
           ast.Pow: np.power}
_UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}

ALLOWED = (f"allowed: numbers, {', '.join(VARIABLES)}, {', '.join(CONSTANTS)}, + - * / ** (exponent a "
           f"number in [-{MAX_EXPONENT}, {MAX_EXPONENT}]), unary -, parentheses and the functions "
           + ", ".join(f"{n}({', '.join('ab'[:k])})" if k > 1 else n for n, (_, k) in FUNCTIONS.items()))


def _number(node: ast.AST) -> float | None:
  """The value of a number literal, optionally signed (`2`, `-0.5`); None for anything else."""
  if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
    inner = _number(node.operand)
    return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
  if (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
      and not isinstance(node.value, bool)):
    try:
      return float(node.value)
    except OverflowError:  # an integer literal beyond float range
      return float("inf")
  return None


def _describe(node: ast.AST, text: str) -> str:
  """What a disallowed node is, with its text: "name 'os'", "attribute '.__class__'", ..."""
  segment = ast.get_source_segment(text, node) or type(node).__name__
  if isinstance(node, ast.Name):
    return f"name {node.id!r}"
  if isinstance(node, ast.Attribute):
    return f"attribute access {'.' + node.attr!r}"
  if isinstance(node, ast.Constant):
    kind = "string" if isinstance(node.value, (str, bytes)) else "constant"
    return f"{kind} {segment!r}"
  if isinstance(node, ast.Lambda):
    return f"lambda {segment!r}"
  if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp,
                       ast.DictComp, ast.GeneratorExp)):
    return f"{type(node).__name__.lower()} {segment!r}"
  if isinstance(node, ast.Subscript):
    return f"subscript {segment!r}"
  if isinstance(node, (ast.BinOp, ast.UnaryOp)):
    op = node.op
    return f"operator {type(op).__name__} in {segment!r}"
  return f"{type(node).__name__} {segment!r}"


def _check(node: ast.AST, text: str, field: str) -> None:
  """Raises ValueError at the first node outside the whitelist."""
  bad = lambda what: ValueError(f"{field} {text!r}: {what} is not allowed; {ALLOWED}")
  if isinstance(node, ast.Expression):
    return _check(node.body, text, field)
  if isinstance(node, ast.Constant):
    value = _number(node)
    if value is None:
      raise bad(_describe(node, text))
    if not np.isfinite(value):
      raise bad(f"number {ast.get_source_segment(text, node)!r} (beyond float range)")
    return None
  if isinstance(node, ast.Name):
    if node.id not in VARIABLES and node.id not in CONSTANTS:
      raise bad(_describe(node, text))
    return None
  if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
    return _check(node.operand, text, field)
  if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
    if isinstance(node.op, ast.Pow):
      exponent = _number(node.right)
      if exponent is None or not abs(exponent) <= MAX_EXPONENT:
        raise bad(f"exponent {ast.get_source_segment(text, node.right)!r} of '**'")
    _check(node.left, text, field)
    return _check(node.right, text, field)
  if isinstance(node, ast.Call):
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name not in FUNCTIONS:
      what = f"function {name!r}" if name else f"calling {ast.get_source_segment(text, node.func)!r}"
      raise bad(what)
    arity = FUNCTIONS[name][1]
    if node.keywords or len(node.args) != arity or any(isinstance(a, ast.Starred) for a in node.args):
      raise bad(f"call {ast.get_source_segment(text, node)!r} ({name} takes {arity} "
                f"argument{'s' if arity > 1 else ''}, no keywords)")
    for arg in node.args:
      _check(arg, text, field)
    return None
  raise bad(_describe(node, text))


def _evaluate(node: ast.AST, x: np.ndarray, y: np.ndarray) -> np.ndarray:
  if isinstance(node, ast.Constant):
    return np.full(np.shape(x), float(node.value))
  if isinstance(node, ast.Name):
    value = {"x": x, "y": y}.get(node.id)
    return np.full(np.shape(x), CONSTANTS[node.id]) if value is None else value
  if isinstance(node, ast.UnaryOp):
    return _UNARY[type(node.op)](_evaluate(node.operand, x, y))
  if isinstance(node, ast.BinOp):
    return _BINARY[type(node.op)](_evaluate(node.left, x, y), _evaluate(node.right, x, y))
  fn, _ = FUNCTIONS[node.func.id]  # an ast.Call: _check allowed nothing else
  return fn(*(_evaluate(a, x, y) for a in node.args))


def parse_expression(text, field: str = "expression") -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
  """f(x, y) -> float64 array of the expression; raises ValueError (one line) on unsafe input.

  Values may be inf or NaN where the expression is undefined (log of a negative number); the
  caller decides whether that is allowed (numpy warnings are silenced).
  """
  if not isinstance(text, str) or not text.strip():
    raise ValueError(f"{field} must be a non-empty string such as 'x**2 + y**2 - 0.5' or "
                     f"'sin(3*x) - y', got {text!r}")
  if len(text) > MAX_LENGTH:
    raise ValueError(f"{field} has {len(text)} characters; at most {MAX_LENGTH} are allowed")
  try:
    tree = ast.parse(text.strip(), mode="eval")
  except SyntaxError as e:
    raise ValueError(f"{field} {text!r} is not an expression (syntax error at column "
                     f"{e.offset}); {ALLOWED}") from None
  except (RecursionError, MemoryError, ValueError):  # nesting deeper than the parser allows; NUL
    raise ValueError(f"{field} {text!r} cannot be parsed (too deeply nested or a NUL byte)") from None
  nodes = sum(1 for _ in ast.walk(tree))
  if nodes > MAX_NODES:
    raise ValueError(f"{field} has {nodes} syntax nodes; at most {MAX_NODES} are allowed")
  _check(tree, text.strip(), field)
  body = tree.body

  def f(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x, y = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
    with np.errstate(all="ignore"):
      return np.asarray(_evaluate(body, x, y), np.float64)

  return f
