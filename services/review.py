"""Review: the queue, one document with its fields and history, corrections, approve / reject
(what a value means and which checks fail: services.checks).

Every change to a field is a FieldRevision (old, new, who, when) and marks the field source 'user'.
The form carries the document version it was loaded at: if someone saved in between, ConflictError,
never a silent overwrite (checked here, and by SQLAlchemy's version column at flush time).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from errors import ApprovalBlocked, ConflictError, ErrorCode, InputError
from ocr import catalogue
from ocr.catalogue import FieldSpec
from ocr.layout import group_rows
from ocr.screen import ScreenImage, screen_image
from ocr.types import LINE_ITEMS, Flag
from services import duplicates, inputs
from services.access import Permission, use_case
from services.checks import approval_problems, item_decimal, normalise_value, recheck
from services.origin import file_label, pages_text
from services.queue import enqueue_quietly
from settings import Settings, get_settings
from storage import batches, jobs, repository
from storage.blobs import BlobStore
from storage.models import Document, LineItem, Source, Status, utcnow

CURRENCIES = catalogue.CURRENCY_CODES  # what the form offers (ocr.catalogue; a reviewer may type another)
REVIEWED = (Status.NEEDS_REVIEW, Status.REJECTED, Status.APPROVED)  # the statuses approve / reject accept
SCREEN_IMAGES = 24  # page images kept encoded for the screen (~300 kB each): the next in the queue is made ahead


@dataclass(frozen=True)
class QueueItem:
    id: int
    name: str
    min_confidence: float | None
    created_at: datetime
    flags: int


@dataclass(frozen=True)
class FieldView:
    name: str
    value: str | None
    raw: str | None
    confidence: float | None
    page_index: int | None
    box: list[int] | None
    source: str
    low: bool
    flags: tuple[str, ...]  # messages of failed checks that involve this field
    notes: tuple[str, ...] = ()  # where the value came from (e.g. recalled from an approved receipt)


@dataclass(frozen=True)
class PageView:
    index: int
    width: int
    height: int
    original_key: str | None
    cleaned_key: str | None


@dataclass(frozen=True)
class PageScreen:
    """A page for the review screen: a JPEG (no metadata) and its size; the size of the cleaned page the boxes are
    measured on; and OCR's words, each (text, left, top, width, height, line) with its visual line's number."""

    jpeg: bytes
    width: int
    height: int
    page_width: int
    page_height: int
    words: list[tuple[str, int, int, int, int, int]]


@dataclass(frozen=True)
class RevisionView:
    field: str
    old: str | None
    new: str | None
    user: str | None
    at: datetime


@dataclass(frozen=True)
class DocumentReview:
    id: int
    name: str
    status: str
    version: int
    created_at: datetime
    uploaded_by: str | None
    reviewed_by: str | None
    review_note: str | None
    error_code: str | None
    error_message: str | None
    flags: list[Flag]
    fields: list[FieldView]
    pages: list[PageView]
    line_items: list[dict[str, Any]]
    history: list[RevisionView]
    approval_problems: tuple[str, ...] = ()  # what stops an approval without a reason (services.checks)
    approval_override: str | None = None  # the reason it was approved all the same
    queue_position: int | None = None
    queue_length: int = 0
    export_batch: int | None = None  # the batch it was last exported in
    changed_since_export: bool = False
    origin: str | None = None  # 'page 2 of stack.pdf' for a receipt split from a file; for the file, its receipts

    def field(self, name: str) -> FieldView | None:
        return next((f for f in self.fields if f.name == name), None)

    def values(self) -> dict[str, str | None]:
        return {f.name: f.value for f in self.fields}


@dataclass(frozen=True)
class Outcome:
    document_id: int
    version: int
    changed: list[str] = field(default_factory=list)
    next_id: int | None = None
    exported_in: int | None = None  # this change made an exported document "changed since export batch N"


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None
    new: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "old": self.old, "new": self.new}


# --- reading -------------------------------------------------------------------------------------

def form_fields() -> tuple[FieldSpec, ...]:
    """The review form's fields in order, with their labels and kinds (services.checks.Kind): the catalogue's."""
    return catalogue.FIELDS.specs


def queue(*, limit: int = 50, user: str | None = None, settings: Settings | None = None) -> tuple[list[QueueItem], int]:
    """The review queue's head (lowest confidence first, then oldest) and its full length."""
    with use_case(user, Permission.REVIEW, settings=settings) as session:
        documents = repository.review_queue(session, limit=limit)
        length = repository.count_with_status(session, Status.NEEDS_REVIEW)
        return [QueueItem(d.id, file_label(d.original_name, d.source_first_page, d.source_last_page),
                          d.min_confidence, d.created_at, sum(not flag.is_note for flag in d.flags))
                for d in documents], length


