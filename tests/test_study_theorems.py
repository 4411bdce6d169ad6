"""The theorem study: each check on hand-built nets where the answer is known, the exact
stable-unit test against linear programs, the linking number against curves of known linking,
the fits' verdict rule on counts of known growth, bad config values, and the quick study."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from experiments._config import load_config
from research.activations import parse_activation
from research.metrics import decision_regions, regions
from research.study import run_study
from research.studies import theorems as study
from research.theorems import linking, plane_claims, region_growth, stable_units
from research.theorems.nets import draw_nets
from research.validation import ConfigError
from helpers import ROOT

LEAKY, RELU = parse_activation("leaky_relu:0.2").pwl(), parse_activation("relu").pwl()
relu_np = lambda z: np.maximum(z, 0)


def _triangle_net():
  """2-3-1 ReLU: logit = 1 - sum relu(n_i . x), normals 120 degrees apart: class 1 is a bounded
  triangle around 0, class 0 its (connected, unbounded) outside."""
  n = np.array([[np.cos(a), np.sin(a)] for a in (0, 2 * np.pi / 3, 4 * np.pi / 3)]).T
  return [n, -np.ones((3, 1))], [np.zeros(3), np.ones(1)]


def test_hand_built_width2_leaky_net_is_connected_and_unbounded():
  # logit = leaky(x) + leaky(y) - 1: each class one unbounded region.
  c = plane_claims.exact_claims([np.eye(2), np.ones((2, 1))], [np.zeros(2), -np.ones(1)], LEAKY, 4.0)
  assert (c["components_c0"], c["components_c1"], c["bounded_c0"], c["bounded_c1"]) == (1, 1, 0, 0)
  assert not plane_claims.breaks(c, "connected") and not plane_claims.breaks(c, "unbounded")


def test_hand_built_width2_relu_net_with_two_components_is_counted_disconnected():
  # relu(x - 1) + relu(-x - 1) > 0.5: class 1 is {x > 1.5} and {x < -1.5}, two unbounded pieces.
  w, b = [np.array([[1.0, -1.0], [0.0, 0.0]]), np.ones((2, 1))], [-np.ones(2), -0.5 * np.ones(1)]
  c = plane_claims.exact_claims(w, b, RELU, 4.0)
  assert (c["components_c0"], c["components_c1"], c["bounded_c1"]) == (1, 2, 0)
  assert plane_claims.breaks(c, "connected") and not plane_claims.breaks(c, "unbounded")
  # The same singular W with LeakyReLU is disconnected too (x > 2.125 or x < -2.125): Nguyen et
  # al. assume full-rank weights (random draws are, with probability 1). With W full rank it is
  # connected, as the theorem says.
  assert plane_claims.exact_claims(w, b, LEAKY, 4.0)["components_c1"] == 2
  full = [np.array([[1.0, -1.0], [0.3, 0.3]]), w[1]]
  assert not plane_claims.breaks(plane_claims.exact_claims(full, b, LEAKY, 4.0), "connected")


def test_bounded_region_of_a_width3_net_is_detected_exactly_on_a_grid_and_at_tighter_tolerances():
  w, b = _triangle_net()
  c = plane_claims.exact_claims(w, b, RELU, 4.0)
  assert (c["components_c1"], c["bounded_c1"], c["bounded_c0"]) == (1, 1, 0)
  assert plane_claims.breaks(c, "unbounded")
  saved = regions.SLIVER_REL, decision_regions.LINE_REL
  with plane_claims.tighter_tolerances(1e-3):
    assert regions.SLIVER_REL == pytest.approx(saved[0] * 1e-3)
    assert plane_claims.exact_claims(w, b, RELU, 4.0)["bounded_c1"] == 1
  assert (regions.SLIVER_REL, decision_regions.LINE_REL) == saved  # restored
  grid = plane_claims.grid_claims([x[None] for x in w], [x[None] for x in b], relu_np, 8.0, 128)[0]
  assert (grid["bounded_c1"], grid["components_c1"], grid["bounded_c0"]) == (1, 1, 0)
  # Shifted out of the first square (first half-width 1): the doubling still certifies it.
  # Moved to (10, 10), outside the first square (half-width 1): the doubling still certifies it.
  far = plane_claims.exact_claims(w, [-w[0].T @ np.array([10.0, 10.0]), b[1]], RELU, 1.0)
  assert far["bounded_c1"] == 1 and far["half_width"] >= 16.0


def _lp_stable(W, b, v, c) -> bool:
  """sup over R^2 of v . relu(W^T x + b) + c <= 0, by one linear program per activation pattern."""
  best = -np.inf
  for s in itertools.product([0, 1], repeat=len(b)):
    s = np.array(s, bool)
    A = np.where(s[:, None], -W.T, W.T)  # active: w.x + b >= 0; inactive: <= 0
    res = linprog(-(W[:, s] @ v[s]), A_ub=A, b_ub=np.where(s, b, -b), bounds=[(None, None)] * 2)
    if res.status == 3:  # unbounded above on a non-empty region
      return False
    if res.status == 0:
      best = max(best, -res.fun + v[s] @ b[s] + c)
  return best <= 0


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_stably_unactivated_agrees_with_linear_programs(width):
  ws, bs = draw_nets(np.random.default_rng(width), 150, (2, width, 1))
  fast = stable_units.stably_unactivated(ws[0], bs[0], ws[1][..., 0], bs[1][:, 0])
  slow = [_lp_stable(ws[0][i], bs[0][i], ws[1][i][:, 0], bs[1][i][0]) for i in range(150)]
  assert fast.tolist() == slow and 0 < fast.sum() < 150


def test_stable_probability_is_brownlowes_within_four_standard_errors():
  n = 200_000
  for width, theory in ((1, 1 / 4), (2, 1 / 8), (3, 5 / 64)):
    assert stable_units.theory(width) == theory
    ws, bs = draw_nets(np.random.default_rng([7, width]), n, (2, width, 1), init="uniform")
    p = stable_units.stably_unactivated(ws[0], bs[0], ws[1][..., 0], bs[1][:, 0]).mean()
    assert abs(p - theory) < 4 * np.sqrt(theory * (1 - theory) / n), (width, p)


def test_gauss_linking_of_curves_with_known_linking_numbers():
  a, b = linking.rings(200)
  assert linking.gauss_linking(a[None], b[None])[0] == pytest.approx(-1, abs=1e-3)
  assert linking.gauss_linking(a[None], b[None, ::-1])[0] == pytest.approx(1, abs=1e-3)  # reversed
  assert linking.gauss_linking(*[x[None] for x in linking.rings(200, linked=False)])[0] == pytest.approx(0, abs=1e-3)
  # A curve winding twice around a circle's core (a (2, 4) torus link): |lk| = 2.
  t = 2 * np.pi * np.arange(400) / 400
  core = np.stack([2 * np.cos(t), 2 * np.sin(t), 0 * t], 1)
  wind = np.stack([(2 + 0.5 * np.cos(2 * t)) * np.cos(t), (2 + 0.5 * np.cos(2 * t)) * np.sin(t),
                   0.5 * np.sin(2 * t)], 1)
  assert abs(linking.gauss_linking(core[None], wind[None])[0]) == pytest.approx(2, abs=1e-3)


def test_a_leaky_layer_keeps_the_link_and_a_fold_by_abs_undoes_it():
  # Identity weights: leaky keeps lk; |z| folds ring B (in the xz-plane) onto z >= 0, unlinking it.
  ws, bs = [np.eye(3)[None]], [np.zeros((1, 3))]
  assert linking.layer_linking(ws, bs, "leaky_relu:0.2", 96, True)[0].tolist() == [-1.0, -1.0]
  assert np.abs(linking.layer_linking(ws, bs, "abs", 96, True)[0]).tolist() == [1.0, 0.0]


def test_fit_verdicts_on_counts_of_known_growth():
  rows = [dict(neurons=n, depth=d, width=n // d, seed=s, slope=sl, num_regions=n ** e * (1 + 0.01 * s))
          for e in (2.0,) for n in (8, 16, 32, 64) for d in (1, 2) for s in range(3) for sl in (0.0, 0.2)]
  fits = region_growth.claim_rows(pd.DataFrame(rows), 0.25, 0.5, 0.25)
  assert set(fits["verdict"]) == {"CONSISTENT"}
  linear = pd.DataFrame(rows).assign(num_regions=lambda d: d["neurons"] * (1 + 0.01 * d["seed"]))
  exp = region_growth.claim_rows(linear, 0.25, 0.5, 0.25).query("estimate == 'exponent of neurons'")
  assert set(exp["verdict"]) == {"INCONSISTENT"} and np.allclose(exp["value"], 1.0)


@pytest.mark.parametrize("field, value, fragment", [
    ("plane.activations", ("leaky_relu",), "plane.activations: activation 'leaky_relu' needs an explicit slope"),
    ("plane.activations", ("gelu",), "config.plane.activations = 'gelu' is invalid"),
    ("stable.inits", ("gaussian",), "valid inits: normal, uniform"),
    ("growth.neurons", (8, 9), "config.growth.neurons = 9 is invalid: must be divisible"),
    ("linking.points", 4, "config.linking.points = 4"),
])
def test_bad_config_values_raise_one_line_naming_the_field(field, value, fragment):
  c = load_config(f"{ROOT}/configs/theorems.py:quick")
  section, key = field.split(".")
  with c.unlocked():
    c[section][key] = value
  with pytest.raises(ConfigError) as e:
    study.validate(c)
  assert fragment in str(e.value) and "\n" not in str(e.value)


def test_quick_study_lists_every_claim_with_its_count_and_seeds(tmp_path):
  c = load_config(f"{ROOT}/configs/theorems.py:quick")
  out = run_study(study.STUDY, c, tmp_path, progress=False)
  assert out.ok and out.report is not None
  claims = pd.read_csv(tmp_path / "claims.csv")
  cells = len(c.plane.activations) * len(c.plane.depths)
  assert len(claims) == 2 * cells + len(c.linking.activations) * c.linking.depth
  assert (claims["nets"] == c.plane.num_nets).sum() == 2 * cells
  assert set(claims["verdict"]) - {"HOLDS", "HOLDS (grid)", "NOT COVERED"} <= {
      v for v in claims["verdict"] if v.startswith("non-monotone")}
  assert (claims.loc[claims["activation"] == "tanh", "verdict"] == "HOLDS (grid)").all()
  plane = pd.read_csv(tmp_path / "plane_nets.csv")
  relu = claims[(claims["activation"] == "relu") & claims["claim"].str.startswith("Nguyen")]
  assert (relu["verdict"] == "NOT COVERED").all()
  assert relu["counterexamples"].sum() == plane.query("activation == 'relu'")["connected_confirmed"].sum()
  report = (tmp_path / "report.md").read_text()
  for fragment in ("Nguyen et al. 2018", "Johnson 2019", "Ren & Lim", "Brownlowe", "Hanin & Rolnick",
                   "| counterexamples |", f"| {c.plane.num_nets} |"):
    assert fragment in report, fragment
  stable = pd.read_csv(tmp_path / "stable.csv")
  assert stable["within_tolerance"].all() and (stable["num_inits"] == c.stable.num_inits).all()
  for png in (tmp_path / "figures").glob("*.png"):
    assert png.stat().st_size > 5_000
