"""Queries and writes over the models. Functions take a Session; the services own the transactions."""

from __future__ import annotations

import typing
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, String, Update, and_, cast, false, func, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from storage import search
from storage.models import (
    AuditEvent,
    Document,
    ExportedDocument,
    ExportState,
    Field,
    FieldRevision,
    LineItem,
    Page,
    ProcessingRun,
    Role,
    SignInSource,
    Source,
    Status,
    User,
    UserSession,
)

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


def page_of(session: Session, document_id: int, index: int) -> Page | None:
    return session.scalars(select(Page).where(Page.document_id == document_id, Page.index == index)).first()


def document_by_sha256(session: Session, sha256: str) -> Document | None:
    return session.scalars(select(Document).where(Document.sha256 == sha256)).first()


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Document.status, func.count()).group_by(Document.status))
    counts = {status.value: 0 for status in Status}
    counts.update({status: count for status, count in rows})
    return counts


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


def user_by_identity(session: Session, issuer: str, subject: str) -> User | None:
    """The account single sign-on bound to this provider's person."""
    return session.scalars(select(User).where(User.sso_issuer == issuer, User.sso_subject == subject)).first()


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def has_users(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(User)))


def lock_active_admins(session: Session) -> list[User]:
    """The active admins, fresh from the database and locked until the transaction ends, so that changes to
    admins take turns and each sees the one before it: row locks (SELECT ... FOR UPDATE) on PostgreSQL, the
    database's write lock on SQLite (taken by a write that changes nothing). Call it before reading users."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(User).where(false()).values(active=User.active))
    query = (select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
             .with_for_update().execution_options(populate_existing=True))
    return list(session.scalars(query))


def count_failed_attempt(session: Session, user_id: int, *, seen: int, now: datetime) -> bool:
    """Count one more failed sign-in, unless another attempt was counted since `seen` was read (then False:
    read again and decide again). One atomic UPDATE, so parallel attempts are each counted, never lost."""
    return rows_changed(session, update(User).where(User.id == user_id, User.failed_attempts == seen)
                        .values(failed_attempts=User.failed_attempts + 1, last_failed_at=now)) == 1


def count_source_attempt(session: Session, source: str, *, now: datetime, window: timedelta, limit: int) -> bool:
    """Count one sign-in attempt from `source`: True when it is within the `limit` attempts of its `window` (a new
    window starts when the last one is over), False when the source must wait. Each step is one conditional
    UPDATE or the first row's INSERT, so attempts racing each other are all counted."""
    row = SignInSource.source == source
    if rows_changed(session, update(SignInSource).where(row, SignInSource.window_started_at <= now - window)
                    .values(attempts=1, window_started_at=now)):
        return True
    if rows_changed(session, update(SignInSource).where(row, SignInSource.attempts < limit)
                    .values(attempts=SignInSource.attempts + 1)):
        return True
    if session.get(SignInSource, source) is not None:
        return False
    with session.begin_nested():  # a parallel first attempt may insert the row first: IntegrityError, tried again
        session.add(SignInSource(source=source, attempts=1, window_started_at=now))
    return True


def uncount_source_attempt(session: Session, source: str) -> None:
    """A sign-in that succeeded does not use up its source's attempts (but cannot clear the others' either)."""
    rows_changed(session, update(SignInSource).where(SignInSource.source == source, SignInSource.attempts > 0)
                 .values(attempts=SignInSource.attempts - 1))


