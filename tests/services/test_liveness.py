"""services.liveness: the process recorded on work ('host:pid'), and whether it is gone."""

from __future__ import annotations

import os
import subprocess

from services.liveness import worker_gone, worker_id


def test_a_worker_is_its_host_and_process_id(settings):
    assert worker_id(settings) == f"{settings.host_name}:{os.getpid()}"


def test_only_a_process_of_this_host_that_no_longer_exists_is_gone(settings):
    ended = subprocess.Popen(["true"])
    ended.wait()
    host = settings.host_name
    assert worker_gone(f"{host}:{ended.pid}", settings)
    assert not worker_gone(f"{host}:{os.getppid()}", settings)  # alive
    assert not worker_gone(worker_id(settings), settings)  # this very process
    assert not worker_gone(f"another-host:{ended.pid}", settings)  # cannot be told from here
    assert not any(worker_gone(worker, settings) for worker in (None, "", "no-pid", f"{host}:abc"))
