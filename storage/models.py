"""SQLAlchemy 2.0 typed models. Change them together with a migration in storage/migrations/versions."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator

from ocr.types import Flag, Word

# Stable constraint names, so batch migrations on SQLite can find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: use storage.models.utcnow()")
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class DecimalText(TypeDecorator):
    """Exact decimals stored as text: SQLite has no decimal type and floats would lose cents."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect):
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: str | None, dialect):
        return None if value is None else Decimal(value)


class FlagList(TypeDecorator):
    """A list of ocr.types.Flag, stored as JSON [{"code", "message", "fields"}]: the one type flags have."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: list[Flag] | None, dialect):
        return None if value is None else [flag.as_dict() for flag in value]

    def process_result_value(self, value: list[dict[str, Any]] | None, dialect):
        return [] if value is None else [Flag.from_dict(item) for item in value]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON, Decimal: DecimalText}


# What the search migrations (0002, 0003) create outside the models: SQLite's FTS5 indexes (and their shadow
# tables); PostgreSQL's generated tsvector columns and their GIN indexes. Alembic autogenerate must leave them
# alone: pass `include_name=managed_by_models`.
SEARCH_INDEX_TABLES = ("pages_fts", "fields_fts", "line_items_fts")
SEARCH_VECTOR = "search_vector"


def managed_by_models(name: str | None, type_: str, parent_names: object) -> bool:
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(SEARCH_INDEX_TABLES)
    if type_ == "column":
        return name != SEARCH_VECTOR
    return not (type_ == "index" and name.endswith(f"_{SEARCH_VECTOR}"))


class Status(enum.StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"
    SPLIT = "split"  # a file of several receipts: each became a document of its own (Document.source_id)


class ExportState(enum.StrEnum):
    """Where a document stands with the accountant (table exported_documents)."""

    NOT_EXPORTED = "not_exported"
    EXPORTED = "exported"  # in a batch, unchanged since
    CHANGED = "changed"  # in a batch, then edited, approved again, rejected or re-processed


class RunOutcome(enum.StrEnum):
    """How one processing attempt (ProcessingRun) ended."""

    RUNNING = "running"  # not yet
    OK = "ok"  # results stored, the document needs review
    FAILED = "failed"  # the document failed (bad input, a bug, or out of retries)
    RETRY = "retry"  # a transient error: the document went back on the queue for another attempt
    LOST = "lost"  # the lease was lost (another worker, or recovery, took the document over)
    INTERRUPTED = "interrupted"  # the worker stopped and gave the document back
    PAUSED = "paused"  # no room on the disk: the document went back on the queue, the attempt not counted


class Role(enum.StrEnum):
    UPLOADER = "uploader"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Source(enum.StrEnum):
    OCR = "ocr"
    USER = "user"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("sso_issuer", "sso_subject", name="uq_users_sso"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None for single-sign-on-only users
    role: Mapped[str] = mapped_column(String(16), default=Role.UPLOADER)
    active: Mapped[bool] = mapped_column(default=True)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Single sign-on binds an account to the provider ('iss') and its stable id for the person ('sub'), never to a
    # display name; set at the first sign-in through a verified e-mail equal to the account's name.
    sso_issuer: Mapped[str | None] = mapped_column(String(255))
    sso_subject: Mapped[str | None] = mapped_column(String(255))
    # A generated password someone else saw (the first admin's, printed; one an admin reset): changed at sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)


class SessionEnd(enum.StrEnum):
    """Why a signed-in session ended."""

    SIGN_OUT = "sign_out"
    IDLE = "idle"
    DISABLED = "disabled"
    PASSWORD_CHANGED = "password_changed"
    ROLE_CHANGED = "role_changed"


class UserSession(Base):
    """One sign-in, shared by the browser tabs that carry its cookie. Only hashes of the cookie's token and of
    the one-time claim code that sets the cookie are stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    claim_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    via: Mapped[str] = mapped_column(String(16), default="password")  # or "sso"
    # What the session was granted under: a change of either, made any way, ends it (services.sessions).
    role: Mapped[str] = mapped_column(String(16))
    password_mark: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the password hash at sign-in
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(16))

    user: Mapped[User] = relationship()


