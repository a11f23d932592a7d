"""Export: the one way data leaves DocDesk. The Export page, the Documents page's bulk export, `cli.py export`
and the audit trail's CSV all come here: every call checks the permission, writes formula-safe files
(storage.export) and is audited (who, when, which documents, which columns). Streamlit's own table download
is switched off (.streamlit/config.toml), so no table bypasses this.

Documents leave in batches. A batch records who, when, what was asked for, which documents and the files as
delivered (CSV of documents, CSV of line items, XLSX with both; in the blob store, so a batch downloads again
byte for byte). The default selection is "approved and not yet exported"; a document edited, approved again,
rejected or re-processed after its export is "changed since export batch N" until it is exported again.
Dates are the receipt's date, falling back to the upload day when no date was read.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO, Any

from errors import ConflictError, ErrorCode, InputError
from ocr import catalogue
from services import audit, duplicates, pdfs
from services.access import Permission, use_case
from services.origin import file_label
from settings import Settings, get_settings
from storage import batches, repository
from storage import export as files
from storage.blobs import BlobStore
from storage.db import IntegrityError
from storage.models import ExportBatch, ExportState, Status

__all__ = ["Batch", "ExportFile", "ExportFilter", "ExportState", "audit_csv", "batch_file", "batch_pdfs",
           "date_presets", "export_batch", "get_batch", "list_batches", "preview"]


class ExportFile(enum.StrEnum):
    DOCUMENTS_CSV = "documents_csv"
    ITEMS_CSV = "items_csv"
    XLSX = "xlsx"


# (file name after the batch's stem, MIME type, what the download button says)
FILE_TYPES = {
    ExportFile.DOCUMENTS_CSV: ("{stem}.csv", "text/csv", "Documents CSV"),
    ExportFile.ITEMS_CSV: ("{stem}-line-items.csv", "text/csv", "Line items CSV"),
    ExportFile.XLSX: ("{stem}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      "Excel workbook (XLSX)"),
}



def date_presets(today: date) -> dict[str, tuple[date | None, date | None]]:
    """The export page's ready-made receipt-date ranges, none past today."""
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return {"All dates": (None, None), "This month": (today.replace(day=1), today),
            "Last month": (last_month_end.replace(day=1), last_month_end),
            "This year": (today.replace(month=1, day=1), today)}


@dataclass(frozen=True)
class ExportFilter:
    statuses: tuple[str, ...] = (Status.APPROVED.value,)
    since: date | None = None
    until: date | None = None
    state: ExportState | None = ExportState.NOT_EXPORTED  # None: exported or not
    document_ids: tuple[int, ...] | None = None  # only these (a selection on the Documents page)

    def as_dict(self) -> dict[str, Any]:
        return {"statuses": list(self.statuses), "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "state": self.state.value if self.state else None,
                "document_ids": list(self.document_ids) if self.document_ids is not None else None}


@dataclass(frozen=True)
class Preview:
    rows: list[dict[str, Any]]  # the first rows the export would hold
    total: int  # how many it holds
    changed: int  # exported documents changed since their export (anywhere, whatever the filters)
    duplicates: list[str]  # one line per possible duplicate whose two documents the export would both hold


@dataclass(frozen=True)
class Batch:
    id: int
    created_at: datetime
    user: str | None
    filters: dict[str, Any]
    document_ids: list[int]
    columns: list[str]
    files: dict[str, str]  # ExportFile -> blob key, which is the file's SHA-256
    checksum: str  # SHA-256 of the documents CSV

    @property
    def rows(self) -> int:
        return len(self.document_ids)

    def file_name(self, kind: ExportFile) -> str:
        return FILE_TYPES[kind][0].format(stem=f"docdesk-batch-{self.id}")


@dataclass(frozen=True)
class BatchPage:
    rows: list[Batch]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class _Data:
    rows: list[dict[str, Any]]
    items: list[dict[str, Any]] = field(default_factory=list)


