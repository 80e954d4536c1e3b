"""Worker processes that end with the process that started them.

A worker left behind by a parent killed outright (`kill -9`) would go on committing rows that
no one counts, then wait forever for work, holding its database connections. On Linux the
kernel kills it when its parent dies (PR_SET_PDEATHSIG); elsewhere, and for a parent that died
before the worker asked, the worker checks between batches that its parent is still there.
"""

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ParentGone(Exception):
    """The process that started this worker has ended: stop before the next batch."""


def die_with_parent(parent: int) -> None:
    """In a worker process started by `parent` (its pid): be killed when the parent dies."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    check_parent(parent)


def check_parent(parent: int) -> None:
    """ParentGone when `parent` is no longer this process's parent (it died: the worker was
    handed to another process)."""
    if os.getppid() != parent:
        raise ParentGone(f"the process that started this worker ({parent}) has ended")