def next_document_id(*, after: int | None = None, user: str | None = None,
                     settings: Settings | None = None) -> int | None:
    """The first document in the queue other than `after`."""
    with use_case(user, Permission.REVIEW, settings=settings) as session:
        return _next_in_queue(session, after)


def _next_in_queue(session, after: int | None) -> int | None:
    """The id at the head of the review queue, skipping `after` (the document just handled)."""
    return next((d.id for d in repository.review_queue(session, limit=2) if d.id != after), None)


def open_document(document_id: int | None = None, *, user: str | None = None,
                  settings: Settings | None = None) -> DocumentReview | None:
    """One document for the review screen; without an id, the head of the queue. None if there is none."""
    settings = settings or get_settings()
    with use_case(user, Permission.REVIEW, settings=settings) as session:
        if document_id is None:
            head = repository.review_queue(session, limit=1)
            if not head:
                return None
            document_id = head[0].id
        elif not inputs.is_id(document_id):
            return None
        document = repository.get_document(session, document_id, with_children=True)
        if document is None:
            return None
        revisions = repository.revisions_for(session, document_id)
        history = [RevisionView(name, r.old, r.new, r.user, r.at) for name, r in revisions]
        mark = batches.export_mark(session, document_id)
        return replace(_view(document, history, settings), export_batch=mark.batch_id if mark else None,
                       changed_since_export=mark is not None and mark.changed_at is not None)


def _view(document: Document, history: list[RevisionView], settings: Settings) -> DocumentReview:
    flags = list(document.flags)
    extraction = settings.ocr_config().extraction
    by_name = {f.name: f for f in document.fields}
    order = catalogue.FIELDS.names
    names = [n for n in order if n in by_name] + sorted(n for n in by_name if n not in order)
    fields = []
    for name in names:
        f = by_name[name]
        about = [flag for flag in flags if name in flag.fields and flag.code != "low_confidence"]
        messages = tuple(flag.message for flag in about if not flag.is_note)
        notes = tuple(flag.message for flag in about if flag.is_note)
        low = f.source != Source.USER and f.confidence is not None and f.confidence < extraction.flag_below(name)
        fields.append(FieldView(name, f.value, f.raw, f.confidence, f.page_index, list(f.box) if f.box else None,
                                f.source, low, messages, notes))
    pages = [PageView(p.index, p.width, p.height, p.original_key, p.cleaned_key) for p in document.pages]
    items = [{"description": i.description, "quantity": _num(i.quantity), "unit_price": _num(i.unit_price),
              "amount": _num(i.amount)} for i in document.line_items]
    return DocumentReview(document.id, document.original_name, document.status, document.version,
                          document.created_at, document.uploaded_by, document.reviewed_by, document.review_note,
                          document.error_code, document.error_message, flags, fields, pages, items, history,
                          tuple(approval_problems(document)), document.approval_override, origin=origin(document))


def origin(document: Document) -> str | None:
    """Where a receipt of a stack comes from ('page 2 of stack.pdf', 'pages 2-3 of stack.pdf'), or which receipts a
    split file became ('stack.pdf holds 4 receipts: #5, #6, #7, #8'); None for a file of one receipt."""
    pages = document.source_pages
    if pages is not None:
        return f"{pages_text(pages.start, pages.stop - 1)} of {document.original_name}"
    if document.status == Status.SPLIT:
        ids = ", ".join(f"#{receipt.id}" for receipt in document.receipts)
        return f"{document.original_name} holds {len(document.receipts)} receipts: {ids}"
    return None


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def page_screen(document_id: int, page_index: int = 0, *, cleaned: bool = True, user: str | None = None,
                settings: Settings | None = None) -> PageScreen | None:
    """A page as the review screen shows it (the cleaned page OCR read, or the original); None without an image.
    The fields' boxes and the words' boxes are in the cleaned page's pixels: on the original they are scaled to its
    size, which is approximate if the cleaning turned or deskewed the page."""
    settings = settings or get_settings()
    with use_case(user, Permission.REVIEW, settings=settings) as session:
        page = repository.page_of(session, document_id, page_index)
        if page is None:
            return None
        key = (page.cleaned_key if cleaned else page.original_key) or page.original_key or page.cleaned_key
        words = list(page.ocr_words())
        size = (page.width, page.height)
    if not key or not BlobStore(settings.blob_dir).exists(key):
        return None
    image = _screen_image(str(settings.blob_dir), key)
    lines = [(row.index, word) for row in group_rows(words, page_index) for word in row.words]
    return PageScreen(image.jpeg, image.width, image.height, *size,
                      [(word.text, *word.box.as_list(), line) for line, word in lines])


