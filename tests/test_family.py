"""research.metrics.family: the registry of metric families, one module each, and their knobs."""

import re

import ml_collections
import pytest

from research.metrics import family
from research.validation import ConfigError
from helpers import ROOT


def test_every_family_lives_in_a_module_of_its_own():
  families = family.metric_families()
  modules = {}
  for name, fn in families.items():
    modules.setdefault(fn.__module__, []).append(name)
  shared = {m: names for m, names in modules.items() if len(names) > 1}
  assert not shared, shared
  assert {"core", "boundary", "exact_regions", "plane_topology", "robustness", "line_density",
          "region_count", "layer_topology", "probes"} <= set(families)


def test_unknown_family_and_two_families_writing_one_column_are_refused():
  with pytest.raises(ValueError, match="valid metric families: .*boundary"):
    family.check_families(["boundry"])
  with pytest.raises(ValueError, match="both write 'num_regions'"):
    family.check_families(["exact_regions", "region_count"])


def _eval(**knobs):
  return ml_collections.ConfigDict(dict(metrics=("core",), expensive_seeds=1, **knobs))


TOPOLOGY = dict(betti_k=8, betti_scale=3.0, betti_max_points=200, betti_min_train_acc=0.9)


@pytest.mark.parametrize("name,knobs,fragment", [
    ("layer_topology", {k: v for k, v in TOPOLOGY.items() if k != "betti_k"}, "eval.betti_k"),
    ("layer_topology", dict(TOPOLOGY, betti_scale=-1.0), "eval.betti_scale"),
    ("layer_topology", dict(TOPOLOGY, betti_max_points=5), "eval.betti_max_points"),
    ("probes", dict(rank_rtol=1e-4), "eval.collapse_tol"),
    ("probes", dict(collapse_tol=1e-6, rank_rtol=0.0), "eval.rank_rtol"),
    ("robustness", {}, "eval.noise_stds"),
    ("robustness", dict(noise_stds=(0.1, -1.0)), "eval.noise_stds"),
    ("line_density", {}, "eval.num_lines"),
    ("line_density", dict(num_lines=0), "eval.num_lines"),
])
def test_a_family_checks_its_own_knobs_without_defaults(name, knobs, fragment):
  with pytest.raises(ConfigError) as e:
    family.check_families([name], _eval(**knobs))
  assert fragment in str(e.value) and "\n" not in str(e.value)


def test_good_knobs_pass():
  family.check_families(["layer_topology", "probes", "robustness", "line_density"], _eval(
      **TOPOLOGY, collapse_tol=1e-6, rank_rtol=1e-4, noise_stds=(0.1,), num_lines=4))


def test_no_family_reads_a_knob_with_a_silent_default():
  # A family's knobs are read as config.eval.<knob>, never config.eval.get(<knob>, default).
  for path in (ROOT / "research" / "metrics").glob("*.py"):
    assert not re.search(r"(config\.eval|\be)\.get\(", path.read_text()), path
