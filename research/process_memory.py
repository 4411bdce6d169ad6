"""Process-wide malloc settings: keep freed memory for reuse instead of returning it to the OS.

glibc serves large allocations (above a threshold that starts at 128 KiB) with fresh mmaps and
returns freed heap tops to the kernel, so numpy code that allocates and frees many arrays of a few
MB, as the exact region enumerator does (edge_subdivision.py: about 15 passes per layer over
(vertices x units) float64 arrays), touches fresh pages on every pass: about 4,200 page faults per
trained 2-64-64-64 net, which on the AMD EPYC VM host cost 30-45% of its CPU time (the same 8 nets
counted at 2.4e5-4.0e5 regions per CPU-second as glibc defaults them, 4.4e5-5.7e5 with these
settings, alternating runs; 21-28 faults per net). Only the process's owner should call this (the
entry points, the benchmark's pool workers), never a library function on import.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)
# Arrays up to this size come from the heap and are reused after a free; larger ones are still
# mapped and unmapped (keeps one huge temporary from fragmenting the heap).
MMAP_THRESHOLD = 256 << 20
# Up to this much freed memory at the top of the heap is kept rather than returned to the OS.
TRIM_THRESHOLD = 1 << 30

_done = False


def reuse_freed_memory() -> bool:
  """Sets glibc's mmap and trim thresholds once per process; False where libc is not glibc."""
  global _done
  if _done:
    return True
  try:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    mallopt = libc.mallopt
  except (OSError, AttributeError):  # macOS, musl without mallopt, Windows: leave the defaults
    return False
  mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
  _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
  return _done