def _collect(session, filters: ExportFilter, *, with_items: bool) -> _Data:
    if not filters.statuses or filters.document_ids == ():
        return _Data([])
    found, _ = repository.find_documents(
        session, statuses=filters.statuses, since=filters.since.isoformat() if filters.since else None,
        until=filters.until.isoformat() if filters.until else None,
        export_state=filters.state.value if filters.state else None, ids=filters.document_ids, limit=None,
        newest_first=False)
    ids = [r["id"] for r in found]
    values = repository.field_values(session, ids)
    rows = []
    for r in found:
        file = file_label(r["original_name"], r["source_first_page"], r["source_last_page"])  # a stack's pages
        row = {"id": r["id"], "file": file, "status": r["status"], "uploaded_by": r["uploaded_by"],
               "uploaded_at": r["created_at"].isoformat(timespec="seconds") if r["created_at"] else None,
               "reviewed_by": r["reviewed_by"], "review_note": r["review_note"],
               "approval_override": r["approval_override"], "export_batch": r["export_batch"],
               "changed_since_export": r["changed_at"] is not None}
        fields = values.get(r["id"], {})
        row.update({spec.column: fields.get(spec.name) for spec in catalogue.FIELDS})  # the review form's fields
        rows.append(row)
    items = []
    if with_items:
        items = [{"document_id": i.document_id, "position": i.position + 1, "description": i.description,
                  "quantity": i.quantity, "unit_price": i.unit_price, "amount": i.amount}
                 for i in repository.line_items_of(session, ids)]
    return _Data(rows, items)


def preview(filters: ExportFilter = ExportFilter(), *, limit: int = 200, user: str | None = None,
            settings: Settings | None = None) -> Preview:
    """What an export with `filters` would hold (its first `limit` rows), how many exported documents changed
    since their export, and the possible duplicates (services.duplicates) it would hold both of."""
    with use_case(user, Permission.EXPORT, settings=settings) as session:
        data = _collect(session, filters, with_items=False)
        return Preview(data.rows[:limit], len(data.rows), batches.changed_count(session),
                       duplicates.warnings_within(session, [row["id"] for row in data.rows]))


def _build(data: _Data, bom: bool) -> dict[ExportFile, bytes]:
    return {ExportFile.DOCUMENTS_CSV: files.documents_csv(data.rows, bom=bom),
            ExportFile.ITEMS_CSV: files.line_items_csv(data.items, bom=bom),
            ExportFile.XLSX: files.to_xlsx([files.Sheet("Documents", files.document_columns(), data.rows),
                                            files.Sheet("Line items", files.LINE_ITEM_COLUMNS, data.items)])}


def export_batch(filters: ExportFilter = ExportFilter(), *, bom: bool = False, user: str | None = None,
                 settings: Settings | None = None) -> Batch:
    """Export the documents matching `filters` as a new batch (its files stored, the export audited).
    InputError `nothing_to_export` when none match; ConflictError when another export took the same new
    documents at the same moment."""
    settings = settings or get_settings()
    try:
        with use_case(user, Permission.EXPORT, settings=settings) as session:
            data = _collect(session, filters, with_items=True)
            if not data.rows:
                raise InputError("Nothing to export: no document matches this selection.",
                                 code=ErrorCode.NOTHING_TO_EXPORT)
            store = BlobStore(settings.blob_dir)
            keys = {kind.value: store.put(content) for kind, content in _build(data, bom).items()}
            ids = [row["id"] for row in data.rows]
            columns = files.document_columns()
            batch = batches.add_batch(session, user=user, filters={**filters.as_dict(), "bom": bom},
                                      document_ids=ids, columns=columns, files=keys,
                                      checksum=keys[ExportFile.DOCUMENTS_CSV])
            repository.add_audit(session, "export", user=user, what="documents", batch=batch.id, documents=ids,
                                 columns=list(columns), rows=len(ids), line_items=len(data.items),
                                 filters=filters.as_dict(), bom=bom, checksum=batch.checksum)
            return _batch(batch)
    except IntegrityError:
        raise ConflictError("Another export took some of these documents at the same moment: look at the "
                            "latest batches, then export again.") from None


