"""Which process does a piece of work (host:pid), and whether it is still alive: how the worker's recovery loop tells
a document or a retraining run whose process was killed from one that is still being worked on."""

from __future__ import annotations

import os

from settings import Settings


def worker_id(settings: Settings) -> str:
    """This process, as recorded on the work it takes: 'host:pid'."""
    return f"{settings.host_name}:{os.getpid()}"[:64]


def worker_gone(worker: str | None, settings: Settings) -> bool:
    """True when `worker` was a process on this host that no longer exists. (On another host only a lease or a time
    limit tells that a worker is gone.)"""
    if not worker or ":" not in worker:
        return False
    host, _, pid = worker.rpartition(":")
    if host != settings.host_name or not pid.isdigit():
        return False
    import psutil

    return int(pid) != os.getpid() and not psutil.pid_exists(int(pid))
