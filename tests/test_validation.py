"""A corpus of bad configs: each must fail before any work with a message naming what is wrong."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from configs.relu_vs_leaky import get_config
from research.validation import ConfigError, validate_study_config

# (override path, bad value, a fragment the one-line message must contain)
BAD = [
    ("data.names", ("spiral",), "valid data sets"),
    ("data.names", (), "non-empty"),
    ("data.noise", -0.1, "data.noise"),
    ("data.noise", float("nan"), "data.noise"),
    ("data.num_train_per_class", 0, "num_train_per_class"),
    ("data.num_test_per_class", 0, "num_test_per_class"),
    ("data.params", {"spirals": {"turn": 2}}, "turn"),
    ("data.params", {"spirals": {"turns": -1.0}}, "turns"),
    ("data.params", {"moons": {}}, "keys must be data sets"),
    ("model.activations", ("relu", "leakyrelu"), "valid activations"),
    ("model.activations", ("leaky_relu",), "explicit slope"),
    ("model.activations", ("leaky_relu:x",), "not a number"),
    ("model.activations", ("tanh:0.1",), "takes no"),
    ("model.activations", ("leaky_relu:-1",), "[0, 1]"),
    ("model.activations", (), "non-empty"),
    ("model.widths", (0,), "model.widths"),
    ("model.widths", (-3, 8), "model.widths"),
    ("model.widths", (8.5,), "must be an integer"),
    ("model.depths", (0,), "model.depths"),
    ("model.init", "kaiming", "valid initialisers"),
    ("optim.optimizer", "adamw", "valid optimizers"),
    ("optim.schedule", "step", "valid schedules"),
    ("optim.learning_rates", (0.0,), "learning_rates"),
    ("optim.learning_rates", (-1e-3,), "learning_rates"),
    ("optim.learning_rates", (float("inf"),), "finite"),
    ("optim.learning_rates", (float("nan"),), "finite"),
    ("optim.num_steps", 0, "num_steps"),
    ("optim.num_steps", -5, "num_steps"),
    ("optim.eval_every_steps", 300, "optim.num_steps = 200"),
    ("optim.eval_every_steps", 0, "eval_every_steps"),
    ("optim.eval_every_steps", 30, "must divide"),
    ("optim.batch_size", -1, "batch_size"),
    ("optim.momentum", 1.5, "momentum"),
    ("num_seeds", 0, "num_seeds"),
    ("data.num_train_per_class", 10**9, "num_train_per_class"),
    ("model.widths", (8, 8.5), "must be an integer"),
    ("eval.grid_resolution", 2, "grid_resolution"),
    ("eval.plot_seed", 99, "plot_seed"),
    ("max_models_per_chunk", 0, "max_models_per_chunk"),
]


def with_override(path, value):
  config = get_config("quick")
  *parents, leaf = path.split(".")
  node = config
  for p in parents:
    node = node[p]
  with config.unlocked() if hasattr(config, "unlocked") else _null():
    node[leaf] = value
  return config


class _null:
  def __enter__(self):
    return self

  def __exit__(self, *a):
    return False


def test_corpus_is_large():
  assert len(BAD) >= 30


@pytest.mark.parametrize("path,value,fragment", BAD, ids=[f"{p}={v!r}" for p, v, _ in BAD])
def test_bad_config_raises_one_line_naming_it(path, value, fragment):
  config = with_override(path, value)
  with pytest.raises(ConfigError) as e:
    validate_study_config(config)
  message = str(e.value)
  assert "\n" not in message
  assert fragment in message
  assert repr(value) in message or path.split(".")[-1] in message


def test_default_and_quick_configs_are_valid():
  validate_study_config(get_config())
  validate_study_config(get_config("quick"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(["data.noise", "data.num_train_per_class", "optim.num_steps", "num_seeds",
                             "optim.eval_every_steps", "optim.batch_size", "eval.grid_resolution",
                             "optim.momentum", "max_models_per_chunk", "eval.plot_seed"]),
       value=st.one_of(st.integers(-10, 10_000), st.floats(allow_nan=True, allow_infinity=True),
                       st.booleans()))
def test_random_overrides_either_validate_or_fail_cleanly(path, value):
  """Any value either passes validation or raises ConfigError naming the field, never anything else."""
  config = get_config("quick")
  *parents, leaf = path.split(".")
  node = config
  for p in parents:
    node = node[p]
  try:
    node[leaf] = value
  except (TypeError, ValueError):
    return  # ml_collections refuses a type change itself: also a clean, named error
  try:
    validate_study_config(config)
  except ConfigError as e:
    assert leaf in str(e) and "\n" not in str(e)


def test_resource_estimate_of_the_default_config():
  from research.resources import describe_estimate, estimate
  e = estimate(get_config())
  assert e.num_models == 2400 and e.model_steps == 2400 * 2000  # 30 seeds x 80 cells
  assert 1e7 < e.peak_bytes < 2 * 1024**3 and 30 < e.seconds_estimate < 1800
  assert describe_estimate(get_config()).startswith("about 2,400 models x 2,000 steps, peak ")


def test_resource_estimate_counts_every_precision_as_its_own_models():
  from configs.precision import get_config as precision_config
  from research.resources import estimate
  c = precision_config()
  e = estimate(c)
  assert e.num_models == 720 and len(c.model.dtypes) == 3  # 240 models per precision
  with c.unlocked():
    c.model.dtypes = ("float32",)
  alone = estimate(c)
  assert alone.num_models == 240 and e.seconds_estimate > 3 * alone.seconds_estimate
  assert e.peak_bytes > alone.peak_bytes  # float64 doubles the bytes of a unit


@pytest.mark.parametrize("path,value,fragment", [
    ("num_seeds", 100_000, "models"), ("model.widths", (60_000,), "memory"),
    ("eval.grid_resolution", 4096, "memory")])
def test_requests_beyond_the_machine_are_refused(path, value, fragment):
  from research.resources import check_resources
  c = get_config()
  node, leaf = c, path.split(".")
  for part in leaf[:-1]:
    node = node[part]
  node[leaf[-1]] = value
  with pytest.raises(ConfigError, match=fragment) as e:
    check_resources(c)
  assert "\n" not in str(e.value)


def test_a_broken_hypothesis_file_is_skipped_with_one_warning(tmp_path, capsys):
  from research import hypotheses
  (tmp_path / "broken.py").write_text("HYPOTHESIS = (\n")
  found = hypotheses.discover([tmp_path])
  assert "relu_separates_better" in found and "broken" not in found
  err = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
  assert len(err) == 1 and "broken.py" in err[0] and "syntax error" in err[0]
  with pytest.raises(ValueError, match="broken.py: syntax error"):
    hypotheses.get_hypothesis("broken", [tmp_path])
