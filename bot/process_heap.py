"""The C heap of a long-running worker: giving back what start-up freed.

Start-up (reading the knowledge, building the engine) makes and drops a great many small
objects; glibc keeps the pages they leave free unless asked, and `malloc_trim` returns them:
about 3 MiB of an idle worker (`bench/startup_bench.py`, median of 5). Off glibc it is a no-op.
"""

from __future__ import annotations

import contextlib
import ctypes
from typing import Any


class ProcessHeap:
    """The process's C library, for `malloc_trim`."""

    def __init__(self, libc: Any) -> None:
        self._libc = libc

    @classmethod
    def of_this_process(cls) -> ProcessHeap:
        """The C library this process runs on (none when it cannot be opened)."""
        with contextlib.suppress(OSError, TypeError):   # TypeError: no such call on Windows
            libc = ctypes.CDLL(None)
            with contextlib.suppress(AttributeError):
                libc.malloc_trim.argtypes = [ctypes.c_size_t]
                libc.malloc_trim.restype = ctypes.c_int
            return cls(libc)
        return cls(None)

    def give_back_freed(self) -> bool:
        """Return the heap's free pages to the system; True when any were."""
        call = getattr(self._libc, "malloc_trim", None)
        return bool(call is not None and call(0) == 1)
