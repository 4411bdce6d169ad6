"""experiments/_signals.py: an interrupt is never lost, even when its exception is swallowed."""

import gc
import os
import signal
import sys
import time

import pytest

from experiments import _signals


class _SignalsFromDel:
  """Sends a signal to this process from its __del__ and waits there for the handler to run:
  the handler's exception is raised inside __del__, where Python ignores it."""

  def __init__(self, sig):
    self.sig = sig

  def __del__(self):
    os.kill(os.getpid(), self.sig)
    for _ in range(1000):  # the handler runs between bytecodes, here
      pass


@pytest.mark.parametrize("sig,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_swallowed_in_a_destructor_still_ends_the_run(sig, status, capsys, monkeypatch):
  unraisable, raises = [], []
  monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(u.exc_type))
  real_raise = _signals._raise
  monkeypatch.setattr(_signals, "_raise", lambda exc_type: (raises.append(exc_type), real_raise(exc_type)))
  with pytest.raises(SystemExit) as e:
    with _signals.ends_cleanly("wd"):
      _SignalsFromDel(sig)  # dropped at once: __del__ runs, its exception is "ignored"
      gc.collect()
      deadline = time.time() + 5
      while time.time() < deadline:  # the work goes on, until the signal is raised again
        time.sleep(0.01)
      pytest.fail("the swallowed signal was lost")
  assert e.value.code == status
  # One line: the swallowed raise is not printed as "Exception ignored in ..." (the default hook
  # would have printed a traceback, as a Ctrl-C in jax's _xla_gc_callback did).
  lines = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
  assert len(lines) == 1 and "run the same command again to resume" in lines[0], lines
  assert not unraisable  # nothing reached the previous hook
  # Swallowed at least once (in __del__; a re-raise can land in another destructor or gc callback,
  # jax registers one), and raised again until caught.
  assert len(raises) >= 2
  assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # nothing left armed
  sys.unraisablehook(type("U", (), dict(exc_type=ValueError, exc_value=ValueError()))())  # restored
  assert unraisable == [ValueError]


class _FailsInDel:
  def __del__(self):
    raise ValueError("from __del__")


def test_other_unraisable_exceptions_are_still_reported(monkeypatch):
  unraisable = []
  monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(u.exc_type))
  with _signals.ends_cleanly(None):
    _FailsInDel()
    gc.collect()
  assert unraisable == [ValueError]


def test_handlers_are_restored_and_an_ignored_sigint_stays_ignored():
  before = signal.signal(signal.SIGINT, signal.SIG_IGN)
  try:
    with _signals.ends_cleanly(None):
      assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
      assert signal.getsignal(signal.SIGTERM) is _signals._on_sigterm
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is not _signals._on_sigterm
  finally:
    signal.signal(signal.SIGINT, before)
