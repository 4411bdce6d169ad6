"""Helpers shared by the experiment configs."""

from __future__ import annotations

import ml_collections


def parse_arg(arg: str | None, **defaults) -> ml_collections.ConfigDict:
  """Parses a `name1=value1,flag` config suffix (as big_vision does) against known defaults.

  `python -m experiments.relu_vs_leaky --config configs/relu_vs_leaky.py:quick` gives
  arg="quick"; a bare name sets a boolean default to True. Unknown names raise with the valid ones.
  """
  parsed = ml_collections.ConfigDict(dict(defaults))
  for item in filter(None, (arg or "").split(",")):
    key, eq, value = item.partition("=")
    if key not in defaults:
      raise ValueError(f"unknown config variant {key!r} in {arg!r}; valid variants: {', '.join(sorted(defaults))}")
    if not eq:
      if not isinstance(defaults[key], bool):
        raise ValueError(f"config variant {key!r} needs a value, e.g. {key}={defaults[key]}")
      parsed[key] = True
    else:
      parsed[key] = type(defaults[key])(value) if not isinstance(defaults[key], bool) else value.lower() in ("1", "true", "yes")
  return parsed
