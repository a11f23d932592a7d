"""A real DocDesk on a fresh data folder: `streamlit run serve.py` and (unless told not to) `cli.py worker`, users
made by `cli.py users add`, stopped on exit; and Debian's Chromium driven by Playwright. Waits use Playwright's
`expect` with generous timeouts, never short fixed sleeps: this machine is shared and often loaded.

Shared by the browser tests, bench/review_speed.py and scripts/screenshot.py (which pictures the screens for the docs).
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

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "e2e-browser-password"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WAIT_MS = 60_000  # the longest a step may take on a loaded machine before it counts as broken


def _generous_expect() -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)


_generous_expect()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
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


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    """Run `cli.py ARGS` against the data folder; its output."""
    done = subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, env=environment(data_dir), check=True,
                          capture_output=True, input=stdin.encode() if stdin is not None else None)
    return done.stdout.decode()


def prepare(data_dir: Path, users: dict[str, str], password: str = PASSWORD) -> None:
    """Migrate the database and add `users` (name -> role), all with `password`."""
    cli(data_dir, "db", "upgrade")
    for name, role in users.items():
        cli(data_dir, "users", "add", name, "--role", role, "--password-stdin", stdin=password)


@contextlib.contextmanager
def serve(data_dir: Path, logs: Path, *, worker: bool = True) -> Iterator[str]:
    """The base URL of the app (and one worker) on `data_dir` (prepared first); both stopped on exit."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it "
                    "(scripts/install-system.sh --test)")
    env = environment(data_dir)
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    started = []
    try:
        if worker:
            started.append(subprocess.Popen(
                [sys.executable, "cli.py", "worker", "--workers", "1"], cwd=ROOT, env=env, start_new_session=True,
                stdout=open(logs / "worker.log", "wb"), stderr=subprocess.STDOUT))
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, start_new_session=True, stdout=open(logs / "app.log", "wb"), stderr=subprocess.STDOUT)
        started.append(app)
        wait_until_healthy(f"http://127.0.0.1:{port}/_stcore/health", app)
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in reversed(started):
            stop(process)


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Chromium (Debian's), closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser, **options):
    """A browser profile of its own (cookies included) at 1440 x 900."""
    return browser.new_context(viewport={"width": 1440, "height": 900}, **options)


def open_page(context):
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    return page


def sign_in(page, name: str, password: str = PASSWORD) -> None:
    """Fill the sign-in form on the page shown and wait until the user's name is in the sidebar."""
    from playwright.sync_api import expect

    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("stSidebar").get_by_text(f"{name} · ")).to_be_visible(timeout=WAIT_MS)


def wait_for_cookie(context, name: str, timeout_s: float = WAIT_MS / 1000) -> dict:
    """The browser profile's cookie `name`, once set (the page sets the session cookie just after sign-in)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [c for c in context.cookies() if c["name"] == name]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no cookie {name} after {timeout_s} s")


def eventually(check, timeout_s: float = WAIT_MS / 1000):
    """`check()`'s first truthy result (e.g. a row the app wrote), retried until `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, f"still not so after {timeout_s} s"
            return result
        time.sleep(0.2)
