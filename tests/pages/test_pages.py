"""Each screen rendered and driven through streamlit.testing.v1.AppTest, on a migrated database."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

import ui
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


def test_documents_lists_searches_and_opens_in_review(migrated):
    wanted = seed(migrated, text="KOPI CORNER CAFE")
    seed(migrated, status=Status.FAILED, fields={}, error_code="bad_input", error_message="The file is damaged.")
    app = page("pages/documents.py")
    assert len(app.dataframe[0].value) == 2
    app.text_input[0].set_value("kopi").run()
    assert list(app.dataframe[0].value["id"]) == [wanted]
    assert app.caption[0].value.startswith("1 document ")


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


def test_upload_says_how_many_receipts_a_stack_held(migrated):
    file_id, ids = _stack(migrated, [(0, 0), (1, 2), (3, 3)])
    app = page("pages/upload.py", upload_results=[{"file": "stack.pdf", "outcome": "queued", "document": file_id,
                                                   "code": None, "message": "queued"}])
    assert "3 receipts found in stack.pdf" in [t.value for t in app.text]
    assert "1 of 1 files done" in app.get("progress")[0].proto.text  # split: done, its receipts wait for review