def rows_changed(session: Session, statement: Update) -> int:
    """Run an UPDATE that leaves the session's objects alone; how many rows it changed."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return typing.cast("CursorResult[Any]", result).rowcount  # an UPDATE's result is a CursorResult


def user_session(session: Session, *, session_id: int | None = None, token_hash: str | None = None,
                 claim_hash: str | None = None) -> UserSession | None:
    """A sign-in session by its id, its cookie token's hash or its claim code's hash (exactly one given)."""
    if session_id is not None:
        return session.get(UserSession, session_id)
    column, value = (UserSession.token_hash, token_hash) if token_hash is not None else (UserSession.claim_hash,
                                                                                         claim_hash)
    return session.scalars(select(UserSession).where(column == value)).first()


def add_audit(session: Session, action: str, *, user: str | None = None, document_id: int | None = None,
              **details: Any) -> AuditEvent:
    event = AuditEvent(action=action, user=user, document_id=document_id, details=details)
    session.add(event)
    return event


# --- review, documents list, search, export, monitor (pages) ------------------------------------

def review_queue(session: Session, *, limit: int = 50) -> list[Document]:
    """Documents waiting for a reviewer: lowest field confidence first (none found counts as 0), then oldest."""
    query = (select(Document).where(Document.status == Status.NEEDS_REVIEW)
             .order_by(func.coalesce(Document.min_confidence, 0.0), Document.created_at, Document.id).limit(limit))
    return list(session.scalars(query))


def count_with_status(session: Session, status: Status) -> int:
    return session.scalar(select(func.count()).select_from(Document).where(Document.status == status)) or 0


def revisions_for(session: Session, document_id: int) -> list[tuple[str, FieldRevision]]:
    """(field name, revision) pairs of one document, newest first."""
    query = (select(Field.name, FieldRevision).join(FieldRevision, FieldRevision.field_id == Field.id)
             .where(Field.document_id == document_id).order_by(FieldRevision.at.desc(), FieldRevision.id.desc()))
    return [(name, revision) for name, revision in session.execute(query)]


def add_field(session: Session, document: Document, name: str, **columns: Any) -> Field:
    field = Field(name=name, **columns)
    document.fields.append(field)
    return field


def add_revision(session: Session, field: Field, *, old: str | None, new: str | None, user: str | None) -> None:
    field.revisions.append(FieldRevision(old=old, new=new, user=user))


def last_audit_user(session: Session, document_id: int, actions: Iterable[str]) -> str | None:
    query = (select(AuditEvent.user).where(AuditEvent.document_id == document_id, AuditEvent.action.in_(list(actions)))
             .order_by(AuditEvent.id.desc()).limit(1))
    return session.scalar(query)


def _receipt_date(date_field):
    """The receipt's date (ISO text) when read, else the upload day."""
    return func.coalesce(date_field.value, func.substr(cast(Document.created_at, String), 1, 10))


