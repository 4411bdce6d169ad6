"""End-to-end: the real experiment entry points, run as a user runs them."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from helpers import run_module, run_modules

ROOT = Path(__file__).resolve().parents[1]


run = run_module


# Each case is a fresh interpreter (3-4 s of imports). tests/test_bad_inputs.py runs every one of
# these through the same entry point in-process (and four through the real command), so only the
# unknown key stays in the default suite as a real command; the rest run under -m slow.
_IN_PROCESS_TOO = pytest.mark.slow


@pytest.mark.parametrize("args,fragment", [
    pytest.param(["--config.num_seeds=0"], "num_seeds", marks=_IN_PROCESS_TOO),
    pytest.param(["--config.model.init=kaiming"], "valid initialisers", marks=_IN_PROCESS_TOO),
    pytest.param(["--config.model.activations=('relu','leakyrelu')"], "valid activations", marks=_IN_PROCESS_TOO),
    (["--config.num_sed=3"], "num_sed"),
    pytest.param(["--config.num_seeds=2.5"], "num_seeds", marks=_IN_PROCESS_TOO),
    pytest.param(["--config", "configs/relu_vs_leaky.py:quik"], "quik", marks=_IN_PROCESS_TOO),
])
def test_bad_input_exits_2_with_one_line(tmp_path, args, fragment):
  out = run("experiments.relu_vs_leaky", "--config", "configs/relu_vs_leaky.py:quick",
            "--workdir", str(tmp_path), *args, timeout=120)
  assert out.returncode == 2, (out.stdout, out.stderr)
  assert "Traceback" not in out.stderr
  lines = [l for l in out.stderr.splitlines() if l.strip()]
  assert len(lines) == 1 and fragment in lines[0], out.stderr
  assert not (tmp_path / "units").exists()  # nothing was run


def test_workdir_of_another_config_is_refused(tmp_path):
  # A short run is enough: the refusal compares configs, whatever was trained.
  base = ["experiments.relu_vs_leaky", "--config", "configs/relu_vs_leaky.py:quick", "--workdir",
          str(tmp_path), "--noprogress", "--noplots", "--config.data.names=('rings',)",
          "--config.optim.num_steps=20", "--config.optim.eval_every_steps=10",
          "--config.eval.checkpoint_steps=()", "--config.eval.grid_resolution=24"]
  # Both in one interpreter: the refusal reads the config stored in the workdir, nothing in memory.
  first, out = run_modules([[*base, "--config.model.activations=('relu',)"],
                            [*base, "--config.model.activations=('tanh',)"]])
  assert first.returncode == 0, first.stderr[-2000:]
  assert out.returncode == 2 and "--overwrite" in out.stderr


def _sweep_command(extra_args: tuple[str, ...]) -> list[str]:
  return [sys.executable, "-m", "experiments.relu_vs_leaky", "--config", "configs/relu_vs_leaky.py:quick",
          "--workdir", "{workdir}", "--noprogress", "--noplots", *extra_args]


ONE_DEVICE = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=1")


def _signal_mid_sweep(workdir: Path, units_before_kill: int, seed: int, sig=signal.SIGKILL,
                      extra_args: tuple[str, ...] = ()) -> None:
  """Starts (or resumes) the quick sweep and sends `sig` once `units_before_kill` units are on disk
  (plus a random delay, so the signal may land mid-unit or mid-write); checks how it ended."""
  cmd = [a.format(workdir=workdir) for a in _sweep_command(extra_args)]
  # As in a terminal: a shell's background jobs (CI, make under &) inherit SIGINT ignored, and a
  # Python started with SIGINT ignored never raises KeyboardInterrupt.
  default_sigint = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
  proc = subprocess.Popen(cmd, cwd=ROOT, env=ONE_DEVICE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, preexec_fn=default_sigint)
  deadline = time.time() + 300
  while len(list(workdir.glob("units/*.json"))) < units_before_kill and proc.poll() is None:
    assert time.time() < deadline
    time.sleep(0.05)
  time.sleep(random.Random(seed).uniform(0.0, 0.2))
  proc.send_signal(sig)
  _, err = proc.communicate(timeout=300)
  if sig == signal.SIGKILL:
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
  else:  # Ctrl-C (130) or SIGTERM (143): one line saying how to resume, no traceback
    assert proc.returncode == 128 + sig, (proc.returncode, err[-2000:])
    lines = [l for l in err.splitlines() if l.strip() and not l.startswith("warning: hypothesis")]
    assert len(lines) == 1 and "run the same command again to resume" in lines[0], err[-2000:]
  assert not (workdir / "results.csv").exists()


def _resume(workdir: Path, extra_args: tuple[str, ...] = ()) -> pd.DataFrame:
  """Reruns the interrupted sweep to completion; its results table."""
  cmd = [a.format(workdir=workdir) for a in _sweep_command(extra_args)]
  out = subprocess.run(cmd, cwd=ROOT, env=ONE_DEVICE, capture_output=True, text=True, timeout=600)
  assert out.returncode == 0, out.stderr
  assert "units resumed from disk" in out.stdout
  assert not list(workdir.glob("units/.*.tmp"))  # no half-written unit survives as a unit
  return pd.read_csv(workdir / "results.csv")


def _kill_and_resume(workdir: Path, units_before_kill: int, seed: int, sig=signal.SIGKILL,
                     extra_args: tuple[str, ...] = ()) -> pd.DataFrame:
  """One signal mid-sweep, then the rerun to completion."""
  _signal_mid_sweep(workdir, units_before_kill, seed, sig, extra_args)
  return _resume(workdir, extra_args)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
  timing = [c for c in frame.columns if c.endswith("time_s")]
  return frame.drop(columns=timing).sort_values(["unit", "model_index"]).reset_index(drop=True)


# Units long enough (seconds each, even with a warm compilation cache) that the signal always lands
# while the sweep still runs.
LONG = ("--config.optim.num_steps=3000", "--config.optim.eval_every_steps=500",
        "--config.eval.checkpoint_steps=()")


@pytest.fixture(scope="module")
def references(tmp_path_factory):
  """The results tables of the uninterrupted quick sweep and of the LONG one, both computed in one
  interpreter (one import of jax and the library instead of two)."""
  workdirs = [tmp_path_factory.mktemp("uninterrupted"), tmp_path_factory.mktemp("long_uninterrupted")]
  outs = run_modules([[a.format(workdir=w) for a in _sweep_command(extra)[2:]]
                      for w, extra in zip(workdirs, ((), LONG))])
  for out in outs:
    assert out.returncode == 0, out.stderr
  return [pd.read_csv(w / "results.csv") for w in workdirs]


@pytest.fixture(scope="module")
def uninterrupted(references):
  return references[0]


def test_killed_sweep_resumes_to_identical_results(tmp_path, uninterrupted):
  """SIGKILL mid-sweep, rerun: same rows, same values, as an uninterrupted run."""
  resumed = _kill_and_resume(tmp_path, units_before_kill=1, seed=0)
  pd.testing.assert_frame_equal(_comparable(resumed), _comparable(uninterrupted), check_exact=True)


@pytest.fixture(scope="module")
def long_uninterrupted(references):
  return references[1]


def test_interrupted_sweep_says_how_to_resume_and_resumes_to_identical_results(tmp_path, long_uninterrupted):
  """Ctrl-C mid-sweep, then SIGTERM mid-resume (each one line and its exit status), then a rerun:
  the same table as an uninterrupted run. One sweep for both signals: each interrupted run is
  seconds of 3000-step units, and a second full sweep would check nothing the first does not."""
  _signal_mid_sweep(tmp_path, units_before_kill=1, seed=5, sig=signal.SIGINT, extra_args=LONG)
  done = len(list(tmp_path.glob("units/*.json")))
  _signal_mid_sweep(tmp_path, units_before_kill=done + 1, seed=6, sig=signal.SIGTERM, extra_args=LONG)
  resumed = _resume(tmp_path, LONG)
  pd.testing.assert_frame_equal(_comparable(resumed), _comparable(long_uninterrupted), check_exact=True)


@pytest.mark.slow
@pytest.mark.parametrize("units_before_kill,seed", [(0, 1), (1, 2), (2, 3), (2, 4)])
def test_killed_sweep_resumes_at_several_points(tmp_path, uninterrupted, units_before_kill, seed):
  resumed = _kill_and_resume(tmp_path, units_before_kill, seed)
  pd.testing.assert_frame_equal(_comparable(resumed), _comparable(uninterrupted), check_exact=True)


THROWAWAY = '''
from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="Throwaway: ReLU beats LeakyReLU(0.2) on rings.",
    study="relu_vs_leaky", factor="activation", treatment="relu", control="leaky_relu:0.2",
    metric="test_acc", direction="greater", min_effect=0.0, conditions={"dataset": ["rings"]},
    num_seeds=3)
'''


def test_throwaway_hypothesis_is_discovered_run_and_reported(tmp_path):
  folder = tmp_path / "mine"
  folder.mkdir()
  (folder / "throwaway_claim.py").write_text(THROWAWAY)
  # Both commands in one interpreter (discovery keeps nothing between calls: each needs its own
  # --hypotheses_dir).
  listed, out = run_modules([
      ["experiments.hypothesis", "--list", "--hypotheses_dir", str(folder)],
      ["experiments.hypothesis", "--hypothesis", "throwaway_claim", "--hypotheses_dir", str(folder),
       "--workdir", str(tmp_path / "run"), "--quick", "--noprogress"]])
  assert listed.returncode == 0 and "throwaway_claim [relu_vs_leaky]: Throwaway" in listed.stdout
  assert out.returncode == 0, out.stderr
  results = pd.read_csv(tmp_path / "run" / "results.csv")
  # Exactly the two arms on the hypothesis' grid, paired over its seeds.
  assert set(results["activation"]) == {"relu", "leaky_relu:0.2"} and set(results["dataset"]) == {"rings"}
  assert sorted(results["seed"].unique()) == [0, 1, 2]
  report = (tmp_path / "run" / "hypothesis.md").read_text()
  assert "Throwaway: ReLU beats LeakyReLU(0.2) on rings." in report and "Verdict:" in report


# A linear_regions claim of our own, on arms and a training length the quick config does not have
# (the shipped density_grows_with_neurons asks for 192-neuron nets trained 1000 steps: minutes).
REGIONS_CLAIM = '''
from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="Throwaway: 24 neurons cross more regions per unit length than 12.",
    study="linear_regions", factor="neurons", treatment=24, control=12, metric="log2_density",
    direction="greater", min_effect=0.0, conditions={"activation": ["relu"], "depth": [1, 2], "step": [0, 100]},
    num_seeds=2)
'''


def test_a_hypothesis_of_any_study_runs(tmp_path):
  # linear_regions and activation_cost once had runners of their own that this command refused.
  folder = tmp_path / "mine"
  folder.mkdir()
  (folder / "regions_claim.py").write_text(REGIONS_CLAIM)
  out = run("experiments.hypothesis", "--hypothesis", "regions_claim", "--hypotheses_dir", str(folder),
            "--workdir", str(tmp_path / "run"), "--quick", "--noprogress")
  # The quick config has neither 24 nor 12 neurons, nor 100 steps: the runner sets the hypothesis' arms.
  assert out.returncode == 0, out.stderr[-3000:]
  regions = pd.read_csv(tmp_path / "run" / "regions.csv")
  assert set(regions["neurons"]) == {24, 12} and set(regions["activation"]) == {"relu"}
  assert set(regions["step"]) == {0, 100} and set(regions["depth"]) == {1, 2}
  assert "regions_claim" in (tmp_path / "run" / "hypothesis.md").read_text()


def test_hypothesis_with_unknown_metric_fails_before_training(tmp_path):
  folder = tmp_path / "mine"
  folder.mkdir()
  (folder / "bad_metric.py").write_text(THROWAWAY.replace('metric="test_acc"', 'metric="test_accuracy"'))
  out = run("experiments.hypothesis", "--hypothesis", "bad_metric", "--hypotheses_dir", str(folder),
            "--workdir", str(tmp_path / "run"), "--quick", timeout=120)
  assert out.returncode == 2 and "test_accuracy" in out.stderr and "Traceback" not in out.stderr
  assert not (tmp_path / "run").exists()


def _mount_tmpfs(path: Path, size: str) -> bool:
  path.mkdir(parents=True, exist_ok=True)
  return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                        capture_output=True).returncode == 0


def test_a_full_disk_is_one_line_and_leaves_the_store_consistent(tmp_path):
  disk = tmp_path / "small_disk"
  if not _mount_tmpfs(disk, "160k"):
    pytest.skip("cannot mount a tmpfs here (needs root)")
  try:
    out = run("experiments.relu_vs_leaky", "--config", "configs/relu_vs_leaky.py:quick", "--workdir",
              str(disk / "w"), "--noprogress", "--noplots")
    lines = [l for l in out.stderr.splitlines() if l.strip()]
    assert out.returncode == 1 and len(lines) == 1, out.stderr[-2000:]
    assert "no space left" in lines[0] and str(disk / "w") in lines[0] and "bytes" in lines[0]
    from research.store import Store
    store = Store(disk / "w", None)
    for record in (disk / "w" / "units").glob("*.json"):  # every unit on disk is whole
      assert store.check_unit(record.stem) is None
    assert not list((disk / "w").rglob("*.tmp"))
  finally:
    subprocess.run(["umount", str(disk)], capture_output=True)
