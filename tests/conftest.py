"""Strict numerics for every test, and fake CPU devices for the sharded code paths."""

import os

# Four fake CPU devices so that sharding over the model axis is exercised on a laptop; must be set
# before jax is imported anywhere.
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_numpy_dtype_promotion", "standard")


@pytest.fixture(scope="session")
def quick_runs(tmp_path_factory):
  """Every study's quick run, each made once per test process on first use (tests/study_runs.py)."""
  from study_runs import QuickRuns
  return QuickRuns(tmp_path_factory.mktemp("quick"))
