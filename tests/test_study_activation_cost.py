"""The activation-cost study: the verdict rule, the summary arithmetic, the timed step, and the
quick variant end to end."""

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from configs.activation_cost import get_config
from research.activations import parse_activation
from research.studies import activation_cost as ac
from research.models import ModelSpec, forward, graphdef_of, init_model, loss_and_accuracy
from research.validation import ConfigError

from helpers import run_module


@pytest.mark.parametrize("ratios,expected", [
    ([1.2, 1.3, 1.25], ac.SUPPORTED),  # 20% slower in every round
    ([1.2, 1.3, 0.95], ac.INCONCLUSIVE),  # 20% slower at the median, but not in one round
    ([1.02, 1.04, 1.03], ac.REFUTED),  # slower, by less than 5%
    ([0.8, 0.9, 0.85], ac.REFUTED),  # faster than ReLU
])
def test_verdict_rule(ratios, expected):
  assert ac.verdict(np.array(ratios), 0.05) == expected


def test_summary_ratios_use_the_adjacent_relu_timings_and_config_order():
  rows = []
  for b in ("wide", "elementwise"):
    for r, load in enumerate((1.0, 3.0, 1.5)):  # a busy round slows every measurement alike
      rows += [dict(benchmark=b, activation="relu", round=r, time_per_call_s=1.0 * load, relu_adjacent_s=np.nan),
               dict(benchmark=b, activation="tanh", round=r, time_per_call_s=2.0 * load,
                    relu_adjacent_s=1.0 * load),
               dict(benchmark=b, activation="relu", round=r, time_per_call_s=1.0 * load, relu_adjacent_s=np.nan)]
  timings = pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # any row order
  setup = pd.DataFrame([dict(benchmark=b, activation=a, compile_s=0.1, warmup_s=0.01, calls_per_measurement=3)
                        for b in ("wide", "elementwise") for a in ("relu", "tanh")])
  config = get_config("quick")
  config.elementwise_size = 1000
  summary = ac.summarise(timings, setup, config)
  assert list(summary["activation"]) == ["relu", "tanh", "relu", "tanh"]
  assert list(summary["benchmark"]) == ["wide", "wide", "elementwise", "elementwise"]
  tanh = summary[summary["activation"] == "tanh"].iloc[0]
  # Ratios are exactly 2 in every round despite the load, though raw times overlap (2..6 vs 1..3).
  assert tanh["ratio_to_relu"] == tanh["ratio_min"] == tanh["ratio_max"] == 2.0
  assert tanh["min_s"] < summary.loc[0, "max_s"] and tanh["verdict"] == ac.SUPPORTED
  assert summary.loc[0, "verdict"] == "reference" and summary.loc[0, "measurements"] == 6
  # share = per-element time (median 1.5 s / 1000) x batch x hidden units / step median (1.5 s).
  n = config.networks["wide"]
  assert summary.loc[0, "activation_share_est"] == pytest.approx(n.batch_size * sum(n.hidden_widths) / 1000)


def test_each_activation_is_bracketed_by_relu_timings():
  config = get_config("quick")
  config.networks = {"small": config.networks["small"]}
  config.num_rounds = 2
  config.include_jax_nn_relu = False
  timings, setup = ac.measure(config)
  for (_, _), g in timings.groupby(["benchmark", "round"]):
    acts = g["activation"].tolist()
    assert acts[0::2] == ["relu"] * (len(config.activations))  # relu, X1, relu, X2, relu
    assert sorted(acts[1::2]) == sorted(a for a in config.activations if a != "relu")
    t = g["time_per_call_s"].to_numpy()
    np.testing.assert_allclose(g["relu_adjacent_s"].to_numpy()[1::2], (t[0:-1:2] + t[2::2]) / 2)
  assert (setup["calls_per_measurement"] >= 1).all() and (setup["compile_s"] > 0).all()


def test_timed_step_is_a_real_training_step():
  config = get_config("quick")
  act = parse_activation("leaky_relu:0.01")
  bench = ac.step_bench("small", act, config, jax.random.key(0))
  _, rest, x, y, _ = bench.args
  spec = ModelSpec(2, (8, 8, 8), 2, act, "he")

  def loss(params):
    return float(loss_and_accuracy(forward(graphdef_of(spec), params, rest, x)[0], y)[0])

  before = loss(bench.args[0])
  bench.run(20)
  assert loss(bench.args[0]) < before  # the chained calls trained the model
  fresh, _ = init_model(spec, np.uint32(config.seed), jnp.float32(0.01))
  assert loss(fresh) == before  # the benchmark starts from the models' own init


@pytest.mark.parametrize("field,value,fragment", [
    ("activations", ("tanh", "gelu"), "must include 'relu'"),
    ("activations", ("relu", "leakyrelu"), "valid activations"),
    ("activations", ("relu", "tanh", "tanh"), "repeat"),
    ("num_rounds", 1, "num_rounds"),
    ("warmup_calls", 0, "warmup_calls"),
])
def test_bad_values_are_refused(field, value, fragment):
  config = get_config("quick")
  config[field] = value
  with pytest.raises(ConfigError, match=fragment):
    ac.validate(config)


def run(*args, timeout=600):
  return run_module("experiments.activation_cost", *args, timeout=timeout)


def test_bad_config_exits_2_with_one_line(tmp_path):
  out = run("--config", "configs/activation_cost.py:quick", "--workdir", str(tmp_path),
            "--config.activations=('tanh',)", timeout=120)
  assert out.returncode == 2, (out.stdout, out.stderr)
  lines = [line for line in out.stderr.splitlines() if line.strip()]
  assert len(lines) == 1 and "must include 'relu'" in lines[0], out.stderr
  assert not (tmp_path / "summary.csv").exists()


def test_reference_relu_computes_the_registry_relu():
  x = jnp.linspace(-2.0, 2.0, 9)
  ours, registry = ac.jax_nn_relu(), parse_activation("relu")
  np.testing.assert_array_equal(ours.kind.fn(x, 0.0), registry.kind.fn(x, jnp.float32(registry.slope)))
  assert ours.spec not in {"relu"} and not ours.kind.learned_slope
