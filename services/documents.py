"""Documents: every document, filtered, searched (full text over the OCR) and paginated, with a thumbnail and
its export state; one document read-only (what an uploader may see of their own); bulk approve, reject and
retry (bulk export is services.export's); an upload batch's progress, file by file."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from errors import ConflictError, ErrorCode, InputError
from ocr import catalogue
from ocr.evaluate import percentile  # the one percentile helper
from services import inputs, queue, review
from services.access import Permission, holds, use_case
from services.origin import file_label
from settings import Settings, get_settings
from storage import jobs, repository
from storage.blobs import BlobStore
from storage.images import ThumbnailCache
from storage.models import ExportState, Status

THUMBNAIL_WIDTH = 72
PREVIEW_WIDTH = 700


@dataclass(frozen=True)
class DocumentFilter:
    statuses: tuple[str, ...] = ()
    vendor: str = ""
    since: date | None = None
    until: date | None = None
    uploader: str = ""
    text: str = ""
    export_state: str = ""  # an ExportState value; "": any


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
    review_note: str | None = None  # a rejection's reason
    version: int = 1
    export_batch: int | None = None  # the batch it was last exported in
    changed_since_export: bool = False
    image_key: str | None = None  # the first page (original, else cleaned) in the blob store

    @property
    def export_label(self) -> str:
        if self.export_batch is None:
            return ""
        return f"changed since batch {self.export_batch}" if self.changed_since_export else f"batch {self.export_batch}"


@dataclass(frozen=True)
class DocumentPage:
    rows: list[DocumentRow]
    total: int
    page: int
    pages: int
    page_size: int


def uploaders(*, user: str | None = None, settings: Settings | None = None) -> list[str]:
    """The uploaders to filter the documents by (an uploader: only themselves). Asked before the list, so the page
    draws its filters once: a rerun to refresh them would swallow a click on the sidebar made meanwhile."""
    with use_case(user, Permission.VIEW_OWN, settings=settings) as session:
        return repository.uploaders(session) if holds(session, user, Permission.VIEW_ALL) else [user or ""]


def list_documents(filters: DocumentFilter = DocumentFilter(), *, page: int = 1, page_size: int = 50,
                   user: str | None = None, settings: Settings | None = None) -> DocumentPage:
    """One page (1-based) of the documents matching `filters`, newest first.
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
    return DocumentPage([_row(r) for r in found], total, page, pages, page_size)


def _criteria(filters: DocumentFilter) -> dict[str, Any]:
    typed = {label: inputs.text(value, label, max_chars=inputs.SEARCH_CHARS).strip() or None
             for label, value in (("search", filters.text), ("vendor", filters.vendor), ("uploader", filters.uploader))}
    return {"statuses": filters.statuses, "vendor": typed["vendor"], "uploader": typed["uploader"],
            "text": typed["search"], "since": filters.since.isoformat() if filters.since else None,
            "until": filters.until.isoformat() if filters.until else None,
            "export_state": ExportState(filters.export_state).value if filters.export_state else None}


def _row(r: dict[str, Any]) -> DocumentRow:
    error = f"{r['error_code']}: {r['error_message'] or ''}".strip() if r["error_code"] else None
    file = file_label(r["original_name"], r["source_first_page"], r["source_last_page"])
    return DocumentRow(r["id"], file, r["status"], r["vendor"], r["date"], r["total"],
                       r["uploaded_by"], r["created_at"], r["reviewed_by"], error, r["review_note"], r["version"],
                       r["export_batch"], r["changed_at"] is not None, r["original_key"] or r["cleaned_key"])


@dataclass(frozen=True)
class DocumentView:
    """One document as its uploader may see it: no boxes, no history, nothing to change."""

    row: DocumentRow
    fields: list[tuple[str, str]]  # (label, value) in the catalogue's order, values found only
    line_items: list[dict[str, Any]]
    pages: int


def view_document(document_id: int, *, user: str | None = None, settings: Settings | None = None) -> DocumentView:
    """A document read-only: anyone's with VIEW_ALL, else only one's own (InputError `not_found` otherwise,
    the same answer as for an id that does not exist)."""
    with use_case(user, Permission.VIEW_OWN, settings=settings) as session:
        row = _visible_row(session, document_id, user)
        document = repository.get_document(session, document_id, with_children=True)
        assert document is not None  # _visible_row found it
        values = {f.name: f.value for f in document.fields if f.value}
        fields = [(spec.label, values[spec.name]) for spec in catalogue.FIELDS if spec.name in values]
        items = [{"description": i.description, "quantity": i.quantity, "unit_price": i.unit_price,
                  "amount": i.amount} for i in document.line_items]
        return DocumentView(row, fields, items, len(document.pages))


def _visible_row(session, document_id: int, user: str | None) -> DocumentRow:
    uploader = None if holds(session, user, Permission.VIEW_ALL) else user
    found, _ = repository.find_documents(session, ids=[document_id], uploader=uploader, limit=1)
    if not found:
        raise InputError(f"There is no document #{document_id} you may see.", code=ErrorCode.NOT_FOUND)
    return _row(found[0])


def thumbnails(rows: list[DocumentRow], *, width: int = THUMBNAIL_WIDTH, user: str | None = None,
               settings: Settings | None = None) -> dict[int, bytes]:
    """{document id: JPEG} of the first page of each row's document the user may see (made once, then cached)."""
    settings = settings or get_settings()
    with use_case(user, Permission.VIEW_OWN, settings=settings) as session:
        visible = set(_visible(session, [r.id for r in rows], user))
    cache = ThumbnailCache(BlobStore(settings.blob_dir), settings.data_dir / "thumbnails")
    images = {r.id: cache.get(r.image_key, width) for r in rows if r.id in visible and r.image_key}
    return {document_id: image for document_id, image in images.items() if image is not None}


