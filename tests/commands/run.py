"""Running `cli.py` as a user does: in a subprocess, on the test's data folder and database."""

from __future__ import annotations

import subprocess
import sys

from tests.services.worker_proc import ROOT


def env(settings, path="/usr/bin:/bin") -> dict[str, str]:
    return {"DOCDESK_DATA_DIR": str(settings.data_dir), "PATH": path,  # no OMP_THREAD_LIMIT
            **{f"DOCDESK_{name.upper()}": value for name in ("database_url", "queue_url")
               if (value := getattr(settings, name))}}


def cli(settings, *args, timeout=120, path="/usr/bin:/bin"):
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, env=env(settings, path), capture_output=True,
                          text=True, timeout=timeout)
