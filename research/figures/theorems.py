"""Figures of the theorem study, from its tables and the networks it saved in the workdir."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from research.activations import parse_activation
from research.figures.style import Figure, save
from research.metrics.pwl_networks import forward_numpy
from research.theorems.parts import load_net

MAX_DRAWN = 4  # saved networks drawn (counterexamples first, then examples)


def stable_figure(stable: pd.DataFrame, path: Path) -> Figure:
  """Estimate and 95% interval minus theory, per first-layer width and draw."""
  fig, ax = plt.subplots(figsize=(6.5, 4))
  for k, (init, g) in enumerate(stable.groupby("init", sort=False)):
    x = g["width"].to_numpy() + 0.08 * k
    ax.errorbar(x, g["p"] - g["theory"], yerr=[g["p"] - g["ci_low"], g["ci_high"] - g["p"]], fmt="o",
                capsize=4, label=f"{init} draw")
  tol = 0.002
  ax.axhspan(-tol, tol, color="0.9", label="+-0.002 target")
  ax.axhline(0, color="k", lw=0.8)
  ax.set_xticks(sorted(stable["width"].unique()))
  ax.set_xlabel("first-layer width n1 (input dimension 2)")
  ax.set_ylabel("estimate - theory")
  ax.set_title(f"Stably unactivated second-layer units, {int(stable['num_inits'].iloc[0]):,} nets per point")
  ax.legend()
  fig.tight_layout()
  return Figure(save(fig, path), "Each point is the simulated probability minus Brownlowe et al.'s exact "
                "value (1/4, 1/8, 5/64); intervals inside the grey band meet the +-0.002 target.")


def growth_figure(counts: pd.DataFrame, path: Path) -> Figure:
  """Mean exact region count vs neurons, one line per depth, one panel per slope, with N^2."""
  slopes = sorted(counts["slope"].unique())
  fig, axes = plt.subplots(1, len(slopes), figsize=(4.2 * len(slopes), 4), sharey=True, squeeze=False)
  for ax, s in zip(axes[0], slopes):
    g = counts[counts["slope"] == s]
    for depth, d in g.groupby("depth"):
      m = d.groupby("neurons")["num_regions"].agg(["mean", "min", "max"])
      ax.errorbar(m.index, m["mean"], yerr=[m["mean"] - m["min"], m["max"] - m["mean"]], marker="o",
                  capsize=3, label=f"depth {depth}")
    n = np.array(sorted(g["neurons"].unique()), float)
    ref = g[g["neurons"] == n[-1]]["num_regions"].mean() * (n / n[-1]) ** 2
    ax.plot(n, ref, "k--", lw=1, label="~ neurons^2")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("total hidden neurons")
    ax.set_title("ReLU" if s == 0 else f"LeakyReLU {s:g}")
  axes[0, 0].set_ylabel("regions in the box (mean, min-max over seeds)")
  axes[0, 0].legend()
  fig.tight_layout()
  return Figure(save(fig, path), "Region counts at initialisation follow the dashed neurons^2 line at every "
                "depth and slope if Hanin & Rolnick's law holds at these sizes.")


def linking_figure(links: pd.DataFrame, path: Path) -> Figure:
  """Per activation and layer: share of nets whose images keep |lk| = 1, change it, or are unresolved."""
  rows = []
  for (spec, layer), g in links[links["layer"] > 0].groupby(["activation", "layer"], sort=False):
    sure = g["abs_lk"].notna()
    rows.append(dict(label=f"{spec}\nlayer {layer}", kept=(g["abs_lk"] == 1).mean(),
                     changed=(sure & (g["abs_lk"] != 1)).mean(), unresolved=(~sure).mean()))
  t = pd.DataFrame(rows)
  fig, ax = plt.subplots(figsize=(1.3 * len(t) + 2, 4))
  bottom = np.zeros(len(t))
  for col, colour in (("kept", "tab:green"), ("changed", "tab:red"), ("unresolved", "0.75")):
    ax.bar(t["label"], t[col], bottom=bottom, color=colour, label=col)
    bottom += t[col].to_numpy()
  ax.set_ylabel(f"share of {links['seed'].nunique()} nets")
  ax.set_title("|linking number| of a Hopf link after each width-3 layer")
  ax.legend()
  fig.tight_layout()
  return Figure(save(fig, path), "Red is a certified change of |lk|: for a monotone activation it would be "
                "a counterexample; |x| (non-monotone) is the contrast.")


def net_figure(npz: Path, path: Path, half: float = 4.0, n: int = 400) -> Figure:
  """The decision regions of one saved 2-D network on [-half, half]^2."""
  ws, bs = load_net(npz)
  meta = np.load(npz)
  spec, claim = str(meta["activation"]), str(meta["claim"])
  act = parse_activation(spec)
  axis = np.linspace(-half, half, n)
  x = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
  if act.pwl() is not None:
    logit = forward_numpy(ws, bs, act.pwl(), x)[:, 0]
  else:
    a = x
    for w, b in zip(ws[:-1], bs[:-1]):
      a = np.asarray(act.kind.fn(a @ w + b, act.slope))
    logit = (a @ ws[-1] + bs[-1])[:, 0]
  fig, ax = plt.subplots(figsize=(4.5, 4.5))
  ax.imshow((logit > 0).reshape(n, n), origin="lower", extent=[-half, half, -half, half], cmap="coolwarm")
  ax.set_title(f"{npz.stem}\n({spec}; claim: {claim})", fontsize=8)
  fig.tight_layout()
  kind = {"counterexamples": "A counterexample", "candidates": "A grid candidate (not certified)"}.get(
      npz.parent.name, "An example outside the claim")
  return Figure(save(fig, path), f"{kind}: class 1 (red) and class 0 (blue) of the saved net {npz.name} "
                "(regions are open: two pieces meeting at one point are two components).")


def draw_figures(workdir: Path, tables: dict[str, pd.DataFrame]) -> list[Figure]:
  out = Path(workdir) / "figures"
  figs = [stable_figure(tables["stable"], out / "stable_units.png"),
          growth_figure(tables["region_counts"], out / "region_growth.png"),
          linking_figure(tables["linking"], out / "linking.png")]
  found = [f for kind in ("counterexamples", "candidates") for f in sorted((Path(workdir) / kind).glob("*.npz"))]
  examples = sorted((Path(workdir) / "examples").glob("*.npz"))
  # Counterexamples and candidates first, and one example of what a claim does not cover.
  for npz in found[:MAX_DRAWN - 1] + examples[:MAX_DRAWN - min(len(found), MAX_DRAWN - 1)]:
    figs.append(net_figure(npz, out / f"net_{npz.stem}.png"))
  return figs
