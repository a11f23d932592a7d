"""services.ingest: preflight, duplicates, refusals, blob store, audit trail and the queue."""

from __future__ import annotations

from sqlalchemy import select

from services import ingest, queue
from services.ingest import display_name, ingest_file, ingest_files
from storage import repository
from storage.blobs import BlobStore, sha256_hex
from storage.db import session_factory
from storage.models import AuditEvent, Document
from tests.services.worker_proc import receipt_png
from tests.signin import add


def _audit(settings, action):
    with session_factory(settings).begin() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_receipt_is_stored_recorded_and_queued(migrated):
    data = receipt_png()
    result = ingest_file(data, "scans/march/receipt 1.png", user=add(migrated, "ana", "uploader"), settings=migrated)

    assert result.outcome == "queued" and result.code is None
    assert result.name == "receipt 1.png"
    assert result.message == f"queued as #{result.document_id}"
    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, result.document_id)
        assert (document.status, document.page_count, document.media_type) == ("queued", 1, "image/png")
        assert document.size_bytes == len(data) and document.uploaded_by == "ana"
        assert document.original_name == "receipt 1.png"
    assert BlobStore(migrated.blob_dir).get(sha256_hex(data)) == data
    [event] = _audit(migrated, "upload")
    assert (event.user, event.document_id) == ("ana", result.document_id)
    assert queue.job_ids(migrated) == {result.document_id}


def test_a_duplicate_is_reported_and_not_queued_again(migrated):
    first = ingest_file(receipt_png(), "a.png", settings=migrated)
    again = ingest_file(receipt_png(), "copy of a.png", settings=migrated)

    assert again.outcome == "duplicate" and again.document_id == first.document_id
    assert again.message == f"duplicate of document #{first.document_id}"
    assert queue.depth(migrated) == 1
    with session_factory(migrated).begin() as session:
        assert len(list(session.scalars(select(Document)))) == 1


def test_a_duplicate_racing_past_the_first_check_is_caught_by_the_unique_constraint(migrated, monkeypatch):
    first = ingest_file(receipt_png(), "a.png", settings=migrated)
    # the other upload's commit is not yet visible
    monkeypatch.setattr(repository, "document_by_sha256", lambda session, sha256: None)

    again = ingest_file(receipt_png(), "b.png", settings=migrated)

    assert (again.outcome, again.document_id) == ("duplicate", first.document_id)


def test_empty_files_and_text_named_jpg_are_refused_with_a_reason(migrated):
    results = ingest_files([("empty.png", b""), ("notes.jpg", b"just some text, not a picture\n")],
                           user=add(migrated, "ana", "uploader"), settings=migrated)

    assert [(r.outcome, r.code) for r in results] == [("refused", "empty_file"), ("refused", "unsupported_type")]
    assert all(r.message.startswith("refused: ") and r.document_id is None for r in results)
    events = _audit(migrated, "upload_refused")
    assert [(e.details["name"], e.details["code"], e.user) for e in events] == [
        ("empty.png", "empty_file", "ana"), ("notes.jpg", "unsupported_type", "ana")]
    assert queue.depth(migrated) == 0


def test_one_bad_file_never_stops_the_rest_and_order_is_kept(migrated, monkeypatch):
    real_inspect = __import__("ocr.load", fromlist=["inspect"]).inspect

    def exploding_inspect(data, limits):
        if data == b"boom-" + receipt_png(9)[5:]:
            raise RuntimeError("bug")
        return real_inspect(data, limits)

    monkeypatch.setattr("ocr.load.inspect", exploding_inspect)
    files = [("1.png", receipt_png(1)), ("bad.png", b"boom-" + receipt_png(9)[5:]), ("2.png", receipt_png(2)),
             ("1-again.png", receipt_png(1))]

    results = ingest_files(files, settings=migrated)

    assert [r.outcome for r in results] == ["queued", "refused", "queued", "duplicate"]
    assert results[1].code == "internal"
    assert results[3].document_id == results[0].document_id


def test_file_names_are_data_not_paths():
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name(r"C:\Users\ana\Desktop\scan.jpg") == "scan.jpg"
    assert display_name("evil\u202egpj.exe") == "evilgpj.exe"  # bidi override removed
    assert display_name("a\x00b\nc.png") == "abc.png"
    assert display_name("") == display_name(None) == "unnamed"
    long = display_name("x" * 500 + ".jpeg")
    assert len(long) <= ingest.MAX_NAME_CHARS and long.endswith(".jpeg")


def test_a_file_on_disk_is_checked_for_size_before_it_is_read_and_refused_if_unreadable(migrated, tmp_path):
    from services.ingest import ingest_path

    path = tmp_path / "scan.png"
    path.write_bytes(receipt_png(21))
    assert ingest_path(path, settings=migrated).outcome == "queued"

    huge = tmp_path / "huge.png"
    with open(huge, "wb") as handle:  # sparse: 1 GB on paper, nothing on disk, never read
        handle.truncate(10**9)
    too_large = ingest_path(huge, settings=migrated)
    assert (too_large.outcome, too_large.code) == ("refused", "too_large")
    assert too_large.message == "refused: The file is 1000.0 MB; the limit is 52.4 MB: scan at a lower resolution " \
                                "or split it."

    unreadable = ingest_path(tmp_path, settings=migrated)  # a folder cannot be read as a file
    assert (unreadable.outcome, unreadable.code) == ("refused", "unreadable")
    assert unreadable.message == "refused: Cannot read the file: Is a directory."
    assert [event.details["code"] for event in _audit(migrated, "upload_refused")] == ["too_large", "unreadable"]
