"""The back office around the review, in a real browser (issue #20): no table download, export batches, the warning
on an exported document, the uploader's live status and rejection reason, bulk approve, search over a corrected
value, the audit's old -> new, and no request to any host but the app's own, on every page for every role.

One app and worker serve the whole module; each test seeds the documents it needs straight into the app's database
(tests/seeding.py, as processing leaves them) or uploads them through the page, so the tests do not depend on each
other's data.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from openpyxl import load_workbook

from services import export, review
from settings import Settings
from storage.db import session_factory
from storage.models import Status
from tests.e2e.served import CHROMIUM, CHROMIUM_ARGS, prepare, serve
from tests.exported import csv_rows
from tests.receipts import encode, sample_receipt
from tests.seeding import make_document

pytestmark = pytest.mark.browser
ADMIN, REVIEWER, UPLOADER, PASSWORD = "ada", "rita", "una", "e2e-browser-password"
PAGES = {ADMIN: ["Overview", "Upload", "Review", "Documents", "Export", "Monitor", "Users", "Audit"],
         REVIEWER: ["Overview", "Review", "Documents", "Export"], UPLOADER: ["Upload", "Documents"]}
RECEIPT = encode(sample_receipt().image)


HEADINGS = {"Overview": "DocDesk"}  # a screen whose heading is not its name in the sidebar


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """(base URL, settings of the app's data folder) for seeding and checking in this process."""
    folder = tmp_path_factory.mktemp("office")
    prepare(folder / "data", {ADMIN: "admin", REVIEWER: "reviewer", UPLOADER: "uploader"}, PASSWORD)
    with serve(folder / "data", folder / "logs") as base:
        yield base, Settings(data_dir=folder / "data", database_url=None, queue_url=None)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # a busy 2-core machine; the default 5 s is for fast ones
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """A fresh browser context (nothing shared with another test's), 1440 x 900, downloads allowed."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page, base: str, name: str) -> None:
    """Open the app signed out and sign in as `name` (a page load is a new session: move on through the sidebar)."""
    from playwright.sync_api import expect

    page.goto(base)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("stSidebarNav")).to_be_visible()


def open_page(page, title: str) -> None:
    """Go to a screen through the sidebar and wait for its heading."""
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=HEADINGS.get(title, title), exact=True)).to_be_visible()


def seed(settings: Settings, count: int = 1, **kwargs) -> list[int]:
    with session_factory(settings).begin() as session:
        return [make_document(session, settings, image=RECEIPT, uploaded_by=UPLOADER, **kwargs).id
                for _ in range(count)]


def table_text(page) -> str:
    """The text of the first table on the page (its accessible copy: the grid itself is drawn on a canvas)."""
    return page.get_by_test_id("stDataFrame").first.locator("table").inner_text()


def download(page, button) -> bytes:
    with page.expect_download() as info:
        button.click()
    return Path(info.value.path()).read_bytes()


def click_first_row(page, *, tick: bool = False) -> None:
    """Click the first row's file cell (opens the document), or its tick box (selects it)."""
    box = page.get_by_test_id("stDataFrame").first.bounding_box()
    page.mouse.click(box["x"] + (17 if tick else 300), box["y"] + 40 + 32)


def documents_of_vendor(page, vendor: str, count: int) -> None:
    """On Documents, filter by vendor and wait for the list to hold `count` documents."""
    from playwright.sync_api import expect

    open_page(page, "Documents")
    page.get_by_label("Vendor contains").fill(vendor)
    page.get_by_label("Vendor contains").press("Enter")
    expect(page.get_by_text(f"{count} document{'' if count == 1 else 's'} ·")).to_be_visible()


def open_in_review(page, base: str, vendor: str) -> None:
    """As the reviewer, open the one document of `vendor` from Documents (a click on its row)."""
    from playwright.sync_api import expect

    sign_in(page, base, REVIEWER)
    documents_of_vendor(page, vendor, 1)
    click_first_row(page)
    expect(page.get_by_role("heading", name="Review")).to_be_visible()


def test_no_page_requests_any_host_but_the_apps_own(office, new_page):
    base, settings = office
    seed(settings, status=Status.APPROVED)  # thumbnails, an image on the review screen
    for name, titles in PAGES.items():
        page = new_page()
        hosts: list[str] = []
        page.on("request", lambda request, hosts=hosts: hosts.append(urlparse(request.url).netloc
                                                                      or request.url.split(":")[0]))
        sign_in(page, base, name)
        for title in titles:
            open_page(page, title)
            page.wait_for_load_state("networkidle")
        open_page(page, "Documents")
        click_first_row(page)  # review for a reviewer, the read-only view for an uploader
        page.wait_for_timeout(2_000)
        page.wait_for_load_state("networkidle")
        own = urlparse(base).netloc
        assert len(hosts) > 10 and own in hosts, (name, hosts)
        assert {host for host in hosts if host not in (own, "data", "blob")} == set(), name


def test_tables_offer_no_download(office, new_page):
    base, settings = office
    seed(settings, status=Status.APPROVED, fields={"vendor": "=HYPERLINK(\"http://attacker.example\")",
                                                   "total": "1.00"})
    page = new_page()
    sign_in(page, base, ADMIN)
    from playwright.sync_api import expect

    for title in ("Export", "Documents", "Audit"):
        open_page(page, title)
        grid = page.get_by_test_id("stDataFrame").first
        grid.hover()
        expect(grid.get_by_role("button", name="Search")).to_be_visible()  # the toolbar is there...
        expect(grid.get_by_role("button", name=re.compile("download", re.I))).to_have_count(0)  # ...without it


def test_export_batch_round_trip(office, new_page):
    from playwright.sync_api import expect

    base, settings = office
    seed(settings, status=Status.APPROVED, fields={"vendor": " =1+1", "date": "2024-05-02", "total": "12.00"})
    waiting = export.preview(settings=settings).total  # approved, not yet exported (also other tests' documents)
    page = new_page()
    sign_in(page, base, REVIEWER)
    open_page(page, "Export")
    noun = "document" if waiting == 1 else "documents"
    expect(page.get_by_text(f"Preview: {waiting} {noun}")).to_be_visible()
    page.get_by_role("button", name=f"Export {waiting} {noun} as a new batch").click()
    expect(page.get_by_text(re.compile(rf"Batch \d+: {waiting} {noun} exported"))).to_be_visible()
    first_csv = download(page, page.get_by_role("button", name="Documents CSV").first)
    first_xlsx = download(page, page.get_by_role("button", name="Excel workbook (XLSX)").first)

    expect(page.get_by_text("Preview: 0 documents")).to_be_visible()  # exported again: nothing new
    expect(page.get_by_role("button", name="Export 0 documents as a new batch")).to_be_disabled()
    again = page.get_by_role("combobox", name=re.compile("^Download a batch again"))
    expect(again).to_have_value(re.compile(rf"^Batch \d+ · .* · {waiting} {noun}$"))  # the newest batch is chosen
    assert download(page, page.get_by_role("button", name="Documents CSV").last) == first_csv
    assert download(page, page.get_by_role("button", name="Excel workbook (XLSX)").last) == first_xlsx

    rows = csv_rows(first_csv)
    assert len(rows) == waiting and first_csv.startswith(b"\xef\xbb\xbf")
    assert "' =1+1" in {row["vendor"] for row in rows}  # formula after a space: neutralised
    sheet = load_workbook(io.BytesIO(first_xlsx))["Documents"]
    assert sheet.max_row == waiting + 1


def test_editing_an_exported_document_warns(office, new_page):
    from playwright.sync_api import expect

    base, settings = office
    [document_id] = seed(settings, status=Status.APPROVED, fields={"vendor": "WARNCO TRADING", "total": "8.00"})
    batch = export.export_batch(export.ExportFilter(document_ids=(document_id,)), settings=settings)
    page = new_page()
    open_in_review(page, base, "WARNCO")
    expect(page.get_by_text(f"Exported in batch {batch.id}.")).to_be_visible()
    total = page.get_by_role("textbox", name=re.compile(r"^Total"))
    total.fill("9.00")
    total.press("Tab")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"now marked changed since export batch {batch.id}")).to_be_visible()
    expect(page.get_by_text(f"Changed since export batch {batch.id}:")).to_be_visible()