@lru_cache(maxsize=SCREEN_IMAGES)
def _screen_image(blob_dir: str, key: str) -> ScreenImage:
    """Blob keys are content hashes, so one encoding serves every reviewer (each asks through page_screen, which
    checks their permission first)."""
    return screen_image(BlobStore(Path(blob_dir)).get(key))


# --- writing -------------------------------------------------------------------------------------

def _load_for_change(session, document_id: int, version: int) -> Document:
    document = repository.get_document(session, document_id, with_children=True)
    if document is None:
        raise InputError(f"document #{document_id} does not exist (any more)", code=ErrorCode.NOT_FOUND)
    if document.version != version:
        who = document.reviewed_by or repository.last_audit_user(session, document_id, ("review_save", "approve",
                                                                                      "reject", "reprocess"))
        raise ConflictError(f"{who or 'Someone else'} saved this document first; reloaded their version "
                            f"(your changes were not saved).")
    return document


Boxes = dict[str, tuple[int, list[int]]]  # field name -> (page index, [left, top, width, height]) picked on the page


def _apply(session, document: Document, values: dict[str, Any], line_items: list[dict[str, Any]] | None,
           user: str | None, settings: Settings, boxes: Boxes | None = None) -> list[Change]:
    changed: list[Change] = []
    for name, raw_value in values.items():
        current = document.field(name)
        old = current.value if current is not None else None
        as_text = "" if raw_value is None else str(raw_value).strip()
        if not isinstance(raw_value, (date, datetime)) and as_text == (old or ""):
            continue  # untouched: not re-validated, so an odd OCR value can wait for its correction
        new = normalise_value(name, raw_value)
        if new == old:
            continue
        if current is None:
            current = repository.add_field(session, document, name, value=new, raw=None, confidence=1.0,
                                           source=Source.USER)
        else:
            current.value, current.source, current.confidence = new, Source.USER, 1.0
        repository.add_revision(session, current, old=old, new=new, user=user)
        changed.append(Change(name, old, new))
    for name, (page_index, box) in (boxes or {}).items():
        if (current := document.field(name)) is not None:  # where the reviewer found the value on the page
            current.page_index, current.box = int(page_index), [int(v) for v in box]
    if line_items is not None:
        new_items = []
        for position, row in enumerate(line_items):
            description = inputs.text(str(row.get("description") or "").strip(), f"line {position + 1}: description",
                                      max_chars=inputs.FIELD_CHARS)
            numbers = {c: item_decimal(row.get(c), c, position) for c in ("quantity", "unit_price", "amount")}
            if description or any(v is not None for v in numbers.values()):
                new_items.append((description, numbers))
        old_items = [(i.description, {"quantity": i.quantity, "unit_price": i.unit_price, "amount": i.amount})
                     for i in document.line_items]
        if new_items != old_items:
            document.line_items.clear()
            session.flush()
            for position, (description, numbers) in enumerate(new_items):
                document.line_items.append(LineItem(position=position, description=description, confidence=1.0,
                                                    source=Source.USER, **numbers))
            changed.append(Change(LINE_ITEMS, f"{len(old_items)} items", f"{len(new_items)} items"))
    if changed:
        document.flags = recheck(document, settings)
        confidences = [f.confidence for f in document.fields if f.confidence is not None]
        document.min_confidence = min(confidences) if confidences else None
        document.reviewed_by = user
        document.updated_at = utcnow()  # an UPDATE of the row, so the version moves and a stale form conflicts
    if {change.field for change in changed} & set(duplicates.VALUE_FIELDS):
        duplicates.refresh(session, document)
    return changed


def _commit(user: str | None, settings: Settings, work) -> Outcome:
    """Run `work` as one REVIEW use case; a save that lost the race on the version column is a conflict."""
    with use_case(user, Permission.REVIEW, settings=settings, conflict="Another reviewer saved this document first; "
                  "reloaded their version (your changes were not saved).") as session:
        return work(session)


def save(document_id: int, version: int, values: dict[str, Any], line_items: list[dict[str, Any]] | None = None,
         *, boxes: Boxes | None = None, user: str | None = None, settings: Settings | None = None) -> Outcome:
    """Store the reviewer's corrections (only what changed) and the boxes they picked for fields, re-check the
    flags. Status stays as it is."""
    settings = settings or get_settings()

    def work(session) -> Outcome:
        document = _load_for_change(session, document_id, version)
        changes = _apply(session, document, values, line_items, user, settings, boxes)
        exported_in = None
        if changes:
            exported_in = batches.mark_changed(session, document_id, user)
            repository.add_audit(session, "review_save", user=user, document_id=document_id,
                                 **_change_details(changes, exported_in))
        session.flush()
        return Outcome(document_id, document.version, [c.field for c in changes], exported_in=exported_in)

    return _commit(user, settings, work)


