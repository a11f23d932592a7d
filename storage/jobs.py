"""Queries behind ingestion and processing: race-safe inserts, the processing lease, runs and recovery.

The document row is the truth about where a document is; these functions move it between states with
conditional UPDATEs, so two workers (or a worker and the recovery loop) can never both own a document.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload

from storage.models import Document, ProcessingRun, RunOutcome, Source, Status, utcnow
from storage.repository import rows_changed


def is_transient_db_error(error: BaseException) -> bool:
    """A locked or unreachable database: worth retrying later."""
    if isinstance(error, OperationalError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def is_migrated(settings) -> bool:
    """True when the database is at the newest migration."""
    from alembic.script import ScriptDirectory

    from storage import db

    try:
        current = db.current_revision(settings)
    except DBAPIError:
        return False
    head = ScriptDirectory.from_config(db._alembic_config(settings)).get_current_head()
    return current == head


# --- ingest ------------------------------------------------------------------------------------

def add_document_unless_duplicate(session: Session, **columns: Any) -> tuple[Document, bool]:
    """Insert a document; if one with the same sha256 exists (even one inserted a moment ago by another
    process), return that one instead. Returns (document, created)."""
    existing = session.scalars(select(Document).where(Document.sha256 == columns["sha256"])).first()
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            document = Document(**columns)
            session.add(document)
            session.flush()
        return document, True
    except IntegrityError:
        existing = session.scalars(select(Document).where(Document.sha256 == columns["sha256"])).first()
        if existing is None:
            raise
        return existing, False


def may_split(document: Document) -> bool:
    """Whether a run may split this document into several receipts: an uploaded file (not a receipt split from one)
    that no reviewer has touched (a split would leave their corrections and approval behind on the file)."""
    if document.source_id is not None or document.reviewed_by is not None:
        return False
    return not any(f.source == Source.USER for f in document.fields) and \
        not any(item.source == Source.USER for item in document.line_items)


def receipts_of(session: Session, file: Document, page_ranges: list[tuple[int, int]]) -> list[Document]:
    """The documents of the receipts split from `file`, one per (first, last) page range (0-based): the existing one
    for a first page (a run repeated), else a new one that inherits the file's name, type and uploader."""
    existing = {d.source_first_page: d for d in file.receipts}
    documents = []
    for first, last in page_ranges:
        document = existing.get(first)
        if document is None:
            document = Document(sha256=None, original_name=file.original_name, media_type=file.media_type,
                                size_bytes=file.size_bytes, uploaded_by=file.uploaded_by, status=Status.PROCESSING,
                                source=file, source_first_page=first)
            session.add(document)
        document.source_last_page = last
        documents.append(document)
    session.flush()
    return documents


# --- the processing lease ----------------------------------------------------------------------

def claim(session: Session, document_id: int, *, lease_s: float, worker: str,
          now: datetime | None = None) -> tuple[Document, ProcessingRun] | None:
    """Take a document for processing: queued, or left in processing past its lease. None when it is
    anywhere else (already done, failed, or owned by a live worker): the job is then a no-op."""
    now = now or utcnow()
    stale = now - timedelta(seconds=lease_s)
    taken = rows_changed(session, update(Document)
        .where(Document.id == document_id,
               or_(Document.status == Status.QUEUED,
                   and_(Document.status == Status.PROCESSING, Document.started_at < stale)))
        .values(status=Status.PROCESSING, started_at=now, finished_at=None, attempts=Document.attempts + 1,
                version=Document.version + 1, updated_at=now))
    if taken != 1:
        return None
    _close_running_runs(session, document_id, now, outcome=RunOutcome.LOST)
    run = ProcessingRun(document_id=document_id, started_at=now, worker=worker[:64])
    session.add(run)
    session.flush()
    document = session.get_one(Document, document_id, populate_existing=True)
    return document, run


def owned(session: Session, document_id: int, started_at: datetime, *, with_children: bool = False
          ) -> Document | None:
    """The document if this worker's lease (identified by its start time) still holds, else None.
    The touching UPDATE takes the write lock first, so nobody can take the document over meanwhile."""
    touched = rows_changed(session, update(Document)
        .where(Document.id == document_id, Document.status == Status.PROCESSING, Document.started_at == started_at)
        .values(updated_at=utcnow()))
    if touched != 1:
        return None
    query = select(Document).where(Document.id == document_id).execution_options(populate_existing=True)
    if with_children:
        query = query.options(selectinload(Document.pages), selectinload(Document.fields),
                              selectinload(Document.line_items))
    return session.scalars(query).first()


