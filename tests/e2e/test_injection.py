"""What an uploader or a receipt supplies is shown as text in the browser, never run as Markdown: a file named like
a Markdown image, and OCR text of that shape in a flag, a tooltip, an error box and a rejection note, make the
reviewer's browser call nobody (the issue's `![b](https:127.0.0.1:9).png` made it fetch that address)."""

from __future__ import annotations

import re

import pytest

from ocr.types import Flag
from settings import Settings
from storage.db import session_factory
from storage.models import Status
from tests.e2e import test_browser
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, NAME, PASSWORD
from tests.receipts import encode, sample_receipt
from tests.seeding import make_document

pytestmark = pytest.mark.browser
served = test_browser.served  # the running app with a worker, on a fresh data folder
TRAP = "127.0.0.1:9"  # the discard port: any request there is the browser obeying text as Markdown
FILE_NAME = f"![b](https:{TRAP}).png"


def image(tag: str) -> str:
    return f"![{tag}](https://{TRAP}/{tag}.png)"


def shown(text: str) -> re.Pattern:
    """`text` on screen: ui.plain puts an invisible word joiner inside addresses so they are not made links."""
    return re.compile("\u2060?".join(re.escape(ch) for ch in text))


def open_screen(page, name: str) -> None:
    """Through the sidebar; a click that lands while the page is still running is tried again."""
    from playwright.sync_api import expect

    heading = page.get_by_role("heading", name=re.compile(rf"^{name}( #\d+ · .+)?$"))  # Review names its document
    for _ in range(3):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
        try:
            expect(heading).to_be_visible(timeout=10_000)
            return
        except AssertionError:
            continue
    expect(heading).to_be_visible()


def seed_hostile_documents(data_dir) -> None:
    """A document to review whose flags, field readings and note carry Markdown images, and a failed one whose
    name and error do (written through storage: OCR would not read these strings back reliably)."""
    settings = Settings(data_dir=data_dir)
    with session_factory(settings).begin() as session:
        review = make_document(session, settings, confidence=0.3, fields={"vendor": "SHOP", "total": "9.99"})
        review.original_name = f"![n](https:{TRAP}/n).png"
        review.flags = [Flag("total_mismatch", f"the total reads {image('flag')}", ("total",)),
                        Flag("items_mismatch", f"line items {image('items')}", ("line_items",))]
        review.fields[0].raw = image("tooltip")
        review.review_note = f"Note {image('note')} <img src='https://{TRAP}/html.png'>"
        review.min_confidence = 0.0  # first in the queue
        failed = make_document(session, status=Status.FAILED, error_code="damaged_file",
                               error_message=f"The file is damaged ({image('error')}): upload it again.")
        failed.original_name = f"![e](https:{TRAP}/e).png"


def test_names_and_ocr_text_never_make_the_browser_fetch_anything(served):
    from playwright.sync_api import expect, sync_playwright

    base, tmp_path = served
    seed_hostile_documents(tmp_path / "data")
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(30_000)
            page.on("request", lambda request: requests.append(request.url))
            page.goto(base)
            page.get_by_label("Name").fill(NAME)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            open_screen(page, "Upload")
            page.locator("input[type=file]").set_input_files(
                files=[{"name": FILE_NAME, "mimeType": "image/png", "buffer": encode(sample_receipt().image)}])
            page.get_by_role("button", name="Upload selected files").click()
            expect(page.get_by_text(FILE_NAME).first).to_be_visible()  # the file's line of live status
            expect(page.get_by_text("1 of 1 files done")).to_be_visible(timeout=180_000)

            open_screen(page, "Review")  # opens the seeded document: flags, note, tooltips
            expect(page.get_by_text(shown(f"![n](https:{TRAP}/n).png")).first).to_be_visible()
            expect(page.get_by_text(shown(image("flag")))).to_be_visible()
            expect(page.get_by_text(shown(image("items")))).to_have_count(2)  # flag, line items
            expect(page.get_by_text(shown(image("note")))).to_be_visible()
            page.get_by_test_id("stTooltipIcon").first.hover()  # the vendor's tooltip quotes its reading
            expect(page.get_by_text(shown(image("tooltip")))).to_be_visible()
            expect(page.locator(f"a[href*='{TRAP}']")).to_have_count(0)  # addresses are not made links either
            page.get_by_role("button", name=re.compile(re.escape(FILE_NAME[:20]))).first.click()
            expect(page.get_by_text(shown(FILE_NAME)).first).to_be_visible()

            open_screen(page, "Documents")
            expect(page.get_by_text("3 documents")).to_be_visible()
            # newest first: the upload, then the failed document; a click on a cell opens it (64 px rows)
            page.get_by_test_id("stDataFrame").click(position={"x": 150, "y": 35 + 64 + 32})
            expect(page.get_by_text(shown(f"· ![e](https:{TRAP}/e).png"))).to_be_visible()
            expect(page.get_by_text(shown(image("error")))).to_be_visible()
            page.wait_for_timeout(1000)  # let any image the page asked for be requested
            expect(page.locator(f"a[href*='{TRAP}']")).to_have_count(0)
        finally:
            browser.close()
    assert not [url for url in requests if TRAP in url], [url for url in requests if TRAP in url]
