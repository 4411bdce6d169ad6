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
  swallowed = []
  monkeypatch.setattr(sys, "unraisablehook", lambda u: swallowed.append(u.exc_type))
  with pytest.raises(SystemExit) as e:
    with _signals.ends_cleanly("wd"):
      _SignalsFromDel(sig)  # dropped at once: __del__ runs, its exception is "ignored"
      gc.collect()
      deadline = time.time() + 5
      while time.time() < deadline:  # the work goes on, until the signal is raised again
        time.sleep(0.01)
      pytest.fail("the swallowed signal was lost")
  assert e.value.code == status
  err = capsys.readouterr().err
  assert "run the same command again to resume" in err
  # Swallowed at least once (in __del__; a re-raise can land in another destructor or gc callback,
  # jax registers one, and is raised again until caught).
  assert swallowed and set(swallowed) == {KeyboardInterrupt if sig == signal.SIGINT else _signals.Terminated}
  assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # nothing left armed


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
