"""The whole trip in a real browser: sign in -> upload -> worker OCR -> review (correct the total, approve) ->
export CSV -> sign out.

Starts `streamlit run app.py` and `cli.py worker --workers 1` on a fresh data folder with one admin (made with
`cli.py users add --password-stdin`), drives Debian's Chromium through Playwright, and stops both processes at
the end. Moving between screens goes through the sidebar: a page load is a new session, signed out.
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.receipts import encode, sample_receipt

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
NAME, UPLOADER, PASSWORD = "erin", "ulla", "e2e-browser-password"
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


@pytest.fixture
def served(tmp_path):
    """(base URL, data dir) of a running app with a worker, on a fresh data folder."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it "
                    "(scripts/install-system.sh --test)")
    env = {**os.environ, "DOCDESK_DATA_DIR": str(tmp_path / "data"), "OMP_THREAD_LIMIT": "1"}
    env.pop("DOCDESK_DATABASE_URL", None)
    env.pop("DOCDESK_QUEUE_URL", None)
    subprocess.run([sys.executable, "cli.py", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    for name, role in ((NAME, "admin"), (UPLOADER, "uploader")):
        subprocess.run([sys.executable, "cli.py", "users", "add", name, "--role", role, "--password-stdin"], cwd=ROOT,
                       env=env, check=True, capture_output=True, input=PASSWORD.encode())
    port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
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
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        for process in reversed(started):
            stop(process)


def test_upload_review_correct_approve_export(served):
    from playwright.sync_api import expect, sync_playwright

    base, tmp_path = served
    receipt = encode(sample_receipt().image)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(accept_downloads=True, viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)

            # First visit to a fresh server: Streamlit would run pages/upload.py as a legacy page without
            # app.py; the page's guard sends the visitor through app.py, to the sign-in form and nothing else.
            page.goto(f"{base}/upload")
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            expect(page.get_by_role("heading", name="Upload")).to_have_count(0)
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
            page.get_by_label("Name").fill(NAME)
            page.get_by_label("Password", exact=True).fill("wrong-password")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Wrong name or password")).to_be_visible()
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            nav = page.get_by_test_id("stSidebarNav")
            expect(nav.get_by_role("link", name="Audit")).to_be_visible()
            expect(page.get_by_text(f"{NAME} · admin")).to_be_visible()
            nav.get_by_role("link", name="Upload").click()
            expect(page.get_by_role("heading", name="Upload")).to_be_visible()
            page.locator("input[type=file]").set_input_files(
                files=[{"name": "greenleaf.png", "mimeType": "image/png", "buffer": receipt}])
            page.get_by_role("button", name="Upload selected files").click()
            expect(page.get_by_text("1 queued")).to_be_visible()
            expect(page.get_by_text("1 of 1 processed")).to_be_visible(timeout=180_000)  # the worker did OCR

            nav.get_by_role("link", name="Review").click()
            expect(page.get_by_text("greenleaf.png").first).to_be_visible()
            total = page.get_by_role("textbox", name=re.compile(r"^Total"))
            total.fill("99.99")
            total.press("Tab")
            page.get_by_role("button", name="Approve").click()
            expect(page.get_by_text(re.compile(r"Approved #\d+"))).to_be_visible()

            nav.get_by_role("link", name="Export").click()
            page.get_by_text("All dates").click()  # whatever date the OCR read
            expect(page.get_by_text("Preview: 1 documents")).to_be_visible()
            page.get_by_role("button", name="Prepare CSV").click()
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Download documents CSV").click()
            path = download_info.value.path()
            rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"), newline="")))

            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        finally:
            browser.close()
    assert len(rows) == 1
    assert rows[0]["total"] == "99.99"
    assert rows[0]["status"] == "approved" and rows[0]["file"] == "greenleaf.png"


def test_an_uploader_deep_linking_to_the_monitor_sees_only_their_screens(served):
    from playwright.sync_api import expect, sync_playwright

    base, _ = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{base}/monitor")
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            page.get_by_label("Name").fill(UPLOADER)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Upload")).to_be_visible()
            nav = page.get_by_test_id("stSidebarNav")
            expect(nav.get_by_role("link")).to_have_count(2)
            expect(nav.get_by_role("link", name="Documents")).to_be_visible()
            expect(page.get_by_role("heading", name="Monitor")).to_have_count(0)
            expect(page.get_by_text("Success rate")).to_have_count(0)
        finally:
            browser.close()
