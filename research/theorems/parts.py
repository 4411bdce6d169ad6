"""The study's four computations on random networks, each a tidy table; the claims table.

Each part takes plain values (the study module reads the config) and a seed; network i of a
cell is drawn from the generator [seed, part, depth or width], so at one depth the i-th net has
the same weights for every activation (paired). Nets whose result breaks a claim are counted
again (plane_claims: tighter tolerances, or a wider, finer grid) and saved with np.savez to
<workdir>/counterexamples/ by `save_net`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from research.activations import parse_activation
from research.store import atomic_write_npz
from research.theorems import linking, plane_claims, stable_units
from research.theorems.nets import draw_nets, net

HOLDS, BROKEN, NOT_COVERED = "HOLDS", "BROKEN", "NOT COVERED"
TIGHTER = 1e-3  # the recount's tolerances, relative to the library's


def save_net(path: Path, ws, bs, **meta) -> Path:
  """One network's weights and biases (and what it broke) as an .npz file, written atomically."""
  atomic_write_npz(path, {**{f"w{i}": w for i, w in enumerate(ws)}, **{f"b{i}": b for i, b in enumerate(bs)},
                          **{k: np.asarray(v) for k, v in meta.items()}})
  return path


def load_net(path: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
  z = np.load(path)
  n = len([k for k in z.files if k.startswith("w")])
  return [z[f"w{i}"] for i in range(n)], [z[f"b{i}"] for i in range(n)]


# ----------------------------------------------------------------------------- plane claims

def _strictly_monotone(spec: str) -> bool:
  act = parse_activation(spec)
  return act.name == "tanh" or (act.name == "leaky_relu" and act.slope > 0)


def plane_part(activations, depths, num_nets: int, seed: int, *, bias_std: float, first_half: float,
               grid_half: float, grid_points: int, workdir: Path, progress: bool = False) -> pd.DataFrame:
  """One row per net (activation, depth, seed): components and bounded components per class, how
  they were counted, and for each claim whether it broke at first and on the recount."""
  rows = []
  for depth in depths:
    ws, bs = draw_nets(np.random.default_rng([seed, 1, depth]), num_nets, (2, *[2] * depth, 1),
                       bias_std=bias_std)
    for spec in activations:
      act = parse_activation(spec)
      pwl = act.pwl()
      if pwl is not None:
        counts = [plane_claims.exact_claims(*net(ws, bs, i), pwl, first_half) for i in range(num_nets)]
        method = "exact (whole plane)"
      else:
        fn = lambda z, a=act: np.asarray(a.kind.fn(z, a.slope))
        counts = plane_claims.grid_claims(ws, bs, fn, grid_half, grid_points)
        method = f"grid {grid_points}^2 on [-{grid_half:g}, {grid_half:g}]^2"
      for i, c in enumerate(counts):
        row = dict(activation=spec, depth=depth, seed=i, method=method, **c)
        for claim in ("connected", "unbounded"):
          first = plane_claims.breaks(c, claim)
          row[f"{claim}_broken"] = first
          row[f"{claim}_confirmed"] = first and _recount_breaks(ws, bs, i, act, claim, first_half,
                                                               grid_half, grid_points)
        rows.append(row)
      if progress:
        done = pd.DataFrame(rows[-num_nets:])
        print(f"theorems: plane, {spec} depth {depth}: {num_nets} nets, disconnected "
              f"{int(done['connected_confirmed'].sum())}, bounded {int(done['unbounded_confirmed'].sum())}",
              flush=True)
  table = pd.DataFrame(rows)
  # Every counterexample is saved; of the nets a claim does not cover (ReLU's disconnected
  # regions) only the first per cell, as an example to draw.
  examples = set()
  for r in table[table["connected_confirmed"] | table["unbounded_confirmed"]].itertuples():
    claim = "unbounded" if r.unbounded_confirmed else "connected"
    covered = claim == "unbounded" or _strictly_monotone(r.activation)
    exact = r.method.startswith("exact")
    kind = ("counterexamples" if exact else "candidates") if covered else "examples"
    if kind == "examples" and (claim, r.activation, r.depth) in examples:
      continue
    examples.add((claim, r.activation, r.depth))
    w, b = draw_nets(np.random.default_rng([seed, 1, r.depth]), num_nets, (2, *[2] * r.depth, 1),
                     bias_std=bias_std)
    name = f"{claim}_{r.activation.replace(':', '')}_d{r.depth}_seed{r.seed}.npz"
    save_net(workdir / kind / name, *net(w, b, r.seed), activation=r.activation, claim=claim)
  return table


def _recount_breaks(ws, bs, i, act, claim, first_half, grid_half, grid_points) -> bool:
  """The net breaks the claim again at 1000x tighter tolerances (exact) or on three finer grids
  (smooth activations)."""
  pwl = act.pwl()
  w, b = net(ws, bs, i)
  if pwl is not None:
    with plane_claims.tighter_tolerances(TIGHTER):
      return plane_claims.breaks(plane_claims.exact_claims(w, b, pwl, first_half), claim)
  fn = lambda z: np.asarray(act.kind.fn(z, act.slope))
  # Three grids of 8x the points: 4x wider (2x the resolution: what joins outside the square),
  # the same square (8x: thin necks) and a quarter of it (32x: necks near the origin). A
  # candidate must break the claim on all three; a neck finer than the finest cell still hides.
  return all(plane_claims.breaks(plane_claims.grid_claims([x[None] for x in w], [x[None] for x in b], fn,
                                                          half, 8 * grid_points)[0], claim)
             for half in (4 * grid_half, grid_half, grid_half / 4))


# ----------------------------------------------------------------------------- stable units

def stable_part(widths, inits, num_inits: int, seed: int, *, bias_std: float, per_call: int) -> pd.DataFrame:
  """One row per (init, first-layer width): stably unactivated second-layer units among num_inits."""
  from research.studies.dying_relu import wilson_interval  # the born-dead study's interval
  rows = []
  for init in inits:
    for width in widths:
      rng = np.random.default_rng([seed, 2, width, len(init)])
      k = 0
      for start in range(0, num_inits, per_call):
        n = min(per_call, num_inits - start)
        ws, bs = draw_nets(rng, n, (2, width, 1), init=init, bias_std=bias_std)
        k += int(stable_units.stably_unactivated(ws[0], bs[0], ws[1][..., 0], bs[1][:, 0]).sum())
      lo, hi = wilson_interval(k, num_inits)
      rows.append(dict(init=init, width=width, num_inits=num_inits, num_stable=k, p=k / num_inits,
                       ci_low=lo, ci_high=hi, theory=stable_units.theory(width)))
  table = pd.DataFrame(rows)
  table["difference"] = table["p"] - table["theory"]
  return table


# ----------------------------------------------------------------------------- linking

def linking_part(activations, depth: int, num_nets: int, seed: int, *, bias_std: float,
                 points: int) -> pd.DataFrame:
  """One row per (activation, net, layer): the certified |lk| of the Hopf link's images (NaN:
  unresolved); layer 0 is the input."""
  ws, bs = draw_nets(np.random.default_rng([seed, 3, depth]), num_nets, (3, *[3] * depth), bias_std=bias_std)
  rows = []
  for spec in activations:
    lk = linking.layer_linking(ws, bs, spec, points, linked=True)
    for layer in range(depth + 1):
      rows += [dict(activation=spec, seed=i, layer=layer, abs_lk=abs(v)) for i, v in enumerate(lk[:, layer])]
  return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- claims

def _verdict(covered: bool, tested: int, broken: int) -> str:
  if not covered:
    return NOT_COVERED
  return BROKEN if broken else (HOLDS if tested else "NOT TESTED")


def _grid_verdict(verdict: str, exact: bool, broken: int) -> str:
  """A grid count certifies nothing: what it finds is a candidate, what it does not find is a hold
  on the grid only."""
  if exact or verdict == NOT_COVERED:
    return verdict
  return "CANDIDATES (grid)" if broken else f"{HOLDS} (grid)"


def claims_table(plane: pd.DataFrame, links: pd.DataFrame | None) -> pd.DataFrame:
  """claim | activation | cell | nets tested | counterexamples | rate | verdict, one row per cell."""
  rows = []
  for (spec, depth), g in plane.groupby(["activation", "depth"], sort=False):
    exact = g["method"].iloc[0].startswith("exact")
    for claim, name, covered in (
        ("connected", "Nguyen et al. 2018: every decision region connected", _strictly_monotone(spec)),
        ("unbounded", "Johnson 2019: no bounded decision region", True)):
      ok = g[g["components_c0"].notna()]
      broken = int(ok[f"{claim}_confirmed"].sum())
      rows.append(dict(claim=name, activation=spec, cell=f"2-2{'-2' * (depth - 1)}-1, init", method=g["method"].iloc[0],
                       nets=len(g), tested=len(ok), flagged=int(ok[f"{claim}_broken"].sum()),
                       counterexamples=broken, rate=broken / max(len(ok), 1),
                       verdict=_grid_verdict(_verdict(covered, len(ok), broken), exact, broken)))
  if links is not None and len(links):
    for (spec, layer), g in links[links["layer"] > 0].groupby(["activation", "layer"], sort=False):
      act = parse_activation(spec)
      monotone = act.name in ("relu", "leaky_relu", "tanh", "sigmoid", "hard_tanh")
      sure = g[g["abs_lk"].notna()]
      changed = int((sure["abs_lk"] != 1).sum())
      rows.append(dict(claim="Ren & Lim 2026 (our reading): a monotone width-3 layer keeps |lk| of linked rings",
                       activation=spec, cell=f"3-3{'-3' * (layer - 1)}, after layer {layer}, init",
                       method="Gauss integral on mapped polygons", nets=len(g), tested=len(sure),
                       flagged=changed, counterexamples=changed, rate=changed / max(len(sure), 1),
                       verdict=_verdict(monotone, len(sure), changed) if monotone else
                       f"non-monotone: |lk| changed in {changed} of {len(sure)}"))
  return pd.DataFrame(rows)
