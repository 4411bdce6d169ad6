"""How an entry point ends when it is interrupted or the disk fills: one line, a conventional
exit status, and a store left consistent (every unit on disk is whole: research/store.py).

Ctrl-C (SIGINT) exits 130 and SIGTERM 143 (128 + the signal), each with one line saying how to
resume; a full disk exits 1 with one line naming the folder and the bytes a write needed.

A signal's exception is raised wherever Python is when the handler runs; if that is inside a
garbage-collector callback or a __del__ (JAX runs one after collections), Python prints
"Exception ignored in ..." and carries on, and the interrupt would be lost (seen: a Ctrl-C
swallowed by jax's _xla_gc_callback, the sweep running to the end and exiting 0). So a signal
stays pending until `ends_cleanly` has caught its exception, and is raised again every
RERAISE_S seconds until then (SIGALRM); the swallowed raise itself is not printed (its
"Exception ignored" traceback would bury the one line), every other unraisable exception is.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import sys


RERAISE_S = 0.1


class Terminated(BaseException):
  """SIGTERM, raised where the program is (like KeyboardInterrupt for SIGINT)."""


_pending: list[type[BaseException]] = []  # the exception of a signal not yet caught below


def _raise(exc_type: type[BaseException]):
  _pending[:] = [exc_type]
  signal.setitimer(signal.ITIMER_REAL, RERAISE_S)  # again, in case this raise is swallowed
  raise exc_type()


def _on_sigint(signum, frame):
  _raise(KeyboardInterrupt)


def _on_sigterm(signum, frame):
  _raise(Terminated)


def _on_alarm(signum, frame):
  if _pending:
    _raise(_pending[0])


def _quiet_about_a_pending_signal(hook):
  """sys.unraisablehook that drops the pending signal's swallowed exception (it is raised again)."""
  def unraisable(info):
    if not (_pending and isinstance(info.exc_value, _pending[0])):
      hook(info)
  return unraisable


def _caught():
  _pending.clear()
  signal.setitimer(signal.ITIMER_REAL, 0)


@contextlib.contextmanager
def ends_cleanly(workdir: str | None):
  """Turns Ctrl-C, SIGTERM and a full disk inside the block into one line and an exit status."""
  handlers = {signal.SIGTERM: _on_sigterm, signal.SIGALRM: _on_alarm}
  # A shell's background job starts with SIGINT ignored (as nohup would have it): keep that.
  if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
    handlers[signal.SIGINT] = _on_sigint
  previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
  previous_hook, sys.unraisablehook = sys.unraisablehook, _quiet_about_a_pending_signal(sys.unraisablehook)
  where = f" in {workdir}" if workdir else ""
  resume = (f"finished units are saved{where}; run the same command again to resume")
  try:
    yield
  except KeyboardInterrupt:
    _caught()
    print(f"interrupted (Ctrl-C): {resume}", file=sys.stderr)
    sys.exit(128 + signal.SIGINT)
  except Terminated:
    _caught()
    print(f"terminated (SIGTERM): {resume}", file=sys.stderr)
    sys.exit(128 + signal.SIGTERM)
  except OSError as e:
    if e.errno != errno.ENOSPC:
      raise
    print(f"error: {e.strerror or e}; {resume} once there is space", file=sys.stderr)
    sys.exit(1)
  finally:
    _caught()
    sys.unraisablehook = previous_hook
    for sig, handler in previous.items():
      signal.signal(sig, handler)