class Document(Base):
    """One receipt, or one uploaded file. A file found to hold several receipts is `split`: each receipt is a document
    of its own that names the file (`source_id`, the uploaded document) and the file's pages it was read from."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_status_created", "status", "created_at"),
                      UniqueConstraint("source_id", "source_first_page"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str | None] = mapped_column(String(64), unique=True)  # of the uploaded file; None for its receipts
    original_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    page_count: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default=Status.QUEUED, index=True)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    flags: Mapped[list[Flag]] = mapped_column(FlagList, default=list)  # cross-field checks and notes
    min_confidence: Mapped[float | None]  # lowest field confidence: the review queue's sort key
    mean_ocr_confidence: Mapped[float | None]
    uploaded_by: Mapped[str | None] = mapped_column(String(64), index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    review_note: Mapped[str | None] = mapped_column(Text)  # e.g. the reason for a rejection
    approval_override: Mapped[str | None] = mapped_column(Text)  # why it was approved although its checks failed
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None]  # start of the current processing lease
    finished_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    source_first_page: Mapped[int | None]  # the file's pages this receipt was read from, 0-based, both included
    source_last_page: Mapped[int | None]

    pages: Mapped[list[Page]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                             order_by="Page.index")
    fields: Mapped[list[Field]] = relationship(back_populates="document", cascade="all, delete-orphan")
    line_items: Mapped[list[LineItem]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                                      order_by="LineItem.position")
    source: Mapped[Document | None] = relationship(remote_side=[id], back_populates="receipts")
    receipts: Mapped[list[Document]] = relationship(back_populates="source", order_by="Document.source_first_page")

    __mapper_args__ = {"version_id_col": version}  # optimistic locking: a stale save raises StaleDataError

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def blob_key(self) -> str:
        """The blob of the file this document is read from: its own upload, or the file it was split from."""
        file = self.source or self
        if file.sha256 is None:
            raise ValueError(f"document #{self.id} has neither a file nor a source")
        return file.sha256

    @property
    def source_pages(self) -> range | None:
        """The file's pages (0-based) a receipt split from a file was read from; None for an uploaded file."""
        if self.source_id is None or self.source_first_page is None or self.source_last_page is None:
            return None
        return range(self.source_first_page, self.source_last_page + 1)


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    index: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    dpi: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text, default="")
    mean_confidence: Mapped[float | None]
    trace: Mapped[list[Any]] = mapped_column(default=list)  # [{"name", "ms", "details", "skipped"}]
    words: Mapped[list[Any]] = mapped_column(default=list)  # Word.as_row(): [text, confidence, left, top, width,
    # height], plus the second reading and its confidence when there is one
    original_key: Mapped[str | None] = mapped_column(String(64))  # blob key of the page as loaded
    cleaned_key: Mapped[str | None] = mapped_column(String(64))  # blob key of the page as read by OCR
    image_hash: Mapped[str | None] = mapped_column(String(80))  # ocr.duplicates.PageHash.as_text() of that page
    ocr_ms: Mapped[float | None]

    document: Mapped[Document] = relationship(back_populates="pages")

    def ocr_words(self) -> tuple[Word, ...]:
        """The words as read (both readings), boxes on the cleaned page."""
        return tuple(Word.from_row(row) for row in self.words)


class Field(Base):
    __tablename__ = "fields"
    __table_args__ = (UniqueConstraint("document_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    value: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None]
    page_index: Mapped[int | None]
    box: Mapped[list[Any] | None] = mapped_column(JSON)  # [left, top, width, height] on the cleaned page
    source: Mapped[str] = mapped_column(String(8), default=Source.OCR)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    document: Mapped[Document] = relationship(back_populates="fields")
    revisions: Mapped[list[FieldRevision]] = relationship(back_populates="field", cascade="all, delete-orphan",
                                                          order_by="FieldRevision.at")


class FieldRevision(Base):
    __tablename__ = "field_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id", ondelete="CASCADE"), index=True)
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    user: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    field: Mapped[Field] = relationship(back_populates="revisions")


class LineItem(Base):
    __tablename__ = "line_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal | None]
    unit_price: Mapped[Decimal | None]
    amount: Mapped[Decimal | None]
    confidence: Mapped[float | None]
    page_index: Mapped[int | None]
    box: Mapped[list[Any] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(8), default=Source.OCR)

    document: Mapped[Document] = relationship(back_populates="line_items")


class ProcessingRun(Base):
    """One attempt at processing a document: outcome and timings, for the monitor page."""

    __tablename__ = "processing_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), default=RunOutcome.RUNNING)
    error_code: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[int | None]
    total_ms: Mapped[float | None]
    step_ms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    worker: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    document_id: Mapped[int | None] = mapped_column(index=True)  # no foreign key: the trail outlives documents
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SignInSource(Base):
    """Sign-in attempts from one network address in its current window: a guesser who spreads guesses over many
    names from one place is slowed down as well (services.users)."""

    __tablename__ = "sign_in_sources"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]


class ExportBatch(Base):
    """One export: who, when, what was asked for, which documents, and the files as they were delivered
    (kept in the blob store, so a batch downloads again byte for byte; the keys are the files' SHA-256)."""

    __tablename__ = "export_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user: Mapped[str | None] = mapped_column(String(64))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    document_ids: Mapped[list[Any]] = mapped_column(default=list)
    columns: Mapped[list[Any]] = mapped_column(default=list)  # the documents file's columns
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {file kind: blob key}
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the documents CSV


class ExportedDocument(Base):
    """A document's latest export, and whether it was changed (edited, approved again, rejected,
    re-processed) since: then the accountant's copy is out of date."""

    __tablename__ = "exported_documents"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("export_batches.id"), index=True)
    changed_at: Mapped[datetime | None] = mapped_column(index=True)
    changed_by: Mapped[str | None] = mapped_column(String(64))


class WatchedFile(Base):
    """A file the watched folder took (services.watch): by folder, path inside it, size and modification time, so
    a restart, or a folder whose files are left in place, never takes the same file twice."""

    __tablename__ = "watched_files"
    __table_args__ = (Index("ix_watched_files_folder_path", "folder", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    folder: Mapped[str] = mapped_column(Text)  # the watched folder, absolute
    path: Mapped[str] = mapped_column(Text)  # the file, relative to the folder
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(16))  # ingest's: queued, duplicate, refused
    document_id: Mapped[int | None]  # no foreign key: the record outlives documents, like the audit trail
    message: Mapped[str] = mapped_column(Text, default="")
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class DuplicatePair(Base):
    """Two documents that may be one receipt (services.duplicates): the same vendor, date and total, a near-identical
    page, or both. `first_id` is the older. A reviewer's "not a duplicate" is kept (dismissed_by, dismissed_at)."""

    __tablename__ = "duplicate_pairs"
    __table_args__ = (UniqueConstraint("first_id", "second_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    second_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    same_values: Mapped[bool] = mapped_column(default=False)
    image_distance: Mapped[int | None]  # bits of ocr.duplicates' page hash that differ; None: the pages differ
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
    dismissed_by: Mapped[str | None] = mapped_column(String(64))
    dismissed_at: Mapped[datetime | None]


# Tables kept in a module of their own, imported here so that Base.metadata (the migrations and their check) holds
# every table.
import storage.ranker_runs  # noqa: E402,F401
