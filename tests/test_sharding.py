"""The model axis sharded over 4 (fake CPU) devices gives the results of 1 device."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, sys
import jax, numpy as np
from research.activations import leaky_family, parse_activation
from research.models import ModelSpec
from research.model_batch import ModelBatch
from research.train import TrainSpec, train_models
rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, size=(2, 64, 2)).astype(np.float32)
y = ((x[..., 0] * x[..., 1]) > 0).astype(np.int32)
data = dict(x_train=x, y_train=y, x_test=x, y_test=y)
batch = ModelBatch(seed=np.arange(6), activations=leaky_family(np.linspace(0, 0.3, 6)), lr=np.full(6, 0.01),
                   data_index=np.arange(6) % 2)
res = train_models(ModelSpec(2, (8, 8), 2, parse_activation("relu"), "he"),
                   TrainSpec(num_steps=30, eval_every_steps=10), data, batch, progress=False)
leaves = [np.asarray(l).tolist() for l in jax.tree.leaves(res.params)]
print(json.dumps(dict(devices=jax.device_count(), leaves=leaves, loss=res.final["train_loss"].tolist())))
"""


def run_with_devices(n: int) -> dict:
  env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n}")
  out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=300)
  assert out.returncode == 0, out.stderr
  return json.loads(out.stdout.strip().splitlines()[-1])


def test_four_devices_match_one_device():
  one, four = run_with_devices(1), run_with_devices(4)
  assert one["devices"] == 1 and four["devices"] == 4
  # 6 models over 4 devices: padded to 8, so the padding path is exercised too.
  for a, b in zip(one["leaves"], four["leaves"]):
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-6, atol=1e-7)
  np.testing.assert_allclose(one["loss"], four["loss"], rtol=1e-6)
