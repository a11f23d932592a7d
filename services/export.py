"""Export: documents (approved by default) for a date range -> preview -> CSV for accounting.

The date range is on the receipt's date, falling back to the upload day when no date was read.
Every export is audited with its filters and row count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ocr import catalogue
from services.access import Permission, use_case
from settings import Settings
from storage import export as csv_export
from storage import repository
from storage.models import Status


def date_presets(today: date) -> dict[str, tuple[date | None, date | None]]:
    """The export page's ready-made receipt-date ranges, ending today."""
    return {"Last 30 days": (today - timedelta(days=30), today), "This month": (today.replace(day=1), today),
            "This year": (today.replace(month=1, day=1), today), "All dates": (None, None)}


@dataclass(frozen=True)
class ExportFilter:
    statuses: tuple[str, ...] = (Status.APPROVED.value,)
    since: date | None = None
    until: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"statuses": list(self.statuses), "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}


@dataclass(frozen=True)
class ExportData:
    rows: list[dict[str, Any]]
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ExportFiles:
    documents_csv: bytes
    items_csv: bytes | None
    rows: int
    items: int


def _collect(session, filters: ExportFilter, with_items: bool) -> ExportData:
    if not filters.statuses:
        return ExportData([], [])
    found, _ = repository.find_documents(session, statuses=filters.statuses,
                                         since=filters.since.isoformat() if filters.since else None,
                                         until=filters.until.isoformat() if filters.until else None,
                                         limit=None, newest_first=False)
    ids = [r["id"] for r in found]
    values = repository.field_values(session, ids)
    rows = []
    for r in found:
        fields = values.get(r["id"], {})
        row = {"id": r["id"], "file": r["original_name"], "status": r["status"], "uploaded_by": r["uploaded_by"],
               "uploaded_at": r["created_at"].isoformat(timespec="seconds") if r["created_at"] else None,
               "reviewed_by": r["reviewed_by"], "review_note": r["review_note"]}
        row.update({spec.column: fields.get(spec.name) for spec in catalogue.FIELDS})  # the review form's fields
        rows.append(row)
    items = []
    if with_items:
        items = [{"document_id": i.document_id, "position": i.position + 1, "description": i.description,
                  "quantity": i.quantity, "unit_price": i.unit_price, "amount": i.amount}
                 for i in repository.line_items_of(session, ids)]
    return ExportData(rows, items)


def preview(filters: ExportFilter = ExportFilter(), *, limit: int = 200, user: str | None = None,
            settings: Settings | None = None) -> tuple[list[dict[str, Any]], int]:
    """The first `limit` rows the export would hold, and how many it holds in all."""
    with use_case(user, Permission.EXPORT, settings=settings) as session:
        data = _collect(session, filters, with_items=False)
    return data.rows[:limit], len(data.rows)


def export_csv(filters: ExportFilter = ExportFilter(), *, with_items: bool = False, user: str | None = None,
               settings: Settings | None = None) -> ExportFiles:
    """Build the CSV file(s) and record the export in the audit trail."""
    with use_case(user, Permission.EXPORT, settings=settings) as session:
        data = _collect(session, filters, with_items)
        repository.add_audit(session, "export", user=user, **filters.as_dict(), rows=len(data.rows),
                             line_items=len(data.items) if with_items else None)
    return ExportFiles(csv_export.documents_csv(data.rows),
                       csv_export.line_items_csv(data.items) if with_items else None, len(data.rows), len(data.items))