def page_preview(document_id: int, *, user: str | None = None, settings: Settings | None = None) -> bytes | None:
    """The first page of a document the user may see, PREVIEW_WIDTH wide (None before it was processed)."""
    settings = settings or get_settings()
    with use_case(user, Permission.VIEW_OWN, settings=settings) as session:
        row = _visible_row(session, document_id, user)
    return thumbnails([row], width=PREVIEW_WIDTH, user=user, settings=settings).get(document_id)


def upload_rows(document_ids: list[int], *, user: str | None = None,
                settings: Settings | None = None) -> dict[int, DocumentRow]:
    """{id: row} of an upload batch's documents the user may see, for its live per-file status."""
    with use_case(user, Permission.UPLOAD, settings=settings) as session:
        ids = _visible(session, document_ids, user)
        found, _ = repository.find_documents(session, ids=ids, limit=None)
    return {r["id"]: _row(r) for r in found}


@dataclass(frozen=True)
class BulkOutcome:
    done: list[int]
    skipped: dict[int, str]  # document id -> why it was left alone


def approve_many(document_ids: list[int], *, user: str | None = None, settings: Settings | None = None) -> BulkOutcome:
    """Approve each document as it stands, through services.review (one transaction each, audited, an exported
    one marked changed); ones already approved or not reviewed yet are left alone, with the reason."""
    return _bulk(document_ids, Status.APPROVED, lambda d: review.approve(d.id, d.version, user=user,
                                                                         settings=settings), user, settings)


def reject_many(document_ids: list[int], reason: str, *, user: str | None = None,
                settings: Settings | None = None) -> BulkOutcome:
    """Reject each document with the same reason (required: each uploader sees it)."""
    if not (reason or "").strip():
        raise InputError("Say why these documents are rejected: their uploaders see the reason.",
                         code=ErrorCode.REASON_REQUIRED)
    return _bulk(document_ids, Status.REJECTED, lambda d: review.reject(d.id, d.version, reason, user=user,
                                                                        settings=settings), user, settings)


def _bulk(document_ids: list[int], target: Status, act, user: str | None, settings: Settings | None) -> BulkOutcome:
    with use_case(user, Permission.REVIEW, settings=settings) as session:
        found = {d.id: d for d in jobs.documents_by_ids(session, list(dict.fromkeys(document_ids)))}
    done: list[int] = []
    skipped: dict[int, str] = {}
    for document_id in dict.fromkeys(document_ids):
        document = found.get(document_id)
        if document is None:
            skipped[document_id] = "it does not exist (any more)"
        elif document.status == target:
            skipped[document_id] = f"it is {target.value} already"
        elif document.status not in review.REVIEWED:
            skipped[document_id] = f"it is {document.status.replace('_', ' ')}, not reviewed yet"
        else:
            try:
                done.append(act(document).document_id)
            except (InputError, ConflictError) as error:
                skipped[document_id] = error.message
    return BulkOutcome(done, skipped)


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


@dataclass(frozen=True)
class Stack:
    """An uploaded file that held several receipts, each now a document of its own."""

    document_id: int
    name: str
    receipts: list[int]

    @property
    def message(self) -> str:
        return f"{len(self.receipts)} receipts found in {self.name}"


def batch_progress(document_ids: list[int], *, user: str | None = None,
                   settings: Settings | None = None) -> dict[str, int]:
    """How many of an upload batch's receipts are in each status (every status, zeros included): a file split into
    several receipts counts as those; an uploader's own documents only."""
    with use_case(user, Permission.UPLOAD, settings=settings) as session:
        return jobs.status_counts_for(session, jobs.receipt_ids(session, _visible(session, document_ids, user)))


def batch_stacks(document_ids: list[int], *, user: str | None = None,
                 settings: Settings | None = None) -> list[Stack]:
    """The files of an upload batch found to hold several receipts (once processed), in the batch's order."""
    with use_case(user, Permission.UPLOAD, settings=settings) as session:
        visible = _visible(session, document_ids, user)
        split = jobs.receipts_by_file(session, visible)
        names = {d.id: d.original_name for d in jobs.documents_by_ids(session, list(split))}
        return [Stack(document_id, names[document_id], split[document_id]) for document_id in visible
                if document_id in split]


def batch_summary(document_ids: list[int], *, user: str | None = None,
                  settings: Settings | None = None) -> dict[str, Any]:
    """`batch_progress`'s counts plus seconds per page (p50, p95) over these documents' successful runs."""
    with use_case(user, Permission.UPLOAD, settings=settings) as session:
        document_ids = _visible(session, document_ids, user)
        counts = jobs.status_counts_for(session, jobs.receipt_ids(session, document_ids))
        per_page = [run.total_ms / 1000 / run.pages for run in jobs.successful_runs(session, document_ids)
                    if run.total_ms is not None and run.pages]
    return {"counts": counts, "s_per_page_p50": percentile(per_page, 50), "s_per_page_p95": percentile(per_page, 95)}


def _visible(session, document_ids: list[int], user: str | None) -> list[int]:
    """The ids `user` may see: all of them with VIEW_ALL, else the ones they uploaded."""
    if holds(session, user, Permission.VIEW_ALL):
        return list(document_ids)
    return [d.id for d in jobs.documents_by_ids(session, document_ids) if d.uploaded_by == user]
