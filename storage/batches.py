"""Export batches and each document's latest export: what the accountant has, and what changed since."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import ExportBatch, ExportedDocument, utcnow


def add_batch(session: Session, *, user: str | None, filters: dict[str, Any], document_ids: list[int],
              columns: Iterable[str], files: dict[str, str], checksum: str) -> ExportBatch:
    """Record a batch and make it each document's latest export (no longer 'changed since export').
    A document exported for the first time is inserted, never updated: two exports racing for the same new
    documents cannot both commit (the second fails on the primary key)."""
    batch = ExportBatch(user=user, filters=filters, document_ids=list(document_ids), columns=list(columns),
                        files=files, checksum=checksum)
    session.add(batch)
    session.flush()
    known = {mark.document_id: mark for mark in _marks(session, document_ids)}
    for document_id in document_ids:
        mark = known.get(document_id)
        if mark is None:
            session.add(ExportedDocument(document_id=document_id, batch_id=batch.id))
        else:
            mark.batch_id, mark.changed_at, mark.changed_by = batch.id, None, None
    session.flush()
    return batch


def _marks(session: Session, document_ids: list[int]) -> list[ExportedDocument]:
    marks: list[ExportedDocument] = []
    for start in range(0, len(document_ids), 500):
        chunk = document_ids[start:start + 500]
        marks.extend(session.scalars(select(ExportedDocument).where(ExportedDocument.document_id.in_(chunk))))
    return marks


def get_batch(session: Session, batch_id: int) -> ExportBatch | None:
    return session.get(ExportBatch, batch_id)


def list_batches(session: Session, *, offset: int = 0, limit: int = 20) -> tuple[list[ExportBatch], int]:
    """One page of batches, newest first, and how many there are."""
    total = session.scalar(select(func.count()).select_from(ExportBatch)) or 0
    query = select(ExportBatch).order_by(ExportBatch.id.desc()).offset(offset).limit(limit)
    return list(session.scalars(query)), total


def export_mark(session: Session, document_id: int) -> ExportedDocument | None:
    return session.get(ExportedDocument, document_id)


def mark_changed(session: Session, document_id: int, user: str | None) -> int | None:
    """Note that an exported document changed; returns the batch it was last exported in (None: never
    exported). The first change since the export is the one kept."""
    mark = session.get(ExportedDocument, document_id)
    if mark is None:
        return None
    if mark.changed_at is None:
        mark.changed_at, mark.changed_by = utcnow(), user
    return mark.batch_id


def changed_count(session: Session) -> int:
    """Exported documents changed since their export."""
    query = select(func.count()).select_from(ExportedDocument).where(ExportedDocument.changed_at.is_not(None))
    return session.scalar(query) or 0
