"""Two processes on localhost (CPU backend, JAX's distributed runtime) give a single process's results."""

import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import json

import numpy as np
import pandas as pd
import pytest

from helpers import several_outcomes, start_modules

ROOT = Path(__file__).resolve().parents[1]
# study -> (shrinking overrides of its quick config, the tables to compare). Three kinds: a plain
# sweep, a sweep with derived tables and a sweep of exact region counts through checkpoints, and a
# study with work outside its sweep (born-dead simulation) and its sweep in a subfolder.
STUDIES = {
    "relu_vs_leaky": (["--config.data.names=('rings',)", "--config.model.activations=('relu','leaky_relu:0.2')",
                       "--config.num_seeds=3", "--config.optim.num_steps=60", "--config.optim.eval_every_steps=20",
                       "--config.eval.grid_resolution=24", "--config.eval.checkpoint_steps=()"],
                      ["results.csv"]),
    # Two of the quick config's three activations, one program (the leaky family): kept runs and
    # their Betti tables still come from both processes' shards.
    "topology": (["--config.num_seeds=2", "--config.eval.expensive_seeds=2",
                  "--config.model.activations=('relu','leaky_relu:0.2')"],
                 ["results.csv", "kept_runs.csv", "betti_per_layer.csv"]),
    "linear_regions": (["--config.model.neurons=(8,)"], ["results.csv", "regions.csv"]),
    "dying_relu": (["--config.born_dead.num_inits=200"], ["born_dead.csv", "trained/results.csv"]),
}


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def _command(study: str, workdir: Path, *extra: str) -> list[str]:
  return [f"experiments.{study}", "--config", f"configs/{study}.py:quick", "--noprogress", "--noplots",
          *STUDIES[study][0], "--workdir", str(workdir / study), *extra]


def run_single_and_two_processes(studies: list[str], root: Path) -> dict:
  """study -> (the single process's outcome, the two processes' outcomes). Each process runs every
  study in turn through its command's main(argv) (tests/helpers.run_modules: one import of jax and
  the library per process, not per study), the two processes joining the distributed runtime once."""
  # The reference is one process with as many devices as the two processes have together: the
  # same mesh and shards, so the tables must agree to float rounding (across device counts the
  # engine agrees only to float tolerance, which threshold metrics such as inactive fractions can
  # amplify through training; tests/test_sharding.py checks that).
  single = several_outcomes(start_modules([_command(s, root / "single") for s in studies], dict(
      os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")), studies)
  port = free_port()
  env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=1")
  commands = [[_command(s, root / "multi", f"--coordinator_address=127.0.0.1:{port}", "--num_processes=2",
                        f"--process_id={i}") for s in studies] for i in range(2)]
  procs = [start_modules(c, env) for c in commands]
  with ThreadPoolExecutor(2) as pool:  # both read at once: neither blocks on a full pipe at exit
    multi = list(pool.map(several_outcomes, procs, commands))
  return {s: (single[k], [multi[0][k], multi[1][k]]) for k, s in enumerate(studies)}


# The plain sweep runs only under -m slow: every other study here runs a sweep through the same
# runner and store (topology's is a plain sweep plus derived tables), and the engine's own
# two-process test below covers the sharded training, so it adds a 20-30 s run and no new path.
SLOW = {"relu_vs_leaky"}


@pytest.fixture(scope="module")
def fast_runs(tmp_path_factory):
  """The studies not under -m slow, all in one set of three processes."""
  root = tmp_path_factory.mktemp("distributed")
  return root, run_single_and_two_processes([s for s in STUDIES if s not in SLOW], root)


@pytest.mark.parametrize("study", [pytest.param(s, marks=pytest.mark.slow) if s in SLOW else s
                                   for s in STUDIES])
def test_two_processes_match_one(request, tmp_path, study):
  if study in SLOW:
    root, runs = tmp_path, run_single_and_two_processes([study], tmp_path)
  else:
    root, runs = request.getfixturevalue("fast_runs")
  single, outs = runs[study]
  assert single.returncode == 0, single.stderr[-3000:]
  assert all(o.returncode == 0 for o in outs), [o.stderr[-2000:] for o in outs]
  # Only process 0 writes: its summary line names the results, process 1 prints none.
  assert "report:" in outs[0].stdout and "report:" not in outs[1].stdout and "results in" not in outs[1].stdout
  for table in STUDIES[study][1]:
    a = pd.read_csv(root / "single" / study / table)
    b = pd.read_csv(root / "multi" / study / table)
    assert len(a) == len(b) > 0, table
    timing = [c for c in a.columns if c.endswith("time_s")]
    a, b = a.drop(columns=timing), b.drop(columns=timing)
    numeric = a.select_dtypes("number").columns
    pd.testing.assert_frame_equal(a.drop(columns=numeric), b.drop(columns=numeric))
    np.testing.assert_allclose(a[numeric].to_numpy(float), b[numeric].to_numpy(float), rtol=1e-5, atol=1e-6,
                               err_msg=table)


ENGINE_SCRIPT = """
import json, sys
from research import distributed
num_processes, process_id, port, group = (int(a) if a.isdigit() else None for a in sys.argv[1:5])
if num_processes > 1:
  distributed.initialize(f"127.0.0.1:{port}", num_processes, process_id)
import jax, numpy as np
from research.activations import leaky_family, parse_activation
from research.models import ModelSpec
from research.model_batch import ModelBatch
from research.train import TrainSpec, train_models
rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, size=(2, 64, 2)).astype(np.float32)
y = ((x[..., 0] * x[..., 1]) > 0).astype(np.int32)
batch = ModelBatch(seed=np.arange(16), activations=leaky_family(np.linspace(0, 0.3, 16)), lr=np.full(16, 0.02),
                   data_index=np.arange(16) % 2)
res = train_models(ModelSpec(2, (8, 8), 2, parse_activation("leaky_relu:0.1"), "he"),
                   TrainSpec(num_steps=30, eval_every_steps=10), dict(x_train=x, y_train=y, x_test=x, y_test=y),
                   batch, progress=False, group_size=group)
if jax.process_index() == 0:
  print(json.dumps(dict(devices=jax.device_count(), leaves=[np.asarray(l).tolist() for l in jax.tree.leaves(res.params)])))
"""


def test_two_processes_training_in_groups_match_one_process():
  # 2 processes x 2 devices: each device trains its 4 models in 2 groups of 2 (a shard_map over
  # a mesh that spans both processes); the reference is one process, one device, no groups.
  run = lambda args, devices: subprocess.Popen(
      [sys.executable, "-c", ENGINE_SCRIPT, *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True,
      env=dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}"))
  single = run((1, 0, 0, "none"), 1)
  out, err = single.communicate(timeout=600)
  assert single.returncode == 0, err[-2000:]
  reference = json.loads(out.strip().splitlines()[-1])
  port = free_port()
  procs = [run((2, i, port, 2), 2) for i in range(2)]
  outs = [p.communicate(timeout=600) for p in procs]
  assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
  grouped = json.loads(outs[0][0].strip().splitlines()[-1])
  assert reference["devices"] == 1 and grouped["devices"] == 4
  for a, b in zip(reference["leaves"], grouped["leaves"]):
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6)
