"""A scanned stack through the worker and the database: one document per receipt, linked to the file and its pages;
idempotent, nothing lost when the worker dies mid-split, corrections kept. Real Tesseract, SQLite, queue, worker."""

from __future__ import annotations

import functools
import signal

import pytest
from sqlalchemy import select

from errors import InputError
from services import documents, export, review
from services.ingest import ingest_file
from services.process import process_document
from storage import repository
from storage.db import session_factory
from storage.models import AuditEvent, Document, ProcessingRun, Source
from tests import stacks
from tests.services.worker_proc import start_worker, stop_worker, wait_for_status
from tests.signin import add

SHORT = [stacks.shop_receipt(n) for n in (0, 2, 3)]
LONG = stacks.shop_receipt(1, items=36)  # printed over two pages, its total on the second


@functools.lru_cache
def stack_pdf() -> bytes:
    """Five pages, four receipts: short, long (pages 2-3), short, short."""
    return stacks.pdf([stacks.render(SHORT[0]), *stacks.pages_of(LONG, 26), stacks.render(SHORT[1]),
                       stacks.render(SHORT[2])])


def receipts_of(settings, file_id: int) -> list[Document]:
    with session_factory(settings).begin() as session:
        found = list(session.scalars(select(Document).where(Document.source_id == file_id)
                                     .order_by(Document.source_first_page)))
        for document in found:
            repository.get_document(session, document.id, with_children=True)
        session.expunge_all()
        return found


def assert_one_document_per_receipt(settings, file_id: int, uploader: str | None = None) -> list[Document]:
    found = receipts_of(settings, file_id)
    assert [(d.source_first_page, d.source_last_page) for d in found] == [(0, 0), (1, 2), (3, 3), (4, 4)]
    assert [d.field("total").value for d in found] == [SHORT[0].total, LONG.total, SHORT[1].total, SHORT[2].total]
    assert [d.field("vendor").value for d in found] == [p.lines[0] for p in (SHORT[0], LONG, SHORT[1], SHORT[2])]
    for document in found:
        assert document.status == "needs_review" and document.sha256 is None
        assert (document.original_name, document.uploaded_by) == ("stack.pdf", uploader)
        assert [page.index for page in document.pages] == list(range(document.page_count))
        assert all(f.page_index in range(document.page_count) for f in document.fields if f.page_index is not None)
    assert [page.text.split("\n")[0] for page in found[1].pages][0].startswith(LONG.lines[0])
    assert found[1].field("total").page_index == 1  # the long receipt's second page
    with session_factory(settings).begin() as session:
        file = repository.get_document(session, file_id, with_children=True)
        assert (file.status, file.page_count, file.pages, file.fields) == ("split", 5, [], [])
        splits = session.scalars(select(AuditEvent).where(AuditEvent.action == "split")).all()
        assert [(e.document_id, e.details["pages"]) for e in splits] == [(file_id, [[1], [2, 3], [4], [5]])]
    return found


def test_a_stack_through_the_real_worker_killed_mid_split_gives_one_document_per_receipt(migrated, tmp_path):
    ana = add(migrated, "ana", "uploader")
    answer = ingest_file(stack_pdf(), "stack.pdf", user=ana, settings=migrated)
    assert answer.outcome == "queued"
    killed = tmp_path / "killed"
    worker = start_worker(migrated.data_dir, workers=1, extra_env={"DOCDESK_TEST_KILL_MID_SPLIT": str(killed)})
    try:
        assert wait_for_status(migrated, answer.document_id, {"split", "failed"}, timeout=400) == "split"
    finally:
        assert stop_worker(worker, signal.SIGTERM) == 0
    assert killed.exists()  # the worker died after writing two of the receipts, before its commit: nothing of it stayed

    assert_one_document_per_receipt(migrated, answer.document_id, uploader=ana)
    with session_factory(migrated).begin() as session:
        runs = session.scalars(select(ProcessingRun.outcome).where(ProcessingRun.document_id == answer.document_id)
                               .order_by(ProcessingRun.id)).all()
    assert runs == ["lost", "ok"]
    progress = documents.batch_progress([answer.document_id], user=ana, settings=migrated)
    assert progress["needs_review"] == 4 and progress["split"] == 0
    [stack] = documents.batch_stacks([answer.document_id], user=ana, settings=migrated)
    assert stack.message == "4 receipts found in stack.pdf"


