"""The whole trip in a real browser: sign in -> upload -> worker OCR -> review (correct the total, approve) ->
export CSV -> sign out.

Starts `streamlit run serve.py` and `cli.py worker --workers 1` on a fresh data folder with one admin (made with
`cli.py users add --password-stdin`), drives Debian's Chromium through Playwright, and stops both processes at
the end (tests/e2e/server.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.served import CHROMIUM, CHROMIUM_ARGS, PASSWORD, WAIT_MS, prepare, serve
from tests.exported import csv_rows
from tests.receipts import encode, sample_receipt

pytestmark = pytest.mark.browser
NAME, UPLOADER = "erin", "ulla"


@pytest.fixture
def served(tmp_path):
    """(base URL, data dir) of a running app with a worker, on a fresh data folder."""
    prepare(tmp_path / "data", {NAME: "admin", UPLOADER: "uploader"})
    with serve(tmp_path / "data", tmp_path / "logs") as base:
        yield base, tmp_path


def test_upload_review_correct_approve_export(served):
    from playwright.sync_api import expect, sync_playwright


    base, tmp_path = served
    receipt = encode(sample_receipt().image)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(accept_downloads=True, viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT_MS)

            # First visit to a fresh server, at a page's address: the sign-in form and nothing else.
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
            expect(page.get_by_text("greenleaf.png").first).to_be_visible()  # taken by the uploader
            page.get_by_role("button", name="Upload selected files").click()
            expect(page.get_by_text("1 queued")).to_be_visible()
            expect(page.get_by_text("1 of 1 files done")).to_be_visible(timeout=180_000)  # the worker did OCR
            expect(page.get_by_text("ready for review", exact=True)).to_be_visible()

            nav.get_by_role("link", name="Review").click()
            expect(page.get_by_text("greenleaf.png").first).to_be_visible()
            vendor = page.get_by_role("textbox", name=re.compile(r"^Vendor"))
            vendor.fill("GREENLEAF HARDWARE (CHECKED)")
            vendor.press("Tab")
            page.get_by_role("button", name="Approve & next").click()
            dialog = page.get_by_role("dialog")  # unsaved: asked, and told what will be saved
            expect(dialog.get_by_text(re.compile(r"Vendor: .* → GREENLEAF HARDWARE \(CHECKED\)"))).to_be_visible()
            dialog.get_by_role("button", name="Save and approve").click()
            expect(page.get_by_text("Nothing to review: the queue is empty.")).to_be_visible()

            nav.get_by_role("link", name="Export").click()
            expect(page.get_by_text("Preview: 1 document")).to_be_visible()  # any date: whatever date the OCR read
            page.get_by_role("button", name="Export 1 document as a new batch").click()
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Documents CSV").first.click()
            path = download_info.value.path()
            rows = csv_rows(Path(path).read_bytes())

            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        finally:
            browser.close()
    assert len(rows) == 1
    assert rows[0]["vendor"] == "GREENLEAF HARDWARE (CHECKED)"
    assert rows[0]["status"] == "approved" and rows[0]["file"] == "greenleaf.png"


def test_an_uploader_deep_linking_to_the_monitor_sees_only_their_screens(served):
    from playwright.sync_api import expect, sync_playwright


    base, _ = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT_MS)
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
