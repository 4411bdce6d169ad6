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
import re
import sys
from pathlib import Path
from typing import Callable

from absl import app, flags

from experiments._config import (ROOT, field_comments, flatten, load_config, resolve, split_overrides,
                                 study_config)
from experiments._signals import ends_cleanly

USAGE_ERROR = 2
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
      module_doc = ast.get_docstring(ast.parse(resolve(config_spec.partition(":")[0]).read_text()))
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
  """Compilation cache, CPU devices and malloc: after every check, before anything touches a device."""
  from research import jax_setup, process_memory
  jax_setup.setup(cpu_devices=jax_setup.parse_cpu_devices(f.cpu_devices))
  process_memory.reuse_freed_memory()  # the exact region counts: research/process_memory.py


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
