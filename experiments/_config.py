"""Study config files and their command-line overrides, for the entry points (experiments/_entry.py).

`load_config` reads a config file (path[:variant]) and checks it against the study's default
schema; `split_overrides` and `apply_overrides` take `--config.FIELD=VALUE` apart and apply it
with the field's type, close matches for a misspelt key and the valid keys at its level;
`study_config` does both. Errors are ValueError with one line; the entry point prints it.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def resolve(path: str) -> Path:
  p = Path(path)
  if not p.exists() and not p.is_absolute() and (ROOT / p).exists():
    return ROOT / p
  return p


def load_config(path_and_variant: str):
  """get_config(variant) of a config file given as path[:variant] (what --config takes); raises
  ValueError with one line naming the file for every way a file can be unusable."""
  import ml_collections
  text = str(path_and_variant)
  if not text.strip():
    raise ValueError("--config is empty: give a config file, e.g. --config configs/relu_vs_leaky.py:quick")
  path, _, variant = text.partition(":")
  p = resolve(path)
  if not p.is_file():
    why = "is a directory" if p.is_dir() else "does not exist"
    raise ValueError(f"config file {path!r} {why}")
  source = p.read_text(errors="replace")
  try:
    compile(source, str(p), "exec")
  except SyntaxError as e:
    raise ValueError(f"config file {path!r} has a syntax error at line {e.lineno}: {e.msg}") from None
  spec = importlib.util.spec_from_file_location(f"_config_{p.stem}", p)
  module = importlib.util.module_from_spec(spec)
  try:
    spec.loader.exec_module(module)
  except Exception as e:  # noqa: BLE001 - a user's file: say which and why, in one line
    raise ValueError(f"config file {path!r} failed to load: {type(e).__name__}: {e}") from None
  get_config = getattr(module, "get_config", None)
  if not callable(get_config):
    raise ValueError(f"config file {path!r} defines no get_config(arg) function")
  try:
    config = get_config(variant or None)
  except ValueError as e:  # configs.common.parse_arg: an unknown or ill-typed variant
    raise ValueError(f"config {text!r}: {e}") from None
  except Exception as e:  # noqa: BLE001
    raise ValueError(f"config file {path!r}: get_config({variant or None!r}) raised "
                     f"{type(e).__name__}: {e}") from None
  if not isinstance(config, ml_collections.ConfigDict):
    raise ValueError(f"config file {path!r}: get_config({variant or None!r}) returned "
                     f"{type(config).__name__} {config!r:.60}, not an ml_collections.ConfigDict")
  return config


def _derived_fields(path: str) -> set[str]:
  """Fields a config file sets to a reference of another (`c.a = c.get_ref("b")`)."""
  try:
    source = resolve(path.partition(":")[0]).read_text()
  except OSError:
    return set()
  return set(re.findall(r"^\s*c\.([\w.]+)\s*=\s*c[\w.]*\.get_ref\(", source, re.M))


def field_comments(*paths) -> dict[str, str]:
  """dotted field -> its one-line meaning, from `c.field = value  # comment` lines (or the comment
  block just above the assignment) of the config files."""
  out: dict[str, str] = {}
  for path in paths:
    try:
      lines = resolve(str(path)).read_text().splitlines()
    except OSError:
      continue
    block: list[str] = []
    for line in lines:
      stripped = line.strip()
      if stripped.startswith("#"):
        block.append(stripped.lstrip("# ").strip())
        continue
      m = re.match(r"c\.([\w.]+)\s*=([^#]*)(?:#\s*(.*))?$", stripped)
      if m and m.group(1) not in out:
        text = m.group(3) or " ".join(block)
        if text:
          out[m.group(1)] = text if len(text) <= 110 else text[:107].rstrip() + "..."
      block = []
  return out


def flatten(config, prefix: str = "") -> list[tuple[str, object]]:
  """(dotted key, value) of every leaf of a ConfigDict; empty groups as {}."""
  out = []
  for key in config.keys():
    value = config[key]
    dotted = f"{prefix}{key}"
    if hasattr(value, "keys") and hasattr(value, "items"):
      out += flatten(value, dotted + ".") if len(value) else [(dotted, {})]
    else:
      out.append((dotted, value))
  return out


def reference_config(study: str):
  """The default config of `study` (configs/<study>.py), the schema a user's config is checked
  against; None when there is no such file (a study from --studies_dir)."""
  path = ROOT / "configs" / f"{study}.py"
  return load_config(str(path)) if path.is_file() else None


def _parse_value(dotted: str, raw: str | None, current):
  """The value of an override, of the current value's type; ValueError (one line) otherwise."""
  from configs.common import FALSE, TRUE
  if raw is None:
    if isinstance(current, bool):
      return True
    raise ValueError(f"--config.{dotted} needs a value, e.g. --config.{dotted}={current!r}")
  if isinstance(current, bool):
    if raw.lower() in TRUE + FALSE:
      return raw.lower() in TRUE
    raise ValueError(f"--config.{dotted}={raw!r} is not a boolean; valid: {', '.join(TRUE + FALSE)}")
  if isinstance(current, int):
    try:
      return int(raw)
    except ValueError:
      try:
        as_float = float(raw)
      except ValueError:
        as_float = None
      if as_float is not None and as_float.is_integer() and abs(as_float) < 2**63:
        return int(as_float)  # 1e6
      raise ValueError(f"--config.{dotted}={raw!r} is not an integer (current value {current!r})") from None
  if isinstance(current, float):
    try:
      return float(raw)
    except ValueError:
      raise ValueError(f"--config.{dotted}={raw!r} is not a number (current value {current!r})") from None
  if isinstance(current, str):
    return raw
  try:
    value = ast.literal_eval(raw)
  except (ValueError, SyntaxError):
    if isinstance(current, (tuple, list)):
      if current and all(isinstance(v, str) for v in current) and "(" not in raw and "[" not in raw:
        return tuple(v.strip() for v in raw.split(",") if v.strip())  # --config.data.names=xor,moons
      raise ValueError(f"--config.{dotted}={raw!r} is not a Python literal list, e.g. "
                       f"--config.{dotted}='{tuple(current)!r}'") from None
    return raw
  if isinstance(current, (tuple, list)):
    if not isinstance(value, (tuple, list)):
      value = (value,)
    value = tuple(value)
    kinds = {type(v) for v in current}
    if current and kinds <= {str} and not all(isinstance(v, str) for v in value):
      raise ValueError(f"--config.{dotted}={raw!r}: elements must be strings (quote them), "
                       f"e.g. --config.{dotted}='{tuple(current)!r}'")
    if current and kinds <= {int, float} and not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
      raise ValueError(f"--config.{dotted}={raw!r}: elements must be numbers, e.g. "
                       f"--config.{dotted}='{tuple(current)!r}'")
  return value


