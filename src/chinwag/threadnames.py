"""Threads named for the operating system too.

Python keeps a thread's name to itself (before 3.14): `top -H`, `/proc/PID/task/*/comm`,
`perf` and `ps -L` show every thread of the server as "python", so which one is busy (the
SQLite writer, the log's sync, the checkpoints, a reader) could only be guessed from
thread ids. Each long-lived thread calls `name_os_thread` first; the kernel keeps 15
bytes, so the name goes without its "chinwag-" prefix.
"""

from __future__ import annotations

import ctypes
import sys
import threading

_PR_SET_NAME = 15  # prctl(2)
_PREFIX = "chinwag-"
_MAX = 15  # bytes the kernel keeps, without the terminating NUL


def os_name(name: str) -> bytes:
    """The kernel's name for a thread called `name`."""
    return name.removeprefix(_PREFIX).encode()[:_MAX]


def name_os_thread() -> None:
    """Give the calling thread's name to the kernel (Linux; elsewhere nothing happens)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_NAME, os_name(threading.current_thread().name), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # a name is a convenience: never a reason for a thread to fail