def find_documents(session: Session, *, statuses: Iterable[str] | None = None, vendor: str | None = None,
                   since: str | None = None, until: str | None = None, uploader: str | None = None,
                   text: str | None = None, export_state: str | None = None, ids: Iterable[int] | None = None,
                   offset: int = 0, limit: int | None = 50,
                   newest_first: bool = True) -> tuple[list[dict[str, Any]], int]:
    """One page of documents as plain rows (with vendor, date, total, their latest export and the first page's
    image keys), and how many match in all. Dates are ISO strings compared on the receipt date, falling back
    to the upload day; `export_state` is an ExportState; `ids` keeps only those documents."""
    vendor_f, date_f, total_f, first_page = aliased(Field), aliased(Field), aliased(Field), aliased(Page)
    receipt_date = _receipt_date(date_f)
    query = (select(Document.id, Document.original_name, Document.status, Document.uploaded_by, Document.created_at,
                    Document.error_code, Document.error_message, Document.min_confidence, Document.reviewed_by,
                    Document.review_note, Document.approval_override, Document.version, Document.source_first_page,
                    Document.source_last_page,
                    vendor_f.value.label("vendor"), receipt_date.label("date"), total_f.value.label("total"),
                    ExportedDocument.batch_id.label("export_batch"), ExportedDocument.changed_at.label("changed_at"),
                    first_page.original_key.label("original_key"), first_page.cleaned_key.label("cleaned_key"))
             .outerjoin(vendor_f, and_(vendor_f.document_id == Document.id, vendor_f.name == "vendor"))
             .outerjoin(date_f, and_(date_f.document_id == Document.id, date_f.name == "date"))
             .outerjoin(total_f, and_(total_f.document_id == Document.id, total_f.name == "total"))
             .outerjoin(ExportedDocument, ExportedDocument.document_id == Document.id)
             .outerjoin(first_page, and_(first_page.document_id == Document.id, first_page.index == 0)))
    statuses = list(statuses or [])
    if statuses:
        query = query.where(Document.status.in_(statuses))
    if vendor:
        query = query.where(vendor_f.value.icontains(vendor, autoescape=True))  # % and _ are letters here
    if since:
        query = query.where(receipt_date >= since)
    if until:
        query = query.where(receipt_date <= until)
    if uploader:
        query = query.where(Document.uploaded_by == uploader)
    if text and text.strip():
        query = query.where(Document.id.in_(search.matching_documents(session, text)))
    if export_state:
        query = query.where(_in_export_state(ExportState(export_state)))
    if ids is not None:
        query = query.where(Document.id.in_(list(ids)))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    order = Document.id.desc() if newest_first else Document.id
    query = query.order_by(order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [dict(row._mapping) for row in session.execute(query)], total


def _in_export_state(state: ExportState):
    if state is ExportState.NOT_EXPORTED:
        return ExportedDocument.batch_id.is_(None)
    if state is ExportState.CHANGED:
        return ExportedDocument.changed_at.is_not(None)
    return and_(ExportedDocument.batch_id.is_not(None), ExportedDocument.changed_at.is_(None))


def field_values(session: Session, document_ids: list[int]) -> dict[int, dict[str, str | None]]:
    """{document id: {field name: value}} for the given documents, read in chunks."""
    values: dict[int, dict[str, str | None]] = {i: {} for i in document_ids}
    for start in range(0, len(document_ids), 500):
        chunk = document_ids[start:start + 500]
        for document_id, name, value in session.execute(
                select(Field.document_id, Field.name, Field.value).where(Field.document_id.in_(chunk))):
            values[document_id][name] = value
    return values


def approved_vendors(session: Session, *, limit: int, text_chars: int = 600) -> list[tuple[int, str, str | None, str]]:
    """(document id, vendor, address, start of page 1's text) of the newest `limit` approved documents that have a
    vendor: what the vendor memory (ocr.vendors) learns from. One query; only the start of the text is read."""
    vendor, address = aliased(Field), aliased(Field)
    query = (select(Document.id, vendor.value, address.value, func.substr(Page.text, 1, text_chars))
             .join(vendor, and_(vendor.document_id == Document.id, vendor.name == "vendor"))
             .outerjoin(address, and_(address.document_id == Document.id, address.name == "vendor_address"))
             .outerjoin(Page, and_(Page.document_id == Document.id, Page.index == 0))
             .where(Document.status == Status.APPROVED, vendor.value.is_not(None), vendor.value != "")
             .order_by(Document.updated_at.desc(), Document.id.desc()).limit(limit))
    return [(i, name, place, text or "") for i, name, place, text in session.execute(query)]


def document_reading(session: Session, document_id: int) -> tuple[list[Page], dict[str, str]]:
    """A document's pages (with their words) and its fields' current values: what it teaches as a labelled
    receipt once approved (the vendor memory's profile of a supplier; retraining from approvals)."""
    pages = list(session.scalars(select(Page).where(Page.document_id == document_id).order_by(Page.index)))
    values = {name: value or "" for name, value in
              session.execute(select(Field.name, Field.value).where(Field.document_id == document_id))}
    return pages, values


def line_items_of(session: Session, document_ids: list[int]) -> list[LineItem]:
    items: list[LineItem] = []
    for start in range(0, len(document_ids), 500):
        chunk = document_ids[start:start + 500]
        items.extend(session.scalars(select(LineItem).where(LineItem.document_id.in_(chunk))
                                     .order_by(LineItem.document_id, LineItem.position)))
    return items


def uploaders(session: Session) -> list[str]:
    uploader = Document.uploaded_by
    query = select(uploader).where(uploader.is_not(None)).distinct().order_by(uploader)
    return list(session.scalars(query))


def processing_runs_since(session: Session, since: datetime) -> list[ProcessingRun]:
    return list(session.scalars(select(ProcessingRun).where(ProcessingRun.started_at >= since)
                                .order_by(ProcessingRun.started_at)))


def audit_counts_since(session: Session, since: datetime, actions: Iterable[str]) -> dict[str, int]:
    rows = session.execute(select(AuditEvent.action, func.count()).where(AuditEvent.at >= since,
                                                                          AuditEvent.action.in_(list(actions)))
                           .group_by(AuditEvent.action))
    return {action: count for action, count in rows}


def corrections_since(session: Session, since: datetime) -> list[tuple[str, datetime]]:
    """(field name, when) of every reviewer correction since `since`."""
    query = (select(Field.name, FieldRevision.at).join(Field, Field.id == FieldRevision.field_id)
             .where(FieldRevision.at >= since))
    return [(name, at) for name, at in session.execute(query)]


def ocr_confidence_since(session: Session, since: datetime) -> list[tuple[datetime, float]]:
    """(finished at, mean OCR confidence) of documents processed since `since`."""
    query = (select(func.coalesce(Document.finished_at, Document.created_at), Document.mean_ocr_confidence)
             .where(Document.mean_ocr_confidence.is_not(None),
                    func.coalesce(Document.finished_at, Document.created_at) >= since))
    return [(at, confidence) for at, confidence in session.execute(query) if confidence is not None]


def find_audit_events(session: Session, *, user: str | None = None, action: str | None = None,
                      actions: Iterable[str] | None = None, excluded_actions: Iterable[str] | None = None,
                      since: datetime | None = None, before: datetime | None = None, offset: int = 0,
                      limit: int | None = 50) -> tuple[list[AuditEvent], int]:
    """One page of audit events (newest first) matching the filters, and how many match in all
    (`limit=None`: all of them)."""
    query = select(AuditEvent)
    if user:
        query = query.where(AuditEvent.user == user)
    if action:
        query = query.where(AuditEvent.action == action)
    if actions is not None:
        query = query.where(AuditEvent.action.in_(list(actions)))
    if excluded_actions:
        query = query.where(AuditEvent.action.not_in(list(excluded_actions)))
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if before is not None:
        query = query.where(AuditEvent.at < before)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset(offset)
    events = session.scalars(query.limit(limit) if limit is not None else query)
    return list(events), total


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def audit_users(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.user).where(AuditEvent.user.is_not(None)).distinct()
                                .order_by(AuditEvent.user)))
