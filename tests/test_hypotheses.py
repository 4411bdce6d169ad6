"""Tests of hypothesis discovery and evaluation on synthetic results tables."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from research import hypotheses, stats
from research.hypotheses import Hypothesis

SHIPPED = {"relu_separates_better", "relu_vs_leaky02_agreement", "relu_loses_accuracy_when_wide",
           "relu_sparser"}
ACTIVATIONS = {"relu": ("relu", 0.0), "leaky_relu:0.01": ("leaky_relu", 0.01)}

_PLANTED = """\
from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="Planted: ReLU beats LeakyReLU(0.01) on test accuracy.",
    study="relu_vs_leaky",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.01",
    metric="test_acc",
    direction="greater",
    min_effect=0.01,
    conditions={"dataset": ["spirals", "rings"]},
    num_seeds=12,
)
"""


def make_results(effect: float, num_seeds: int = 12, datasets=("spirals", "rings"), lrs=(0.01,),
                 seed: int = 0) -> pd.DataFrame:
  """One row per model; relu = leaky + effect + small noise, paired by a per-seed baseline."""
  rng = np.random.default_rng(seed)
  rows = []
  for dataset in datasets:
    for lr in lrs:
      for s in range(num_seeds):
        baseline = rng.uniform(0.6, 0.9)  # what the shared initial key and data give
        for spec, (name, slope) in ACTIVATIONS.items():
          acc = baseline + (effect + 0.005 * rng.normal() if spec == "relu" else 0.0)
          rows.append(dict(dataset=dataset, activation=spec, activation_name=name, slope=slope,
                           width=8, depth=3, lr=lr, seed=s, init="he", diverged=False, test_acc=acc))
  return pd.DataFrame(rows)


@pytest.fixture
def planted_dir(tmp_path):
  (tmp_path / "planted_effect.py").write_text(_PLANTED)
  return tmp_path


def _hypothesis(**overrides) -> Hypothesis:
  fields = dict(claim="c", study="relu_vs_leaky", factor="activation", treatment="relu",
                control="leaky_relu:0.01", metric="test_acc", direction="greater", min_effect=0.01,
                conditions={"dataset": ["spirals", "rings"]}, num_seeds=12, name="h")
  return Hypothesis(**{**fields, **overrides})


def test_discovery_finds_shipped_hypotheses():
  found = hypotheses.discover()
  assert SHIPPED <= set(found)
  for name, h in found.items():
    assert h.name == name and isinstance(h, Hypothesis)
  assert found["relu_separates_better"].control == "leaky_relu:0.01"


def test_planted_effect_in_extra_dir_is_supported_and_reported(planted_dir):
  h = hypotheses.get_hypothesis("planted_effect", extra_dirs=[planted_dir])
  assert h.name == "planted_effect"  # defaulted to the file stem
  result = hypotheses.evaluate(h, make_results(effect=0.05))
  assert result.verdict == stats.SUPPORTED
  assert result.counts == {stats.SUPPORTED: 2, stats.SMALLER: 0, stats.REFUTED: 0, stats.INCONCLUSIVE: 0}
  assert list(result.cells["dataset"]) == ["spirals", "rings"]
  assert (result.cells["n"] == 12).all() and (result.cells["n_excluded"] == 0).all()
  assert (result.cells["p_holm"] >= result.cells["p"]).all()
  for kind in ("p", "p_zero", "p_below"):
    np.testing.assert_allclose(result.cells[f"{kind}_holm"], stats.holm(result.cells[kind]))
  assert (result.cells["ci_method"] == stats.CI_METHOD).all()
  report = result.to_markdown()
  for text in (h.claim, "SUPPORTED", "supported in 2 of 2 cells", stats.VERDICT_RULE, "| dataset |",
               f"95% CI ({stats.CI_METHOD})"):
    assert text in report
  assert report.count(stats.VERDICT_RULE) == 1
  assert stats.VERDICT_RULE not in result.to_markdown(include_rule=False)


def test_no_effect_is_not_supported_and_reverse_effect_refuted(planted_dir):
  h = hypotheses.get_hypothesis("planted_effect", extra_dirs=[planted_dir])
  assert hypotheses.evaluate(h, make_results(effect=0.0)).verdict != stats.SUPPORTED
  assert hypotheses.evaluate(h, make_results(effect=-0.05)).verdict == stats.REFUTED


def test_effect_below_the_claimed_size_is_smaller_than_claimed():
  # A clear effect of 0.004 (noise sd 0.005, 12 seeds) against a claimed 0.01: the old rule said
  # REFUTED (the CI excludes 0.01); the direction holds, the size does not.
  result = hypotheses.evaluate(_hypothesis(), make_results(effect=0.004))
  assert result.cells["verdict"].tolist() == [stats.SMALLER, stats.SMALLER]
  assert result.verdict == stats.SMALLER
  assert (result.cells["ci_low"] > 0).all() and (result.cells["ci_high"] < 0.01).all()
  assert "smaller than claimed in 2" in result.summary()
  # Mean above the claimed size, CI reaching below it: not SUPPORTED either.
  loose = hypotheses.evaluate(_hypothesis(min_effect=0.0115), make_results(effect=0.011))
  assert (loose.cells["mean_diff"] > 0.0115).all() and (loose.cells["ci_low"] < 0.0115).all()
  assert loose.verdict == stats.SMALLER


def test_compact_table_formats_and_hides_zero_exclusions():
  results = make_results(effect=0.05)
  h = _hypothesis(conditions={"dataset": ["spirals", "rings", "moons"]})
  table = hypotheses.compact_cells_table(hypotheses.evaluate(h, results).cells, h, 0.05)
  assert list(table.columns) == ["dataset", "n", "mean_diff", f"95% CI ({stats.CI_METHOD})",
                                 "p_holm (size >= m)", "p_holm (effect > 0)", "d_z", "verdict"]
  spirals = table.iloc[0]
  assert spirals["mean_diff"].startswith("0.05") and len(spirals["mean_diff"]) <= 6  # 3 figures
  assert spirals[f"95% CI ({stats.CI_METHOD})"].startswith("[0.04")
  assert table.iloc[2]["mean_diff"] == "n/a" and table.iloc[2]["verdict"] == stats.INCONCLUSIVE
  lost = results.index[(results["activation"] == "relu") & (results["seed"] == 0)]
  with_losses = hypotheses.compact_cells_table(hypotheses.evaluate(h, results.drop(lost)).cells, h, 0.05)
  assert "unpaired" in with_losses.columns and "diverged" not in with_losses.columns
  zero = _hypothesis(min_effect=0.0)
  assert "p_holm" in hypotheses.compact_cells_table(hypotheses.evaluate(zero, results).cells, zero, 0.05)


@pytest.mark.parametrize("p, text", [(0.0031, "0.0031"), (0.25, "0.25"), (1.0, "1"), (5e-5, "<1e-4"),
                                     (float("nan"), "n/a")])
def test_format_p(p, text):
  assert hypotheses.format_p(p) == text


def test_unknown_name_lists_valid_names():
  with pytest.raises(ValueError, match="relu_separates_better") as e:
    hypotheses.get_hypothesis("relu_is_best")
  assert "relu_is_best" in str(e.value)


def test_a_duplicate_name_is_reported_and_skipped(tmp_path):
  # A broken file is named and skipped (issue 11): the shipped relu_sparser stays the one found.
  (tmp_path / "relu_sparser.py").write_text(_PLANTED)
  found, broken = hypotheses.scan([tmp_path])
  assert found["relu_sparser"].study == "sparsity" and "already defined" in broken["relu_sparser"]


def test_a_file_without_hypothesis_is_reported_and_skipped(tmp_path, capsys):
  (tmp_path / "empty.py").write_text("X = 1\n")
  (tmp_path / "_helper.py").write_text("raise RuntimeError('underscore files are skipped')\n")
  found = hypotheses.discover([tmp_path])
  assert "empty" not in found and "relu_sparser" in found
  err = capsys.readouterr().err
  assert "empty.py" in err and "HYPOTHESIS" in err and "_helper" not in err


def test_missing_extra_dir_raises(tmp_path):
  with pytest.raises(ValueError, match="does not exist"):
    hypotheses.discover([tmp_path / "nowhere"])


@pytest.mark.parametrize("overrides, match", [
    (dict(direction="bigger"), "direction 'bigger' is not one of"),
    (dict(num_seeds=0), "num_seeds"),
    (dict(num_seeds=2.5), "num_seeds"),
    (dict(min_effect=-0.1), "min_effect"),
    (dict(min_effect=float("inf")), "min_effect"),
    (dict(claim=""), "claim"),
    (dict(metric=""), "metric"),
    (dict(control="relu"), "treatment and control"),
    (dict(control="leaky_relu:0.010"), "canonical spec 'leaky_relu:0.01'"),
    (dict(control="leakyrelu"), "valid activations"),
    (dict(conditions={"activation": ["relu"]}), "conditions cannot include 'activation'"),
    (dict(conditions={"dataset": "spirals"}), "non-empty list"),
    (dict(conditions={"dataset": []}), "non-empty list"),
    (dict(conditions=["dataset"]), "conditions must be a dict"),
    (dict(config_overrides=None), "config_overrides"),
])
def test_bad_fields_raise(overrides, match):
  with pytest.raises(ValueError, match=match):
    _hypothesis(**overrides)


def test_missing_column_raises_naming_it():
  results = make_results(effect=0.05)
  with pytest.raises(ValueError, match="metric column 'dead_fraction'.*available columns: dataset"):
    hypotheses.evaluate(_hypothesis(metric="dead_fraction"), results)
  with pytest.raises(ValueError, match="condition column 'depthh'"):
    hypotheses.evaluate(_hypothesis(conditions={"depthh": [3]}), results)


def test_absent_treatment_value_raises():
  with pytest.raises(ValueError, match="control 'leaky_relu:0.2' never appears"):
    hypotheses.evaluate(_hypothesis(control="leaky_relu:0.2"), make_results(effect=0.05))


def test_pairing_is_by_seed_not_row_order():
  results = make_results(effect=0.05)
  # Exact per-seed differences: correct pairing gives the constant 0.05 in every pair.
  relu = results["activation"] == "relu"
  results.loc[relu, "test_acc"] = results.loc[~relu, "test_acc"].to_numpy() + 0.05
  h = _hypothesis()
  result = hypotheses.evaluate(h, results)
  np.testing.assert_allclose(result.cells[["mean_diff", "ci_low", "ci_high"]], 0.05)
  assert (result.cells["ci_method"] == "degenerate").all()
  shuffled = results.sample(frac=1.0, random_state=3)
  pd.testing.assert_frame_equal(hypotheses.evaluate(h, shuffled).cells, result.cells)


def test_shuffled_rows_give_the_same_result():
  results = make_results(effect=0.02)
  h = _hypothesis()
  expected = hypotheses.evaluate(h, results).cells
  shuffled = results.sample(frac=1.0, random_state=7).reset_index(drop=True)
  pd.testing.assert_frame_equal(hypotheses.evaluate(h, shuffled).cells, expected)


def test_dropped_control_row_excludes_its_pair():
  results = make_results(effect=0.05)
  lost = results.index[(results["activation"] == "leaky_relu:0.01") & (results["seed"] == 4)
                       & (results["dataset"] == "rings")]
  cells = hypotheses.evaluate(_hypothesis(), results.drop(lost)).cells.set_index("dataset")
  assert cells.loc["rings", "n"] == 11 and cells.loc["rings", "n_excluded"] == 1
  assert cells.loc["rings", "n_unpaired"] == 1
  assert cells.loc["spirals", "n"] == 12 and cells.loc["spirals", "n_excluded"] == 0


def test_diverged_rows_are_excluded_and_counted():
  results = make_results(effect=0.05)
  bad = (results["activation"] == "relu") & (results["seed"].isin([0, 1])) & (results["dataset"] == "spirals")
  results.loc[bad, "diverged"] = True
  results.loc[bad, "test_acc"] = 123.0  # a diverged run's number must never reach the statistics
  result = hypotheses.evaluate(_hypothesis(), results)
  cells = result.cells.set_index("dataset")
  assert cells.loc["spirals", "n_diverged"] == 2 and result.n_diverged == 2
  assert cells.loc["spirals", "n"] == 10 and cells.loc["spirals", "n_unpaired"] == 2
  assert cells.loc["spirals", "mean_diff"] < 0.1
  assert "2 diverged rows" in result.to_markdown()


def test_nan_metric_pairs_are_excluded_and_counted():
  results = make_results(effect=0.05)
  results.loc[(results["seed"] == 3) & (results["dataset"] == "rings") & (results["activation"] == "relu"),
              "test_acc"] = np.nan
  cells = hypotheses.evaluate(_hypothesis(), results).cells.set_index("dataset")
  assert cells.loc["rings", "n"] == 11 and cells.loc["rings", "n_nonfinite"] == 1
  assert cells.loc["rings", "n_excluded"] == 1


def test_design_columns_outside_the_conditions_are_paired_not_mixed():
  results = make_results(effect=0.05, lrs=(0.01, 0.1))
  cells = hypotheses.evaluate(_hypothesis(), results).cells
  assert (cells["n"] == 24).all()  # seeds x learning rates, each paired within its lr


def test_ambiguous_pairing_raises():
  results = make_results(effect=0.05)
  results = pd.concat([results, results.iloc[:1]])  # the same run twice
  with pytest.raises(ValueError, match="share the pairing key"):
    hypotheses.evaluate(_hypothesis(), results)


def test_empty_cell_is_inconclusive_and_noted():
  h = _hypothesis(conditions={"dataset": ["spirals", "moons"]})
  result = hypotheses.evaluate(h, make_results(effect=0.05))
  cells = result.cells.set_index("dataset")
  assert cells.loc["moons", "n"] == 0 and cells.loc["moons", "verdict"] == stats.INCONCLUSIVE
  assert cells.loc["spirals", "verdict"] == stats.SUPPORTED
  assert result.verdict == stats.INCONCLUSIVE
  assert any("moons" in note for note in result.notes)


def test_conditions_over_two_columns_make_a_grid():
  results = make_results(effect=0.05)
  results.loc[results["seed"] % 2 == 1, "width"] = 32
  h = _hypothesis(conditions={"dataset": ["spirals", "rings"], "width": [8, 32]})
  cells = hypotheses.evaluate(h, results).cells
  assert len(cells) == 4 and list(cells.columns[:2]) == ["dataset", "width"]
  assert (cells["n"] == 6).all()


def test_factor_other_than_activation():
  results = make_results(effect=0.05)
  wide = results.assign(width=32, test_acc=results["test_acc"] + 0.1)
  h = _hypothesis(factor="width", treatment=32, control=8, conditions={"activation": ["relu"]},
                  min_effect=0.05)
  cells = hypotheses.evaluate(h, pd.concat([results, wide])).cells
  assert (cells["n"] == 24).all()  # 12 seeds x 2 data sets, paired within the data set
  np.testing.assert_allclose(cells["mean_diff"], 0.1)
  assert cells["verdict"].tolist() == [stats.SUPPORTED]


def test_fewer_seeds_than_planned_is_noted():
  result = hypotheses.evaluate(_hypothesis(num_seeds=20), make_results(effect=0.05))
  assert any("fewer than the 20 planned" in note for note in result.notes)


def test_hypothesis_is_frozen():
  h = _hypothesis()
  with pytest.raises(dataclasses.FrozenInstanceError):
    h.metric = "train_acc"


def test_markdown_table_escapes_and_formats():
  table = hypotheses.markdown_table(pd.DataFrame({"a|b": ["x|y"], "v": [0.123456]}))
  assert table.splitlines() == ["| a\\|b | v |", "|---|---|", "| x\\|y | 0.1235 |"]


def test_fewer_seeds_than_planned_counts_seeds_not_pooled_settings():
  # 12 seeds on each of two data sets, pooled into one cell: 24 pairs but 12 seeds, which is
  # fewer than the 20 planned (counting pairing keys would see 24 and say nothing).
  result = hypotheses.evaluate(_hypothesis(num_seeds=20, conditions={}), make_results(effect=0.05))
  assert (result.cells["n"] == 24).all()
  assert any("has 12 seeds, fewer than the 20 planned" in note for note in result.notes)