def test_the_uploader_sees_live_status_and_the_rejection_reason(office, new_page):
    from playwright.sync_api import expect

    base, settings = office
    page = new_page()
    sign_in(page, base, UPLOADER)
    expect(page.get_by_role("heading", name="Upload")).to_be_visible()
    receipt = encode(sample_receipt(font_size=27).image)  # not a duplicate of the seeded ones
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "lunch.png", "mimeType": "image/png", "buffer": receipt},
               {"name": "notes.png", "mimeType": "image/png", "buffer": b"minutes of the meeting"}])
    page.get_by_role("button", name="Upload selected files").click()
    expect(page.get_by_text("This is not a supported file: upload a JPEG, PNG, TIFF, BMP, WebP or AVIF image or a PDF.")
           ).to_be_visible()  # the whole reason, not cut off
    # the worker reads it; the line follows without a reload
    expect(page.get_by_text("ready for review", exact=True)).to_be_visible(timeout=180_000)
    expect(page.get_by_text("Follow them on the Documents page")).to_be_visible()
    expect(page.get_by_text("Review page")).to_have_count(0)  # an uploader cannot open it

    [document_id] = ids_named(settings, "lunch.png")
    view = review.open_document(document_id, settings=settings)
    review.reject(document_id, view.version, "blurred photo: scan it again", user=REVIEWER, settings=settings)
    expect(page.get_by_text("Rejected by rita: blurred photo: scan it again")).to_be_visible(timeout=15_000)

    open_page(page, "Documents")
    click_first_row(page)
    expect(page.get_by_role("heading", name=f"Document #{document_id}")).to_be_visible()
    expect(page.get_by_text("blurred photo: scan it again", exact=True)).to_be_visible()


