"""Processes: workers that end with the process that started them, and telling whether the
process that ran something has ended.

A worker left behind by a parent killed outright (`kill -9`) would go on committing rows that
no one counts, then wait forever for work, holding its database connections. On Linux the
kernel kills it when its parent dies (PR_SET_PDEATHSIG); elsewhere, and for a parent that died
before the worker asked, the worker checks between batches that its parent is still there.
"""

import ctypes
import os
import signal
import socket
import sys
from pathlib import Path

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


def this_process() -> str:
    """Who runs something, as `host pid start`: the start time (in clock ticks since boot, from
    /proc) tells this process from an earlier one that had the same pid, as a restarted
    container's first process has."""
    return f"{socket.gethostname()} {os.getpid()} {_started(os.getpid())}"


def has_ended(runner: str) -> bool | None:
    """Whether the process `this_process()` named has ended: None when it ran on another host
    (or this one cannot tell), whose processes this one cannot see."""
    parts = runner.split(" ")
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return None
    if not _started(os.getpid()).isdigit():  # no /proc here
        return None
    return _started(int(parts[1])) != parts[2]


def _started(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return "ended"
    except OSError:
        return "?"
    # The command name (in parentheses) may hold spaces: count the fields after it.
    return stat.rsplit(")", 1)[1].split()[19]
