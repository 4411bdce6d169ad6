"""The verdict map: settings parse against the config, and the map's cells are the paired
differences of the runs, recomputed here by hand from a synthetic results table."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments._config import load_config
from research import stats
from research.study import RunContext
from research.studies import verdict_map as vm
from research.validation import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def config():
  return load_config(f"{ROOT}/configs/verdict_map.py:quick")


def test_settings_parse_to_typed_assignments(config):
  base = vm.base_config(config)
  s = vm.parse_setting("optim.optimizer=sgd; optim.learning_rates=0.1,0.3", base)
  assert s.assignments == (("optim.optimizer", "sgd"), ("optim.learning_rates", (0.1, 0.3)))
  assert s.label == "optimizer=sgd+learning_rates=0.1_0.3"
  assert vm.parse_setting("model.depths=4", base).assignments == (("model.depths", (4,)),)
  assert vm.parse_setting("base", base).label == "base"
  c = vm.setting_config(config, vm.parse_setting("data.noise=0.3", base))
  assert c.data.noise == 0.3 and "map" not in c and config.data.noise != 0.3


@pytest.mark.parametrize("text, message", [
    ("optim.learnig_rates=0.1", "not a field of the config; fields of optim: .*learning_rates"),
    ("optim.num_steps=many", "'many' is not a int for optim.num_steps"),
    ("map.claims=x", "section one of data, model, optim, eval"),
    ("learning_rates", "section.field=value"),
    ("", "each setting is 'base'"),
])
def test_a_bad_setting_is_one_line_naming_it(config, text, message):
  with pytest.raises(ConfigError, match=message) as e:
    vm.parse_setting(text, vm.base_config(config))
  assert "\n" not in str(e.value) and "map.settings" in str(e.value)


def test_validate_names_what_is_wrong(config):
  c = config.copy_and_resolve_references()
  c.map.settings = ("optim.learning_rates=0.1",)
  with pytest.raises(ConfigError, match="must include 'base'"):
    vm.validate(c)
  c = config.copy_and_resolve_references()
  c.map.claims = ("relu_separates_bettr",)
  with pytest.raises(ConfigError, match="relu_separates_better"):
    vm.validate(c)
  c = config.copy_and_resolve_references()
  c.model.activations = ("relu", "tanh")
  with pytest.raises(ConfigError, match="map.claims.*leaky_relu:0.01"):
    vm.validate(c)
  c = config.copy_and_resolve_references()
  c.map.settings = ("base", "optim.num_steps=75")  # eval_every_steps (50) must divide it
  with pytest.raises(ConfigError, match="optim.num_steps=75.*eval_every_steps"):
    vm.validate(c)
  vm.validate(config)


def _synthetic_setting(tmp: Path, label: str, shift: float, rng) -> dict:
  """Results of one setting: relu beats leaky by `shift` in test_acc, 8 paired seeds, 2 widths."""
  rows = []
  for width in (2, 8):
    for seed in range(8):
      noise = rng.normal(0, 0.01)
      for act, bonus in (("relu", shift), ("leaky_relu:0.01", 0.0)):
        rows.append(dict(dataset="spirals", activation=act, width=width, depth=2, lr=0.01, init="he",
                         seed=seed, test_acc=0.8 + bonus + noise + rng.normal(0, 0.002),
                         inactive_fraction=0.3 + (0.1 if act == "relu" else 0.0) + rng.normal(0, 0.01),
                         diverged=False))
  path = tmp / label
  path.mkdir()
  pd.DataFrame(rows).to_csv(path / "results.csv", index=False)
  return dict(label=label, text=label, workdir=path, failed=[], num_models=len(rows), num_diverged=0)


def test_map_cells_are_the_paired_differences_and_flips_follow_base(config, tmp_path):
  rng = np.random.default_rng(0)
  computed = [_synthetic_setting(tmp_path, "base", 0.05, rng),
              _synthetic_setting(tmp_path, "learning_rates=0.1", 0.0, rng)]
  ctx = RunContext(config=config, workdir=tmp_path, computed=computed)
  out = vm.tables(ctx)
  assert set(out["results"]["setting"]) == {"base", "learning_rates=0.1"}
  vmap = out["verdict_map"]
  # Every claim x setting x its widths (dead_relu_hurts_narrow_nets: width 2 only of 2 and 8).
  assert len(vmap[vmap["claim"] == "relu_separates_better"]) == 4
  assert set(vmap.loc[vmap["claim"] == "dead_relu_hurts_narrow_nets", "width"]) == {2}
  results = out["results"]
  for r in vmap.itertuples():
    cell = results[(results["setting"] == r.setting) & (results["width"] == r.width)]
    wide = cell.pivot(index="seed", columns="activation", values=r.metric)
    diff = (wide["relu"] - wide["leaky_relu:0.01"]).to_numpy()
    assert r.n == len(diff) and r.mean_diff == pytest.approx(diff.mean(), rel=1e-9)
  better = vmap[vmap["claim"] == "relu_separates_better"].set_index(["setting", "width"])
  assert (better.loc["base", "verdict"] == stats.SUPPORTED).all()  # +0.05 against min_effect 0.01
  assert (better.loc["learning_rates=0.1", "verdict"] != stats.SUPPORTED).all()
  assert better.loc["learning_rates=0.1", "flips"].all() and not better.loc["base", "flips"].any()
  assert vm.findings(vmap)[0].startswith("`relu_separates_better`: SUPPORTED in 2 of 4 cells")
