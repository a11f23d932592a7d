"""Documents: every document, filtered, searched (full text over the OCR) and paginated; retry failed ones;
an upload batch's progress."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from ocr.evaluate import percentile  # the one percentile helper
from services import inputs, queue
from services.access import Permission, holds, use_case
from settings import Settings
from storage import jobs, repository
from storage.models import Status


@dataclass(frozen=True)
class DocumentFilter:
    statuses: tuple[str, ...] = ()
    vendor: str = ""
    since: date | None = None
    until: date | None = None
    uploader: str = ""
    text: str = ""


@dataclass(frozen=True)
class DocumentRow:
    id: int
    file: str
    status: str
    vendor: str | None
    date: str | None
    total: str | None
    uploaded_by: str | None
    uploaded_at: datetime
    reviewed_by: str | None
    error: str | None  # "code: message" for failed documents


@dataclass(frozen=True)
class DocumentPage:
    rows: list[DocumentRow]
    total: int
    page: int
    pages: int
    page_size: int
    uploaders: list[str] = field(default_factory=list)


def list_documents(filters: DocumentFilter = DocumentFilter(), *, page: int = 1, page_size: int = 50,
                   user: str | None = None, settings: Settings | None = None) -> DocumentPage:
    """One page (1-based) of the documents matching `filters`, newest first, and the uploaders to filter by.
    Someone without VIEW_ALL (an uploader) sees only the documents they uploaded."""
    page_size = max(1, min(page_size, 500))
    with use_case(user, Permission.VIEW_OWN, settings=settings) as session:
        everyone = holds(session, user, Permission.VIEW_ALL)
        if not everyone:
            filters = replace(filters, uploader=user)
        page = max(1, page)
        found, total = repository.find_documents(session, **_criteria(filters), offset=(page - 1) * page_size,
                                                 limit=page_size)
        pages = max(1, math.ceil(total / page_size))
        if page > pages:  # the filters shrank the list under the page number: show the last page
            page = pages
            found, total = repository.find_documents(session, **_criteria(filters),
                                                     offset=(page - 1) * page_size, limit=page_size)
        people = repository.uploaders(session) if everyone else [user]
    return DocumentPage([_row(r) for r in found], total, page, pages, page_size, people)


def _criteria(filters: DocumentFilter) -> dict[str, Any]:
    typed = {label: inputs.text(value, label, max_chars=inputs.SEARCH_CHARS).strip() or None
             for label, value in (("search", filters.text), ("vendor", filters.vendor), ("uploader", filters.uploader))}
    return {"statuses": filters.statuses, "vendor": typed["vendor"], "uploader": typed["uploader"],
            "text": typed["search"], "since": filters.since.isoformat() if filters.since else None,
            "until": filters.until.isoformat() if filters.until else None}


def _row(r: dict[str, Any]) -> DocumentRow:
    error = f"{r['error_code']}: {r['error_message'] or ''}".strip() if r["error_code"] else None
    return DocumentRow(r["id"], r["original_name"], r["status"], r["vendor"], r["date"], r["total"],
                       r["uploaded_by"], r["created_at"], r["reviewed_by"], error)


def retry(document_ids: list[int] | None = None, *, user: str | None = None,
          settings: Settings | None = None) -> list[int]:
    """Put failed documents back on the queue (None: every failed one); returns the ids re-queued.
    Ids that are not failed are left alone."""
    with use_case(user, Permission.REVIEW, settings=settings) as session:
        ids = jobs.failed_ids(session) if document_ids is None else list(document_ids)
        requeued = [document for document in jobs.documents_by_ids(session, ids) if document.status == Status.FAILED]
        for document in requeued:
            repository.add_audit(session, "retry", user=user, document_id=document.id,
                                 previous_code=document.error_code)
            jobs.reset_for_queue(document)
        requeued_ids = [document.id for document in requeued]
    for document_id in requeued_ids:
        queue.enqueue_quietly(document_id, settings)
    return requeued_ids


def batch_progress(document_ids: list[int], *, user: str | None = None,
                   settings: Settings | None = None) -> dict[str, int]:
    """How many of an upload batch's documents are in each status (every status, zeros included);
    an uploader's own documents only."""
    with use_case(user, Permission.UPLOAD, settings=settings) as session:
        return jobs.status_counts_for(session, _visible(session, document_ids, user))


def batch_summary(document_ids: list[int], *, user: str | None = None,
                  settings: Settings | None = None) -> dict[str, Any]:
    """`batch_progress`'s counts plus seconds per page (p50, p95) over these documents' successful runs."""
    with use_case(user, Permission.UPLOAD, settings=settings) as session:
        document_ids = _visible(session, document_ids, user)
        counts = jobs.status_counts_for(session, document_ids)
        per_page = [run.total_ms / 1000 / run.pages for run in jobs.successful_runs(session, document_ids)
                    if run.total_ms is not None and run.pages]
    return {"counts": counts, "s_per_page_p50": percentile(per_page, 50), "s_per_page_p95": percentile(per_page, 95)}


def _visible(session, document_ids: list[int], user: str | None) -> list[int]:
    """The ids `user` may see: all of them with VIEW_ALL, else the ones they uploaded."""
    if holds(session, user, Permission.VIEW_ALL):
        return list(document_ids)
    return [d.id for d in jobs.documents_by_ids(session, document_ids) if d.uploaded_by == user]