def ids_named(settings: Settings, file_name: str) -> list[int]:
    from services import documents

    rows = documents.list_documents(page_size=500, settings=settings).rows
    return [r.id for r in rows if r.file == file_name]


def test_bulk_approve_of_three_documents(office, new_page):
    from playwright.sync_api import expect

    base, settings = office
    ids = [seed(settings, fields={"vendor": f"BULKCO {i}", "date": "2024-03-14", "total": "5.00"})[0] for i in range(3)]
    page = new_page()
    sign_in(page, base, REVIEWER)
    documents_of_vendor(page, "BULKCO", 3)
    box = page.get_by_test_id("stDataFrame").first.bounding_box()
    page.mouse.click(box["x"] + 17, box["y"] + 18)  # the header's tick box: every row
    expect(page.get_by_text("3 selected")).to_be_visible()
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text(f"Approved 3: #{ids[2]}, #{ids[1]}, #{ids[0]}.")).to_be_visible()
    with session_factory(settings).begin() as session:
        from storage import repository

        assert {repository.get_document(session, i).status for i in ids} == {Status.APPROVED}


def test_search_finds_a_corrected_value(office, new_page):
    from playwright.sync_api import expect

    base, settings = office
    [document_id] = seed(settings, fields={"vendor": "SEARCHCO OCR READING", "total": "3.00"})
    seed(settings)  # at least one other document, which the search must leave out
    page = new_page()
    open_in_review(page, base, "SEARCHCO")
    vendor = page.get_by_role("textbox", name=re.compile(r"^Vendor"))
    vendor.fill("Zebrafish Trading")  # a word in no OCR text
    vendor.press("Tab")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Saved #{document_id}: vendor.")).to_be_visible()

    open_page(page, "Documents")
    expect(page.get_by_text(re.compile(r"^\d+ documents ·"))).to_be_visible()  # all of them, before the search
    search = page.get_by_role("textbox", name="Search text and values")
    search.fill("zebrafish")
    search.press("Enter")
    expect(page.get_by_text("1 document ·")).to_be_visible()
    assert "Zebrafish Trading" in table_text(page)


def test_the_audit_shows_a_correction_old_to_new(office, new_page):
    from playwright.sync_api import expect

    base, settings = office
    [document_id] = seed(settings)
    review.save(document_id, 1, {"total": "77.70"}, user=REVIEWER, settings=settings)
    page = new_page()
    sign_in(page, base, ADMIN)
    open_page(page, "Audit")
    expect(page.get_by_text(re.compile(r"\d+ events? · page 1"))).to_be_visible()
    text = table_text(page)
    assert "total: 42.95 → 77.70" in text and REVIEWER in text
    assert "sign in" not in text  # sign-ins are left out at first
    trail = download(page, page.get_by_role("button", name=re.compile(r"Download these \d+ events")))
    assert "total: 42.95 → 77.70" in trail.decode("utf-8-sig")