def finish_run(session: Session, run_id: int, *, outcome: RunOutcome, error_code: str | None = None,
               total_ms: float | None = None, step_ms: dict[str, float] | None = None,
               pages: int | None = None) -> None:
    run = session.get(ProcessingRun, run_id)
    if run is None:
        return
    run.outcome = outcome
    run.error_code = error_code
    run.finished_at = utcnow()
    if total_ms is not None:
        run.total_ms = round(total_ms, 2)
    if step_ms is not None:
        run.step_ms = step_ms
    if pages is not None:
        run.pages = pages


def _close_running_runs(session: Session, document_id: int, now: datetime, *, outcome: RunOutcome) -> None:
    session.execute(
        update(ProcessingRun)
        .where(ProcessingRun.document_id == document_id, ProcessingRun.outcome == RunOutcome.RUNNING)
        .values(outcome=outcome, finished_at=now)
        .execution_options(synchronize_session=False))


# --- recovery ----------------------------------------------------------------------------------

def processing_with_worker(session: Session) -> list[tuple[Document, str | None]]:
    """Documents in processing, each with the worker named on its running ProcessingRun."""
    documents = list(session.scalars(select(Document).where(Document.status == Status.PROCESSING)
                                     .order_by(Document.id)))
    if not documents:
        return []
    workers = dict(session.execute(
        select(ProcessingRun.document_id, ProcessingRun.worker)
        .where(ProcessingRun.document_id.in_([d.id for d in documents]), ProcessingRun.outcome == RunOutcome.RUNNING)
        .order_by(ProcessingRun.id)).all())
    return [(d, workers.get(d.id)) for d in documents]


def release(session: Session, document: Document, *, outcome: RunOutcome = RunOutcome.LOST) -> None:
    """Put a document whose worker is gone back to queued."""
    now = utcnow()
    _close_running_runs(session, document.id, now, outcome=outcome)
    document.status = Status.QUEUED
    document.started_at = None


def reset_for_queue(document: Document) -> None:
    """Back to queued as if freshly uploaded: no attempts, no error, no timestamps of the last run."""
    document.status = Status.QUEUED
    document.attempts = 0
    document.error_code = None
    document.error_message = None
    document.started_at = None
    document.finished_at = None


def queued_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Document.id).where(Document.status == Status.QUEUED).order_by(Document.id)))


# --- progress and figures ----------------------------------------------------------------------

def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def status_counts_for(session: Session, document_ids: list[int]) -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for chunk in _chunks(sorted(set(document_ids))):
        rows = session.execute(select(Document.status, func.count()).where(Document.id.in_(chunk))
                               .group_by(Document.status))
        for status, count in rows:
            counts[status] = counts.get(status, 0) + count
    return counts


def documents_by_ids(session: Session, document_ids: list[int]) -> list[Document]:
    found: list[Document] = []
    for chunk in _chunks(sorted(set(document_ids))):
        found.extend(session.scalars(select(Document).where(Document.id.in_(chunk))))
    return sorted(found, key=lambda d: d.id)


def receipts_by_file(session: Session, document_ids: list[int]) -> dict[int, list[int]]:
    """{file's document id: its receipts' ids, in page order} for those of `document_ids` that were split."""
    found: dict[int, list[int]] = {}
    for chunk in _chunks(sorted(set(document_ids))):
        for source_id, receipt_id in session.execute(
                select(Document.source_id, Document.id).where(Document.source_id.in_(chunk))
                .order_by(Document.source_id, Document.source_first_page)):
            if source_id is not None:
                found.setdefault(source_id, []).append(receipt_id)
    return found


def receipt_ids(session: Session, document_ids: list[int]) -> list[int]:
    """The ids with each split file replaced by its receipts: what an upload batch became."""
    split = receipts_by_file(session, document_ids)
    return [receipt for document_id in document_ids for receipt in split.get(document_id, [document_id])]


def failed_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Document.id).where(Document.status == Status.FAILED).order_by(Document.id)))


def successful_runs(session: Session, document_ids: list[int]) -> list[ProcessingRun]:
    runs: list[ProcessingRun] = []
    for chunk in _chunks(sorted(set(document_ids))):
        runs.extend(session.scalars(select(ProcessingRun).where(ProcessingRun.document_id.in_(chunk),
                                                                ProcessingRun.outcome == RunOutcome.OK)))
    return runs