def _change_details(changes: list[Change], exported_in: int | None) -> dict[str, Any]:
    """What an audit event of a change records: the fields, each old -> new, and the export it outdates."""
    details: dict[str, Any] = {"fields": [c.field for c in changes], "changes": [c.as_dict() for c in changes]}
    if exported_in is not None:
        details["exported_in"] = exported_in
    return details


def approve(document_id: int, version: int, values: dict[str, Any] | None = None,
            line_items: list[dict[str, Any]] | None = None, *, boxes: Boxes | None = None, override: str | None = None,
            user: str | None = None, settings: Settings | None = None) -> Outcome:
    """Save any corrections and approve; `next_id` is the next document in the queue. A document whose sums do not
    add up or whose required fields are empty (after the corrections) is approved only with a reason, `override`,
    kept on the document (and so in the export) and in the audit trail; without one: ApprovalBlocked, nothing saved.
    Approving an exported document again marks it changed since that export."""
    settings = settings or get_settings()
    override = _reason(override)

    def work(session) -> Outcome:
        document = _load_for_change(session, document_id, version)
        if document.status not in REVIEWED:
            raise InputError(f"document #{document_id} is {document.status}; only reviewed documents can be approved",
                             code=ErrorCode.NOT_REVIEWABLE)
        changes = _apply(session, document, values or {}, line_items, user, settings, boxes)
        problems = approval_problems(document)
        if problems and not override:
            raise ApprovalBlocked(problems)
        document.status, document.reviewed_by, document.review_note = Status.APPROVED, user, None
        document.approval_override = override if problems else None
        exported_in = batches.mark_changed(session, document_id, user)
        overridden = {"override": override, "problems": problems} if problems else {}
        repository.add_audit(session, "approve", user=user, document_id=document_id,
                             **_change_details(changes, exported_in), **overridden)
        session.flush()
        next_one = _next_in_queue(session, document_id)
        return Outcome(document_id, document.version, [c.field for c in changes], next_one, exported_in)

    return _commit(user, settings, work)


def reject(document_id: int, version: int, reason: str, *, user: str | None = None,
           settings: Settings | None = None) -> Outcome:
    """Reject with a reason (required: the uploader sees it); `next_id` is the next document in the queue."""
    settings = settings or get_settings()
    reason = _reason(reason)
    if not reason:
        raise InputError("say why the document is rejected", code=ErrorCode.REASON_REQUIRED)

    def work(session) -> Outcome:
        document = _load_for_change(session, document_id, version)
        if document.status not in REVIEWED:
            raise InputError(f"document #{document_id} is {document.status}; only reviewed documents can be rejected",
                             code=ErrorCode.NOT_REVIEWABLE)
        document.status, document.reviewed_by, document.review_note = Status.REJECTED, user, reason
        document.approval_override = None
        document.updated_at = utcnow()
        exported_in = batches.mark_changed(session, document_id, user)
        repository.add_audit(session, "reject", user=user, document_id=document_id, reason=reason,
                             **({"exported_in": exported_in} if exported_in is not None else {}))
        session.flush()
        next_one = _next_in_queue(session, document_id)
        return Outcome(document_id, document.version, [], next_one, exported_in)

    return _commit(user, settings, work)


def _reason(text: str | None) -> str:
    """A rejection's or an override's reason, on one line, within the limits every backend stores."""
    return inputs.text(" ".join((text or "").split()), "reason", max_chars=inputs.NOTE_CHARS)


def reprocess(document_id: int, *, user: str | None = None, settings: Settings | None = None) -> None:
    """Run OCR again (e.g. after a pipeline improvement); corrected values are kept by the processing step."""
    with use_case(user, Permission.REVIEW, settings=settings) as session:
        document = repository.get_document(session, document_id)
        if document is None:
            raise InputError(f"There is no document #{document_id}.", code=ErrorCode.NOT_FOUND)
        if document.status == Status.PROCESSING:
            raise ConflictError(f"Document #{document_id} is being processed right now; try again when it is done.")
        if document.status == Status.SPLIT:
            raise InputError(f"Document #{document_id} is a file of several receipts ({origin(document)}): re-process "
                             "those instead.", code=ErrorCode.NOT_REVIEWABLE)
        if document.status != Status.QUEUED:
            jobs.reset_for_queue(document)
        exported_in = batches.mark_changed(session, document_id, user)
        repository.add_audit(session, "reprocess", user=user, document_id=document_id,
                             **({"exported_in": exported_in} if exported_in is not None else {}))
    enqueue_quietly(document_id, settings)
