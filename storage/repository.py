"""Queries and writes over the models. Functions take a Session; the services own the transactions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storage.models import AuditEvent, Document, Field, LineItem, Page, Source, Status, User


# --- documents ---------------------------------------------------------------------------------

def add_document(session: Session, **columns: Any) -> Document:
    document = Document(**columns)
    session.add(document)
    session.flush()  # assigns the id
    return document


def get_document(session: Session, document_id: int, *, with_children: bool = False) -> Document | None:
    if not with_children:
        return session.get(Document, document_id)
    query = (select(Document).where(Document.id == document_id)
             .options(selectinload(Document.pages), selectinload(Document.fields), selectinload(Document.line_items)))
    return session.scalars(query).first()


def document_by_sha256(session: Session, sha256: str) -> Document | None:
    return session.scalars(select(Document).where(Document.sha256 == sha256)).first()


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Document.status, func.count()).group_by(Document.status))
    counts = {status.value: 0 for status in Status}
    counts.update({status: count for status, count in rows})
    return counts


def documents_with_status(session: Session, status: Status, *, started_before: datetime | None = None) -> list[Document]:
    query = select(Document).where(Document.status == status)
    if started_before is not None:
        query = query.where(Document.started_at < started_before)
    return list(session.scalars(query.order_by(Document.id)))


def replace_ocr_results(session: Session, document: Document, *, pages: Iterable[Page], fields: Iterable[Field],
                        line_items: Iterable[LineItem]) -> None:
    """Swap in a fresh OCR result. Values a reviewer corrected (source 'user') are kept as they are,
    so re-processing never undoes a correction; everything from OCR is replaced."""
    document.pages.clear()
    session.flush()  # delete old pages before inserting new ones with the same (document, index)
    document.pages.extend(pages)

    kept_names = {f.name for f in document.fields if f.source == Source.USER}
    for old in [f for f in document.fields if f.source != Source.USER]:
        document.fields.remove(old)
    session.flush()
    document.fields.extend(f for f in fields if f.name not in kept_names)

    if not any(item.source == Source.USER for item in document.line_items):
        document.line_items.clear()
        session.flush()
        document.line_items.extend(line_items)


# --- users and audit ---------------------------------------------------------------------------

def user_by_name(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).first()


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def has_users(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(User)) > 0


def add_audit(session: Session, action: str, *, user: str | None = None, document_id: int | None = None,
              **details: Any) -> AuditEvent:
    event = AuditEvent(action=action, user=user, document_id=document_id, details=details)
    session.add(event)
    return event
