"""Each screen rendered and driven through streamlit.testing.v1.AppTest, on a migrated database."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui
from ocr.types import Flag
from storage import repository
from storage.db import session_factory
from storage.models import AuditEvent, Status
from tests.seeding import make_document
from tests.signin import add, signed_in_app

ROOT = Path(__file__).resolve().parents[2]


def page(path: str, role: str = "admin", **state) -> AppTest:
    from settings import get_settings

    app = signed_in_app(get_settings(), role)
    for key, value in state.items():
        app.session_state[key] = value
    app.switch_page(path).run()
    assert not app.exception, app.exception
    return app


def seed(settings, **kwargs) -> int:
    with session_factory(settings).begin() as session:
        return make_document(session, settings, **kwargs).id


def test_every_page_renders_on_an_empty_database(migrated):
    app = signed_in_app(migrated, "admin")
    for path in ("pages/upload.py", "pages/review.py", "pages/documents.py", "pages/export.py", "pages/monitor.py",
                 "pages/users.py", "pages/audit.py", "pages/overview.py"):
        app.switch_page(path).run()
        assert not app.exception, (path, app.exception)


def test_upload_answers_each_file_and_keeps_the_batch(migrated):

    from tests.receipts import encode, sample_receipt

    app = page("pages/upload.py")
    png = encode(sample_receipt().image)
    assert app.get("file_uploader")[0].proto.max_upload_size_mb == 50  # DOCDESK_MAX_UPLOAD_BYTES, not a config file
    app.get("file_uploader")[0].set_value([("a.png", png, "image/png"), ("b.png", png, "image/png"),
                                           ("c.png", b"not an image", "image/png")])
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert [r["outcome"] for r in app.session_state["upload_results"]] == ["queued", "duplicate", "refused"]
    assert "1 of 3 files done" in app.get("progress")[0].proto.text  # the refused one is done
    texts = [t.value for t in app.text]
    assert texts[0] == "c.png" and "not a supported file" in texts[1]  # the whole reason, problems first
    assert "Waiting for a free worker." in texts


def test_upload_shows_each_files_outcome_as_it_changes_and_points_only_at_allowed_pages(migrated):
    from tests.receipts import encode, sample_receipt

    app = page("pages/upload.py", role="uploader")
    app.get("file_uploader")[0].set_value([("a.png", encode(sample_receipt().image), "image/png"),
                                           ("b.png", encode(sample_receipt(font_size=30).image), "image/png")])
    app.button[0].click().run()
    first, second = [r["document"] for r in app.session_state["upload_results"]]
    with session_factory(migrated).begin() as session:
        rejected = repository.get_document(session, first)
        rejected.status, rejected.review_note, rejected.reviewed_by = Status.REJECTED, "photo of a screen", "rita"
        failed = repository.get_document(session, second)
        failed.status, failed.error_code = Status.FAILED, "internal"
        failed.error_message = "the OCR step crashed (logged)"
    app.run()
    texts = [t.value for t in app.text]
    assert "Rejected by rita: photo of a screen" in texts
    assert any(t.startswith("internal: the OCR step crashed") and "Ask a reviewer to retry it" in t for t in texts)
    links = [link.proto.page for link in app.get("page_link")]
    assert links == ["documents"]  # an uploader cannot open Review
    assert not any("Review" in s.value for s in app.success)


def test_review_shows_where_a_value_came_from_as_a_note_and_failed_checks_as_warnings(migrated):
    recalled = Flag("vendor_recalled", "vendor as approved on document #7", ("vendor",))
    mismatch = Flag("total_mismatch", "subtotal 40.50 + tax 0 = 40.50, but the total reads 42.95.",
                    ("subtotal", "total"))
    seed(migrated, flags=[recalled, mismatch])
    app = page("pages/review.py")
    assert [i.value for i in app.info if ui.plain("approved on document #7") in i.value]
    assert not [w.value for w in app.warning if ui.plain("approved on document #7") in w.value]
    assert [w.value for w in app.warning if ui.plain("total reads 42.95") in w.value]
    vendor = next(t for t in app.text_input if t.label.startswith("Vendor"))
    assert "❗" not in vendor.label and ui.plain("approved on document #7") in vendor.help


def test_review_flow_save_conflict_and_approve(migrated):
    first = seed(migrated, confidence={"total": 0.3})
    second = seed(migrated, confidence=0.8)
    app = page("pages/review.py")
    assert app.subheader[0].value.startswith(f"#{first}")
    assert any(t.label.startswith("Total ⚠") for t in app.text_input)

    app.text_input(key=f"{first}-1-total").set_value("4x.00")
    [b for b in app.button if b.label == "Save"][0].click().run()
    assert "not an amount" in app.error[0].value

    app.text_input(key=f"{first}-1-total").set_value("49.00")
    [b for b in app.button if b.label == "Save"][0].click().run()
    assert not app.exception
    assert "Saved" in app.success[0].value
    assert any("total mismatch" in w.value for w in app.warning)
    assert app.text_input(key=f"{first}-2-total").value == "49.00"

    # another reviewer saves first; this form still carries version 2
    from services import review

    review.save(first, 2, {"total": "42.95"}, user=add(migrated, "other"), settings=migrated)
    app.text_input(key=f"{first}-2-vendor").set_value("MINE")
    [b for b in app.button if b.label == "Save"][0].click().run()
    assert ui.plain("other saved this document first; reloaded their version") in app.warning[0].value
    assert app.text_input(key=f"{first}-3-total").value == "42.95"  # their version, not ours
    assert app.text_input(key=f"{first}-3-vendor").value != "MINE"

    [b for b in app.button if b.label == "Approve"][0].click().run()
    assert "Approved" in app.success[0].value
    assert app.subheader[0].value.startswith(f"#{second}")
    with session_factory(migrated).begin() as session:
        assert repository.get_document(session, first).status == Status.APPROVED


def test_review_reject_needs_a_reason_and_opens_a_given_document(migrated):
    seed(migrated, confidence=0.1)
    target = seed(migrated, confidence=0.9)
    app = signed_in_app(migrated, "admin")
    app.query_params["doc"] = str(target)
    app.switch_page("pages/review.py").run()
    assert app.subheader[0].value.startswith(f"#{target}")
    [b for b in app.button if b.label == "Reject"][0].click().run()
    assert "why" in app.error[0].value
    app.text_input(key=f"{target}-1-reason").set_value("duplicate paper copy")
    [b for b in app.button if b.label == "Reject"][0].click().run()
    with session_factory(migrated).begin() as session:
        assert repository.get_document(session, target).review_note == "duplicate paper copy"


def test_documents_lists_searches_and_opens_in_review(migrated):
    wanted = seed(migrated, text="KOPI CORNER CAFE")
    seed(migrated, status=Status.FAILED, fields={}, error_code="bad_input", error_message="The file is damaged.")
    app = page("pages/documents.py")
    assert len(app.dataframe[0].value) == 2
    app.text_input[0].set_value("kopi").run()
    assert list(app.dataframe[0].value["id"]) == [wanted]
    assert app.caption[0].value.startswith("1 document ")


def test_review_says_what_is_wrong_with_a_value_no_database_stores(migrated):
    first = seed(migrated)
    app = page("pages/review.py")
    app.text_input(key=f"{first}-1-vendor").set_value("SHOP\x00")
    [b for b in app.button if b.label == "Save"][0].click().run()
    assert not app.exception
    assert ui.plain("vendor: contains a NUL character") in app.error[0].value


@pytest.mark.parametrize("name, typed, expected", [
    ("total", "1e30", "out of range"), ("total", "1" * 29, "out of range"), ("total", "1e400", "out of range"),
    ("vendor", "V" * 1001, "too long"), ("vendor", "SHOP\x00", "NUL character")])
def test_a_value_no_database_can_store_gets_a_message_never_a_traceback(migrated, name, typed, expected):
    """Issue #21 item 8 on the review screen: a NUL, an amount of 1e30, 29 digits or 1e400 (stored as inf before,
    after which the form could not be saved), an over-long value: a message saying what to do, nothing stored."""
    first = seed(migrated)
    app = page("pages/review.py")
    app.text_input(key=f"{first}-1-{name}").set_value(typed)
    [b for b in app.button if b.label == "Save"][0].click().run()
    assert not app.exception and ui.plain(expected) in app.error[0].value
    app.text_input(key=f"{first}-1-{name}").set_value("12.50" if name == "total" else "SHOP")
    [b for b in app.button if b.label == "Save"][0].click().run()
    assert not app.exception and not app.error and "Saved" in app.success[0].value


def test_documents_says_what_is_wrong_with_a_search_it_cannot_run(migrated):
    seed(migrated, text="KOPI CORNER CAFE")
    app = page("pages/documents.py")
    app.text_input[0].set_value("kopi\x00").run()
    assert not app.exception
    assert ui.plain("search: contains a NUL character") in app.error[0].value and not app.dataframe


def test_documents_shows_thumbnails_export_state_and_the_rejection_reason(migrated):
    from tests.receipts import encode, sample_receipt

    image = encode(sample_receipt().image)
    exported = seed(migrated, status=Status.APPROVED, image=image)
    rejected = seed(migrated, status=Status.REJECTED, review_note="blurred, scan again", image=image)
    from services import export

    export.export_batch(settings=migrated)
    app = page("pages/documents.py")
    table = app.dataframe[0].value.set_index("id")
    assert table.loc[exported, "exported"] == "batch 1"
    assert table.loc[rejected, "note"] == "rejected: blurred, scan again"
    assert table.loc[exported, "page"].startswith("data:image/jpeg;base64,")  # from the app itself, no request
    [s for s in app.selectbox if s.label == "Export"][0].set_value("not_exported").run()
    assert list(app.dataframe[0].value["id"]) == [rejected]


def test_export_makes_a_batch_and_offers_its_files(migrated):
    seed(migrated, status=Status.APPROVED, fields={"vendor": "=1+1", "date": "2024-03-14", "total": "42.95"})
    app = page("pages/export.py")
    assert app.subheader[0].value == "Preview: 1 document"  # approved, not exported, any date
    [b for b in app.button if b.label == "Export 1 document as a new batch"][0].click().run()
    assert not app.exception
    assert "Batch 1: 1 document exported" in app.success[0].value
    downloads = [b.proto.label for b in app.get("download_button")]
    assert len(downloads) == 4 + 4  # the new batch's files, and again under "Earlier batches"
    assert downloads.count("Searchable PDFs (zip)") == 2
    assert app.subheader[0].value == "Preview: 0 documents"
    with session_factory(migrated).begin() as session:
        assert session.query(AuditEvent).filter_by(action="export").count() == 1
        assert session.query(AuditEvent).filter_by(action="export_download").count() == 0  # not until clicked


def test_monitor_shows_charts(migrated):
    from services import review

    document_id = seed(migrated)
    review.save(document_id, 1, {"total": "1.00"}, user=add(migrated, "rita"), settings=migrated)
    app = page("pages/monitor.py")
    assert [m.label for m in app.metric][:2] == ["Success rate", "Per page p50"]
    assert len(app.get("vega_lite_chart")) >= 1  # the corrections chart


def test_monitor_says_when_the_disk_is_full(migrated, monkeypatch):
    from settings import get_settings

    app = page("pages/monitor.py")
    assert not app.error
    monkeypatch.setenv("DOCDESK_MIN_FREE_MB", str(10**9))  # more than any disk has free
    get_settings.cache_clear()
    app.run()
    assert app.error[0].value.startswith("Disk full") and "processing waits" in app.error[0].value


def test_review_opens_the_document_in_the_link_and_keeps_an_odd_date_as_text(migrated):
    seed(migrated, confidence=0.1)
    linked = seed(migrated, fields={"vendor": "SHOP", "date": "14/03/2024?", "total": "1.00"})
    app = signed_in_app(migrated, "reviewer")
    app.switch_page("pages/review.py")
    app.query_params["doc"] = str(linked)
    app.run()
    assert not app.exception, app.exception
    assert app.subheader[0].value.startswith(f"#{linked}")
    assert app.text_input(key=f"{linked}-1-date").value == "14/03/2024?"
    assert not app.date_input



def test_review_warns_before_and_after_changing_an_exported_document(migrated):
    from services import export

    exported = seed(migrated, status=Status.APPROVED)
    export.export_batch(settings=migrated)
    app = page("pages/review.py", review_doc=exported)
    assert any("Exported in batch 1" in w.value for w in app.warning)
    app.text_input(key=f"{exported}-1-total").set_value("43.00")
    [b for b in app.button if b.label == "Save"][0].click().run()
    assert "now marked changed since export batch 1" in app.success[0].value
    assert any("Changed since export batch 1" in w.value for w in app.warning)


def test_review_shows_a_possible_duplicate_side_by_side_until_it_is_marked_not_one(migrated):
    from services import duplicates, review
    from tests.receipts import encode, sample_receipt

    image = encode(sample_receipt().image)
    first = seed(migrated, image=image)
    second = seed(migrated, fields={"vendor": "GREENLEAF HARDWARE SDN BHD", "date": "2024-03-14", "total": "1.00"},
                  image=image)
    review.save(second, 1, {"total": "42.95"}, user=add(migrated, "rita"), settings=migrated)

    app = page("pages/review.py", review_doc=second)
    assert [w.value for w in app.warning if "duplicate" in w.value] == [
        f"Possible duplicate of #{first}: the same vendor, date and total."]
    assert len(app.get("image")) == 3  # the page under review, and this page next to the other one's
    [b for b in app.button if b.label == "Not a duplicate"][0].click().run()
    assert not app.exception, app.exception
    assert not [w for w in app.warning if "duplicate" in w.value]
    assert duplicates.of_document(second, settings=migrated)[0].dismissed_by == "admin-user"


def _stack(settings, receipts: list[tuple[int, int]]) -> tuple[int, list[int]]:
    """A file split into receipts of the given (first, last) pages, as processing leaves them."""
    with session_factory(settings).begin() as session:
        file = make_document(session, settings, status=Status.SPLIT, fields={}, items=False)
        file.original_name, file.pages = "stack.pdf", []
        ids = []
        for first, last in receipts:
            receipt = make_document(session, settings, source_id=file.id, source_first_page=first,
                                    source_last_page=last)
            receipt.original_name = "stack.pdf"
            ids.append(receipt.id)
        return file.id, ids


def test_review_says_which_pages_of_which_file_a_receipt_of_a_stack_is(migrated):
    file_id, (first, long) = _stack(migrated, [(0, 0), (1, 2)])
    app = page("pages/review.py", review_doc=long)
    assert "pages 2-3 of stack.pdf" in [t.value for t in app.text]
    assert [b.label for b in app.button if b.label.startswith(f"#{long} ")] == [
        f"#{long} {ui.plain('stack.pdf (pages 2-3)')} · 0.9"]  # a file name is shown as text
    app.session_state["review_doc"] = first
    app.run()
    assert "page 1 of stack.pdf" in [t.value for t in app.text]
    app.session_state["review_doc"] = file_id
    app.run()
    assert not app.exception and f"stack.pdf holds 2 receipts: #{first}, #{long}" in [t.value for t in app.text]


def test_upload_says_how_many_receipts_a_stack_held(migrated):
    file_id, ids = _stack(migrated, [(0, 0), (1, 2), (3, 3)])
    app = page("pages/upload.py", upload_results=[{"file": "stack.pdf", "outcome": "queued", "document": file_id,
                                                   "code": None, "message": "queued"}])
    assert "3 receipts found in stack.pdf" in [t.value for t in app.text]
    assert "1 of 1 files done" in app.get("progress")[0].proto.text  # split: done, its receipts wait for review
