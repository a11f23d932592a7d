"""The private work folder: where decoding and OCR put their temporary files (a PDF handed to Poppler, the page
image and text Tesseract reads and writes), instead of the world-readable system temp folder.

`DATA_DIR/work/<host>-<pid>/`, owner-only, one per process that calls `use_private_temp` (the worker, the web app);
each document's child process works in a folder of its own inside it, removed when the child ends, however it
ends (services.sandbox). At start, folders left by processes of this host that are gone are removed.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from pathlib import Path

from settings import Settings
from storage.db import prepare_data_dir


def work_root(settings: Settings) -> Path:
    return settings.data_dir / "work"


def use_private_temp(settings: Settings) -> Path:
    """Make this process's temporary files (Python's `tempfile`, and Tesseract and Poppler through TMPDIR) go to
    its own owner-only folder under the data folder; returns that folder. Calling it again is cheap."""
    root = work_root(settings)
    own = root / _owner(os.getpid())
    if tempfile.tempdir == str(own) and own.is_dir():
        return own
    prepare_data_dir(settings)
    root.mkdir(mode=0o700, exist_ok=True)
    os.chmod(root, 0o700)
    remove_stale(root)
    own.mkdir(mode=0o700, exist_ok=True)
    tempfile.tempdir = str(own)
    os.environ["TMPDIR"] = str(own)
    os.umask(0o077)  # files Tesseract writes (its text) are the owner's only too
    atexit.register(_remove_if_mine, own, os.getpid())
    return own


def _remove_if_mine(folder: Path, pid: int) -> None:
    if os.getpid() == pid:  # not in a forked child that happens to exit through atexit
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale(root: Path) -> int:
    """Delete the folders of processes of this host that no longer run (killed workers leave theirs behind)."""
    import psutil

    host = socket.gethostname()
    removed = 0
    for folder in root.iterdir():
        owner_host, _, pid = folder.name.rpartition("-")
        if owner_host == host and pid.isdigit() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _owner(pid: int) -> str:
    return f"{socket.gethostname()}-{pid}"
