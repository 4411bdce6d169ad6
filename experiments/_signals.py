"""How an entry point ends when it is interrupted or the disk fills: one line, a conventional
exit status, and a store left consistent (every unit on disk is whole: research/store.py).

Ctrl-C (SIGINT) exits 130 and SIGTERM 143 (128 + the signal), each with one line saying how to
resume; a full disk exits 1 with one line naming the folder and the bytes a write needed.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import sys


class Terminated(BaseException):
  """SIGTERM, raised where the program is (like KeyboardInterrupt for SIGINT)."""


def _raise_terminated(signum, frame):
  raise Terminated()


@contextlib.contextmanager
def ends_cleanly(workdir: str | None):
  """Turns Ctrl-C, SIGTERM and a full disk inside the block into one line and an exit status."""
  previous = signal.signal(signal.SIGTERM, _raise_terminated)
  where = f" in {workdir}" if workdir else ""
  resume = (f"finished units are saved{where}; run the same command again to resume")
  try:
    yield
  except KeyboardInterrupt:
    print(f"interrupted (Ctrl-C): {resume}", file=sys.stderr)
    sys.exit(128 + signal.SIGINT)
  except Terminated:
    print(f"terminated (SIGTERM): {resume}", file=sys.stderr)
    sys.exit(128 + signal.SIGTERM)
  except OSError as e:
    if e.errno != errno.ENOSPC:
      raise
    print(f"error: {e.strerror or e}; {resume} once there is space", file=sys.stderr)
    sys.exit(1)
  finally:
    signal.signal(signal.SIGTERM, previous)
