"""Two processes on localhost (CPU backend, JAX's distributed runtime) give a single process's results."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["-m", "experiments.relu_vs_leaky", "--config", "configs/relu_vs_leaky.py:quick", "--noprogress",
        "--noplots", "--config.data.names=('rings',)", "--config.model.activations=('relu','leaky_relu:0.2')",
        "--config.num_seeds=3", "--config.optim.num_steps=60", "--config.optim.eval_every_steps=20",
        "--config.eval.grid_resolution=24", "--config.eval.checkpoint_steps=()"]


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def test_two_processes_match_one(tmp_path):
  env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=1")
  single = subprocess.run([sys.executable, *ARGS, "--workdir", str(tmp_path / "single")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
  assert single.returncode == 0, single.stderr
  port = free_port()
  procs = [subprocess.Popen([sys.executable, *ARGS, "--workdir", str(tmp_path / "multi"),
                             f"--coordinator_address=127.0.0.1:{port}", "--num_processes=2",
                             f"--process_id={i}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True) for i in range(2)]
  outs = [p.communicate(timeout=600) for p in procs]
  assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
  assert "results in" in outs[0][0] and "results in" not in outs[1][0]
  a = pd.read_csv(tmp_path / "single" / "results.csv")
  b = pd.read_csv(tmp_path / "multi" / "results.csv")
  assert len(a) == len(b) == 6
  timing = [c for c in a.columns if c.endswith("time_s")]
  a, b = a.drop(columns=timing), b.drop(columns=timing)
  numeric = a.select_dtypes("number").columns
  pd.testing.assert_frame_equal(a.drop(columns=numeric), b.drop(columns=numeric))
  np.testing.assert_allclose(a[numeric].to_numpy(float), b[numeric].to_numpy(float), rtol=1e-5, atol=1e-6)