def apply_overrides(config, overrides, derived: set[str] = frozenset()) -> None:
  """Applies --config.a.b=value overrides: unknown keys raise with the close matches and the
  valid keys at that level; data.params.<set>.<param> may create entries."""
  import ml_collections
  from research.validation import FREE_FIELDS, unknown_key
  for dotted, raw in overrides:
    parts = dotted.split(".")
    if not all(parts):
      raise ValueError(f"--config.{dotted}: empty field name")
    node, path = config, []
    for part in parts[:-1]:
      here = ".".join(path)
      free = any(here == f or here.startswith(f + ".") for f in FREE_FIELDS)
      if not (hasattr(node, "keys") and hasattr(node, "items")):
        raise ValueError(f"--config.{dotted}: config.{here} = {node!r} is a value, not a group of fields")
      if part not in node:
        if not free:
          raise ValueError(unknown_key(here, part, node.keys()))
        node[part] = ml_collections.ConfigDict()
      node, path = node[part], [*path, part]
    here, leaf = ".".join(path), parts[-1]
    free = any(here == f or here.startswith(f + ".") for f in FREE_FIELDS)
    if not (hasattr(node, "keys") and hasattr(node, "items")):
      raise ValueError(f"--config.{dotted}: config.{here} = {node!r} is a value, not a group of fields")
    if leaf not in node:
      if not free:
        raise ValueError(unknown_key(here, leaf, node.keys()))
      try:
        node[leaf] = ast.literal_eval(raw) if raw is not None else True
      except (ValueError, SyntaxError):
        node[leaf] = raw
      continue
    current = node[leaf]
    if hasattr(current, "keys") and hasattr(current, "items"):
      if dotted in FREE_FIELDS and raw is not None:
        try:
          value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
          value = None
        if not isinstance(value, dict):
          raise ValueError(f"--config.{dotted}={raw!r} is not a dict literal such as "
                           f"\"{{'spirals': {{'turns': 2.0}}}}\"; or set --config.{dotted}.<set>.<param>=value")
        node[leaf] = ml_collections.ConfigDict(value)
        continue
      raise ValueError(f"--config.{dotted} is a group of fields, not a value; set one of them: "
                       f"{', '.join(f'config.{dotted}.{k}' for k in sorted(current.keys()))}")
    value = _parse_value(dotted, raw, current)
    if dotted in derived:  # a reference to another field: this override sets only this field
      del node[leaf]
    try:
      node[leaf] = value
    except (TypeError, ValueError) as e:
      raise ValueError(f"--config.{dotted}={raw!r}: {e}") from None


def split_overrides(args: list[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
  """(--config.KEY[=VALUE] overrides, the other arguments)."""
  overrides, rest, i = [], [], 0
  while i < len(args):
    arg = args[i]
    m = re.match(r"^--?(no)?config\.(.*)$", arg)
    if arg == "--":
      rest += args[i:]
      break
    if not m:
      rest.append(arg)
      i += 1
      continue
    negate, body = m.group(1), m.group(2)
    key, eq, value = body.partition("=")
    if negate:
      if eq:
        raise ValueError(f"{arg!r}: --noconfig.KEY takes no value")
      overrides.append((key, "false"))
    elif eq:
      overrides.append((key, value))
    elif i + 1 < len(args) and not args[i + 1].startswith("--"):
      overrides.append((key, args[i + 1]))
      i += 1
    else:
      overrides.append((key, None))
    i += 1
  return overrides, rest


def study_config(spec: str, overrides, study_name: str | None = None):
  """The config of a study command: the file, checked against the study's schema (its default
  config's fields), then the overrides; locked. Raises ValueError (one line) on any problem."""
  from research.validation import check_fields
  config = load_config(spec)
  study = study_name or config.get("study")
  if not isinstance(study, str):
    raise ValueError(f"config file {spec!r} sets no config.study (the study's name)")
  if study_name is not None and config.get("study") != study_name:
    raise ValueError(f"config file {spec!r} is for study {config.get('study')!r}, not {study_name!r}: "
                     f"pass a {study_name} config")
  reference = reference_config(study)
  if reference is not None:
    check_fields(config, reference, f"config file {spec.partition(':')[0]!r}")
  apply_overrides(config, overrides, _derived_fields(spec))
  config.lock()
  return config