def test_a_processed_stack_is_idempotent_and_each_receipt_is_read_again_from_its_own_pages(migrated):
    file_id = ingest_file(stack_pdf(), "stack.pdf", settings=migrated).document_id
    process_document(file_id, settings=migrated)
    first = assert_one_document_per_receipt(migrated, file_id)

    process_document(file_id, settings=migrated)  # a second job for the file: a no-op
    assert [d.id for d in receipts_of(migrated, file_id)] == [d.id for d in first]
    again = ingest_file(stack_pdf(), "stack again.pdf", settings=migrated)
    ids = ", ".join(f"#{d.id}" for d in first)
    assert again.message == f"duplicate of document #{file_id} (its receipts: {ids})"

    rita = add(migrated, "rita")
    long_id = first[1].id
    assert review.open_document(long_id, user=rita, settings=migrated).origin == "pages 2-3 of stack.pdf"
    assert review.open_document(first[2].id, user=rita, settings=migrated).origin == "page 4 of stack.pdf"
    assert review.open_document(file_id, user=rita, settings=migrated).origin == f"stack.pdf holds 4 receipts: {ids}"
    listed = {row.id: (row.file, row.status) for row in documents.list_documents(user=rita, settings=migrated).rows}
    assert listed[long_id] == ("stack.pdf (pages 2-3)", "needs_review") and listed[file_id] == ("stack.pdf", "split")
    rows = export.preview(export.ExportFilter(statuses=("needs_review",)), user=rita, settings=migrated).rows
    assert [(row["file"], row["total"]) for row in rows] == [
        ("stack.pdf (page 1)", SHORT[0].total), ("stack.pdf (pages 2-3)", LONG.total),
        ("stack.pdf (page 4)", SHORT[1].total), ("stack.pdf (page 5)", SHORT[2].total)]
    with pytest.raises(InputError, match="re-process those instead") as refused:
        review.reprocess(file_id, user=rita, settings=migrated)
    assert refused.value.code == "not_reviewable"

    with session_factory(migrated).begin() as session:
        vendor = repository.get_document(session, long_id, with_children=True).field("vendor")
        vendor.value, vendor.source = "Sunrise Bakery (Cheras)", Source.USER
    review.reprocess(long_id, user=rita, settings=migrated)
    process_document(long_id, settings=migrated)
    receipts = receipts_of(migrated, file_id)
    assert [d.id for d in receipts] == [d.id for d in first]  # no receipt added or lost
    long = receipts[1]
    assert (long.status, long.page_count, long.field("total").value) == ("needs_review", 2, LONG.total)
    assert (long.field("vendor").value, long.field("vendor").source) == ("Sunrise Bakery (Cheras)", "user")
    with session_factory(migrated).begin() as session:
        assert repository.get_document(session, file_id).status == "split"


def test_never_keeps_a_stack_one_document_with_a_warning_and_a_reviewed_one_is_never_split(migrated):
    data = stacks.pdf([stacks.render(SHORT[0]), stacks.render(SHORT[1])])
    never = migrated.model_copy(update={"split_pages": "never"})
    file_id = ingest_file(data, "two.pdf", settings=never).document_id
    process_document(file_id, settings=never)
    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, file_id, with_children=True)
        assert (document.status, document.page_count) == ("needs_review", 2)
        assert "several_receipts" in {flag.code for flag in document.flags}
        document.field("total").value, document.field("total").source = SHORT[0].total, Source.USER

    review.reprocess(file_id, user=add(migrated, "rita"), settings=migrated)
    process_document(file_id, settings=migrated)  # 'auto' now, but a reviewer has corrected it: not split
    assert receipts_of(migrated, file_id) == []
    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, file_id, with_children=True)
        assert document.status == "needs_review" and document.field("total").value == SHORT[0].total
        assert "several_receipts" in {flag.code for flag in document.flags}
