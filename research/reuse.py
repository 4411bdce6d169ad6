"""Which stored units a sweep reuses: whole blocks of seeds computed by this code.

A unit trains a block of seeds [start, stop) of one data set, architecture and activation family
(research/sweep.py). Its models depend on their own seeds alone, so a run with more seeds reuses
the stored blocks that cover seeds 0, 1, ... and trains only the rest, as one more block; a
damaged unit, one that failed, or one from other code is reported in one line and trained again.
"""

from __future__ import annotations

from typing import Callable

from research.store import Store


def stored_blocks(store: Store, expected_hash: Callable[[dict], str],
                  report: bool = False) -> dict[str, list[tuple[int, int, str]]]:
  """block key -> (start, stop, unit hash) of every whole unit of this code in the store.

  expected_hash(record): the hash this config gives the unit a record was made for (a unit stored
  under another hash belongs to no unit of this config).
  report: print one line for each stored unit that cannot be reused, and why (it is recomputed).
  """
  out: dict[str, list[tuple[int, int, str]]] = {}
  for path in sorted(store.units_dir.glob("*.json")):
    h = path.stem
    reason = store.check_unit(h, required=("status", "unit"))
    if reason is None and store.read_unit(h)["status"] != "ok":
      reason = f"failed last time ({store.read_unit(h).get('error', 'no error recorded')})"
    if reason is None:
      reason = store.check_unit(h, required=("block", "seeds", "rows", "activations"))
    if reason is None and not _has_rows(store, h):
      reason = "arrays lack the training curves"
    if reason is not None:
      if report:
        print(f"unit {_name(store, h)}: {reason}; recomputing", flush=True)
      continue
    record = store.read_unit(h)
    if h == expected_hash(record):
      out.setdefault(record["block"], []).append((*record["seeds"], h))
  return out


def _name(store: Store, h: str) -> str:
  try:
    return store.read_unit(h)["unit"]
  except (OSError, ValueError, KeyError, TypeError):
    return h


def cover(blocks: list[tuple[int, int, str]], num_seeds: int) -> list[tuple[int, int, str]]:
  """Stored blocks that cover seeds 0, 1, ... in a row, up to at most num_seeds."""
  by_start = {a: (a, b, h) for a, b, h in blocks if b <= num_seeds}
  chain, at = [], 0
  while at in by_start:
    chain.append(by_start[at])
    at = by_start[at][1]
  return chain


def _has_rows(store: Store, unit_hash: str) -> bool:
  """An ok record holds its rows and its arrays hold the curves (what assemble reads)."""
  record = store.read_unit(unit_hash)
  return isinstance(record.get("rows"), list) and "curve_step" in store.read_arrays(unit_hash, "curve_step")
