"""A real DocDesk on a fresh data folder: `streamlit run app.py` and `cli.py worker`, stopped on exit.

Shared by the browser tests and scripts/screenshot.py (which pictures the screens for the docs).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(url)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def environment(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "DOCDESK_DATA_DIR": str(data_dir), "OMP_THREAD_LIMIT": "1"}
    env.pop("DOCDESK_DATABASE_URL", None)
    env.pop("DOCDESK_QUEUE_URL", None)
    return env


def prepare(data_dir: Path, users: dict[str, str], password: str) -> None:
    """Migrate the database and add `users` (name -> role), all with `password`, through the command line."""
    env = environment(data_dir)
    subprocess.run([sys.executable, "cli.py", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    for name, role in users.items():
        subprocess.run([sys.executable, "cli.py", "users", "add", name, "--role", role, "--password-stdin"], cwd=ROOT,
                       env=env, check=True, capture_output=True, input=password.encode())


@contextlib.contextmanager
def serve(data_dir: Path, logs: Path) -> Iterator[str]:
    """The base URL of the app, with one worker, on `data_dir` (prepared first); both stopped on exit."""
    env = environment(data_dir)
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    started = []
    try:
        started.append(subprocess.Popen(
            [sys.executable, "cli.py", "worker", "--workers", "1"], cwd=ROOT, env=env, start_new_session=True,
            stdout=open(logs / "worker.log", "wb"), stderr=subprocess.STDOUT))
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, start_new_session=True, stdout=open(logs / "app.log", "wb"), stderr=subprocess.STDOUT)
        started.append(app)
        wait_until_healthy(f"http://127.0.0.1:{port}/_stcore/health", app)
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in reversed(started):
            stop(process)