def _batch(row: ExportBatch) -> Batch:
    return Batch(row.id, row.created_at, row.user, dict(row.filters or {}), list(row.document_ids or []),
                 list(row.columns or []), dict(row.files or {}), row.checksum)


def list_batches(*, page: int = 1, page_size: int = 20, user: str | None = None,
                 settings: Settings | None = None) -> BatchPage:
    """One page (1-based) of the export batches, newest first."""
    page_size = max(1, min(page_size, 200))
    with use_case(user, Permission.EXPORT, settings=settings) as session:
        rows, total = batches.list_batches(session, offset=(max(1, page) - 1) * page_size, limit=page_size)
        return BatchPage([_batch(r) for r in rows], total, max(1, page), max(1, math.ceil(total / page_size)))


def get_batch(batch_id: int, *, user: str | None = None, settings: Settings | None = None) -> Batch:
    with use_case(user, Permission.EXPORT, settings=settings) as session:
        row = batches.get_batch(session, batch_id)
        if row is None:
            raise InputError(f"There is no export batch {batch_id}.", code=ErrorCode.NOT_FOUND)
        return _batch(row)


def batch_file(batch_id: int, kind: ExportFile, *, user: str | None = None,
               settings: Settings | None = None) -> bytes:
    """One file of a batch, byte for byte as first delivered (audited as a download)."""
    settings = settings or get_settings()
    kind = ExportFile(kind)
    with use_case(user, Permission.EXPORT, settings=settings) as session:
        row = batches.get_batch(session, batch_id)
        if row is None:
            raise InputError(f"There is no export batch {batch_id}.", code=ErrorCode.NOT_FOUND)
        key = (row.files or {}).get(kind.value)
        store = BlobStore(settings.blob_dir)
        if not key or not store.exists(key):
            raise InputError(f"The {FILE_TYPES[kind][2]} of batch {batch_id} is missing from the data folder: "
                             f"restore the data folder from a backup, or export these documents again.",
                             code=ErrorCode.EXPORT_FILE_MISSING)
        repository.add_audit(session, "export_download", user=user, what="documents", batch=batch_id,
                             file=kind.value, documents=list(row.document_ids or []), columns=list(row.columns or []),
                             checksum=key)
        return store.get(key)


def batch_pdfs(batch_id: int, target: IO[bytes], *, user: str | None = None,
               settings: Settings | None = None) -> int:
    """The batch's documents as a zip of searchable PDFs (services.pdfs) written to `target`; returns how many.
    Made from the documents as they are now: unlike the batch's CSV and XLSX, the zip is not stored."""
    batch = get_batch(batch_id, user=user, settings=settings)
    return pdfs.write_pdfs_zip(batch.document_ids, target, user=user, settings=settings)


AUDIT_COLUMNS = ("id", "at", "user", "action", "kind", "document_id", "summary", "details")


def audit_csv(filters: audit.AuditFilter | None = None, *, bom: bool = False, user: str | None = None,
              settings: Settings | None = None) -> bytes:
    """The audit events matching `filters` (newest first) as CSV; an admin's use case, audited like any export."""
    filters = filters or audit.AuditFilter()
    with use_case(user, Permission.AUDIT, settings=settings) as session:
        events = audit.matching_events(session, filters)
        rows = [{"id": e.id, "at": e.at.isoformat(timespec="seconds"), "user": e.user, "action": e.action,
                 "kind": e.kind.value, "document_id": e.document_id, "summary": e.summary,
                 "details": audit.details_text(e.details)} for e in events]
        documents = sorted({e.document_id for e in events if e.document_id is not None})
        repository.add_audit(session, "export", user=user, what="audit", documents=documents,
                             columns=list(AUDIT_COLUMNS), rows=len(rows), filters=filters.as_dict())
    return files.to_csv(rows, AUDIT_COLUMNS, bom=bom)
