"""How a process holds memory (floor 9): glibc's heap, tuned for workers that hold numpy arrays.

Every web worker builds and rebuilds the facet arrays (``publication/facet_index.py``) and reads
common tokens' sets of incidents as blocks of megabytes. By default glibc raises its threshold for
serving a block from its own mappings each time such a block is freed, so the next ones come from
the heap, where freed memory stays with the process: a worker at a million incidents then held
about 235 MB instead of 175 MB.

And by default each thread that allocates gets a heap (an arena) of its own. A gunicorn thread's is
small, so a request's arrays of a million rows came from new mappings, each page faulted in
afresh: 3,000 faults a request under a region, a period and an abuse type, half of its CPU.
With one heap for every thread they come from what the process freed already (bench/README.md).
The calls below do nothing where the C library is not glibc.
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # glibc's mallopt parameters (malloc.h)
# Blocks from this size on get mappings of their own, returned to the system when freed.
MAPPED_FROM = 128 * 1024


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


_LIBC = _glibc()


def tune_heap() -> None:
    """One heap for every thread, and every block of MAPPED_FROM bytes or more served from its own
    mapping, for good (a fixed threshold also stops glibc from raising it). Called before the
    process starts threads: a thread keeps the heap it first allocated from."""
    if _LIBC is not None:
        _LIBC.mallopt(M_ARENA_MAX, 1)
        _LIBC.mallopt(M_MMAP_THRESHOLD, MAPPED_FROM)


def give_back_freed() -> None:
    """Return to the system what the heap holds freed (after building the facet arrays)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
