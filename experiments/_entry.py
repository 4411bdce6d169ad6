"""What every `python -m experiments.NAME` shares: absl's app.run, the flags, config files and
their overrides, --help, one-line errors and exit statuses. The library (research/) raises and
returns; only this layer exits.

Exit statuses: 0 done (and --help, -h, -?, --helpshort, --helpfull); 1 some units failed
(recorded, the others ran; a rerun retries them); 2 bad input (one line on stderr naming the
field or file, the value and the valid choices; nothing computed or written).

Every call of an entry point's `main(argv)` defines its flags on a fresh absl FlagValues and
runs through `absl.app.run(main, argv, flags_parser=...)`, so several entry points can run in
one process (the tests do). absl's own --help exits 1 and knows neither -h nor the config; the
help here exits 0 and lists the config's fields with their values and meanings.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import re
import sys
from pathlib import Path
from typing import Callable

from absl import app, flags

from experiments._signals import ends_cleanly

USAGE_ERROR = 2
ROOT = Path(__file__).resolve().parents[1]
HELP_FLAGS = {"--help": "help", "-help": "help", "-h": "help", "-?": "help", "--helpshort": "short",
              "-helpshort": "short", "--helpfull": "full", "-helpfull": "full"}


def usage_error(message) -> None:
  """Ends the command: one line on stderr, exit status 2."""
  text = " ".join(str(message).split()) if str(message).strip() else repr(message)
  print(f"error: {text}", file=sys.stderr)
  sys.exit(USAGE_ERROR)


@dataclasses.dataclass
class Args:
  """What the flags parser hands to main: the parsed flags and the --config.* overrides."""

  flags: flags.FlagValues
  overrides: list[tuple[str, str | None]]


# ----------------------------------------------------------------------------- config files

def _resolve(path: str) -> Path:
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
  p = _resolve(path)
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
    source = _resolve(path.partition(":")[0]).read_text()
  except OSError:
    return set()
  return set(re.findall(r"^\s*c\.([\w.]+)\s*=\s*c[\w.]*\.get_ref\(", source, re.M))


def field_comments(*paths) -> dict[str, str]:
  """dotted field -> its one-line meaning, from `c.field = value  # comment` lines (or the comment
  block just above the assignment) of the config files."""
  out: dict[str, str] = {}
  for path in paths:
    try:
      lines = _resolve(str(path)).read_text().splitlines()
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


# ----------------------------------------------------------------------------- flags and help

def define_common_flags(fv: flags.FlagValues) -> None:
  flags.DEFINE_string("cpu_devices", "cores", "XLA CPU devices: 'cores' (one per core; the engine "
                      "shards its models over them, see BENCHMARKS.md), 'default' (JAX's one device) "
                      "or a number. Ignored on GPUs and when XLA_FLAGS sets a host device count.",
                      flag_values=fv)


def require(fv: flags.FlagValues, name: str, what: str) -> None:
  """A flag that must be given and not empty (absl's required=True accepts --name=)."""
  flags.register_validator(name, lambda v: v is not None and str(v).strip() != "",
                           message=f"give --{name}={what.split()[0].upper()} ({what}); it is "
                           "missing or empty", flag_values=fv)


def define_study_flags(fv: flags.FlagValues, default_config: str | None) -> None:
  """--config (path[:variant]; --config.field=value overrides), --workdir and the run flags."""
  flags.DEFINE_string("config", default_config, "Study config file, path[:variant] (e.g. "
                      ":quick); override fields with --config.FIELD=VALUE.", flag_values=fv)
  flags.DEFINE_string("workdir", None, "Folder for results, figures and the report.", flag_values=fv)
  require(fv, "workdir", "dir for results, figures and the report")
  flags.DEFINE_bool("overwrite", False, "Delete results of a different config found in --workdir.",
                    flag_values=fv)
  flags.DEFINE_bool("plots", True, "Draw the figures (--noplots: tables and report only; matplotlib "
                    "is then never imported).", flag_values=fv)
  flags.DEFINE_bool("progress", True, "Show progress bars.", flag_values=fv)
  flags.DEFINE_multi_string("studies_dir", [], "Extra folders of study modules.", flag_values=fv)
  flags.DEFINE_string("coordinator_address", None, "host:port of process 0, to run on several hosts "
                      "(or set JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES, JAX_PROCESS_ID).",
                      flag_values=fv)
  flags.DEFINE_integer("num_processes", None, "Number of processes (hosts) in a distributed run.",
                       lower_bound=1, flag_values=fv)
  flags.DEFINE_integer("process_id", None, "This process's index in a distributed run (0 writes).",
                       lower_bound=0, flag_values=fv)


def _flag_lines(fv: flags.FlagValues, names) -> list[str]:
  lines = []
  for name in names:
    f = fv[name]
    default = f" (default: {f.default_as_str})" if f.default is not None and f.default != [] else ""
    lines.append(f"  --{name}: {f.help}{default}")
  return lines


def _config_lines(spec: str) -> list[str]:
  """'  key = value  # meaning' for every field of the config `spec`."""
  try:
    config = load_config(spec)
  except ValueError as e:
    return [f"  (cannot list the config: {e})"]
  comments = field_comments(spec.partition(":")[0], ROOT / "configs" / "common.py")
  return [f"  {k} = {v!r}" + (f"  # {comments[k]}" if k in comments else "") for k, v in flatten(config)]


def help_text(kind: str, doc: str, fv: flags.FlagValues, own: list[str], config_spec: str | None) -> str:
  """--helpshort: usage and this command's flags; --help (-h, -?): also every config field with
  its value and meaning; --helpfull: also absl's own flags."""
  doc = doc or ""
  if config_spec:
    try:
      module_doc = ast.get_docstring(ast.parse(_resolve(config_spec.partition(":")[0]).read_text()))
      doc = module_doc or doc
    except (OSError, SyntaxError):
      pass
  parts = [doc.strip(), "", "Flags:", *_flag_lines(fv, own)]
  if config_spec and kind != "short":
    parts += ["", f"Config fields of {config_spec} (override any with --config.FIELD=VALUE; "
              "data.params.<set>.<param>=VALUE adds a data set parameter):", *_config_lines(config_spec)]
  if kind == "full":
    parts += ["", "absl flags:", *_flag_lines(fv, sorted(set(fv) - set(own)))]
  return "\n".join(parts)


def _find_flag(args: list[str], name: str, default):
  value = default
  for i, a in enumerate(args):
    if a in (f"--{name}", f"-{name}") and i + 1 < len(args):
      value = args[i + 1]
    elif a.startswith((f"--{name}=", f"-{name}=")):
      value = a.partition("=")[2]
  return value


def run(main: Callable[[Args], None], argv: list[str] | None, define: Callable[[flags.FlagValues], None],
        doc: str, takes_config: bool = False) -> None:
  """absl.app.run(main, argv, flags_parser=...) with the flags `define` puts on a fresh
  FlagValues; errors in the flags are one line and exit 2; help exits 0."""
  def parser(argv: list[str]) -> Args:
    fv = flags.FlagValues()
    define(fv)
    define_common_flags(fv)
    own = list(fv)
    for name, flag in flags.FLAGS._flags().items():  # absl's own (logging) flags, shared objects
      if (name == flag.name and name not in fv and (not flag.short_name or flag.short_name not in fv)
          and name not in ("help", "helpshort", "helpfull", "helpxml")):
        fv[name] = flag
    args = list(argv[1:])
    try:
      overrides, rest = split_overrides(args) if takes_config else ([], args)
    except ValueError as e:
      usage_error(e)
    before_dashes = rest[:rest.index("--")] if "--" in rest else rest
    kinds = [HELP_FLAGS[a.partition("=")[0]] for a in before_dashes if a.partition("=")[0] in HELP_FLAGS]
    if kinds:
      spec = _find_flag(before_dashes, "config", fv["config"].default) if "config" in fv else None
      print(help_text(kinds[0], doc, fv, own, spec))
      sys.exit(0)
    if not takes_config:
      stray = [a for a in args if re.match(r"^--?(no)?config\.", a)]
      if stray:
        usage_error(f"{stray[0]!r}: this command has no --config")
    try:
      remaining = fv([argv[0] if argv else "prog", *rest])
    except flags.Error as e:
      usage_error(f"{e} (see --help)")
    if len(remaining) > 1:
      usage_error(f"unexpected argument {remaining[1]!r}: flags are --name=value (see --help)")
    try:
      from research import jax_setup
      jax_setup.parse_cpu_devices(fv.cpu_devices)
    except ValueError as e:
      usage_error(e)
    if not flags.FLAGS.is_parsed():
      flags.FLAGS.mark_as_parsed()
    return Args(fv, overrides)

  def quiet_main(args: Args):
    # app.run raises absl logging to INFO when --verbosity is not given; JAX then logs its backend
    # search on every run. Keep the warnings-only default unless asked.
    if not args.flags["verbosity"].present if "verbosity" in args.flags else False:
      from absl import logging
      logging.set_verbosity(logging.WARNING)
    return main(args)

  app.run(quiet_main, argv=sys.argv if argv is None else list(argv), flags_parser=parser)


def setup_jax(f: flags.FlagValues) -> None:
  """Compilation cache and CPU devices: after every check, before anything touches a device."""
  from research import jax_setup
  jax_setup.setup(cpu_devices=jax_setup.parse_cpu_devices(f.cpu_devices))


def check_workdir(path: str, flag: str = "workdir") -> None:
  p = Path(path)
  if p.exists() and not p.is_dir():
    usage_error(f"--{flag}={path!r} is a file, not a folder")
  parent = next((q for q in p.absolute().parents if q.exists()), None)
  if parent is not None and not parent.is_dir():
    usage_error(f"--{flag}={path!r}: {parent} is a file, not a folder")


def hypothesis_warnings(study, config, hypotheses_dirs=()) -> list[str]:
  """One line per hypothesis of `study` that this config's runs cannot evaluate (said before the
  training, not after it); broken hypothesis files are warned about by discovery."""
  from research import hypotheses
  from research.validation import hypothesis_problems
  if study.hypothesis_rows is None:
    return []
  out = []
  for h in hypotheses.discover(hypotheses_dirs).values():
    if h.study == study.name:
      problems = hypothesis_problems(h, study, config)
      if problems:
        out.append(f"warning: hypothesis {h.name!r} will not be evaluated on this run: {problems[0]}")
  return out


def run_and_exit(study_name: str | None, args: Args) -> None:
  """Loads and checks the config, then runs one study and exits with its status."""
  from research import studies
  from research.resources import check_resources
  from research.study import run_study
  from research import distributed
  f = args.flags
  check_workdir(f.workdir)
  # Before any check that may touch a device (a study's validate draws a data set):
  # jax.distributed must start before the backend does.
  setup_jax(f)
  distributed.initialize(f.coordinator_address, f.num_processes, f.process_id)
  try:
    config = study_config(f.config, args.overrides, study_name)
    study = studies.get_study(config.study, f.studies_dir)
    study.validate(config)
    check_resources(config)
    notes = hypothesis_warnings(study, config)
  except (ValueError, TypeError, KeyError, AttributeError) as e:  # every check before compute
    usage_error(e if isinstance(e, ValueError) else f"invalid config ({type(e).__name__}: {e})")
  for note in notes:
    print(note, file=sys.stderr)
  with ends_cleanly(f.workdir):  # Ctrl-C, SIGTERM, a full disk: one line, the store consistent
    try:
      outcome = run_study(study, config, f.workdir, overwrite=f.overwrite, draw=f.plots,
                          progress=f.progress, coordinator_address=f.coordinator_address,
                          num_processes=f.num_processes, process_id=f.process_id)
    except ValueError as e:  # a workdir that is unwritable, locked or holds another config
      usage_error(e)
  sys.exit(0 if outcome.ok else 1)


def study_main(study_name: str):
  """The whole `main` of `experiments/<study_name>.py` (config default: configs/<name>.py)."""
  def define(fv):
    define_study_flags(fv, f"configs/{study_name}.py")

  def main(argv=None):
    run(lambda args: run_and_exit(study_name, args), argv, define, f"python -m experiments.{study_name}",
        takes_config=True)
  return main
