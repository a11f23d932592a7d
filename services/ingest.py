"""Upload -> checked, stored, queued. Never runs OCR: that is the workers' job.

bytes + name + user -> preflight (size, type by magic bytes, page and pixel limits from headers)
-> SHA-256 -> duplicate check -> original into the blob store -> Document(queued) + audit event
-> commit -> job on the queue carrying only the document id.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from errors import DiskFull, DocDeskError, ErrorCode, PermissionDenied
from services import queue
from services.access import Permission, use_case
from settings import Settings, get_settings
from storage import jobs, repository, space
from storage.blobs import BlobStore, sha256_hex
from storage.models import Status

log = logging.getLogger("docdesk.ingest")

MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class IngestResult:
    name: str  # the file name as shown (sanitized)
    outcome: str  # "queued" | "duplicate" | "refused"
    document_id: int | None
    code: str | None  # why it was refused (stable error code); None otherwise
    message: str  # "queued as #12", "duplicate of document #3", "refused: <reason and what to do>"


def display_name(name: str | None) -> str:
    """A file name is data, never a path: keep the last component, drop control and format characters
    (bidi overrides included), cap the length keeping the extension."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    if text in ("", ".", ".."):
        return "unnamed"
    if len(text) > MAX_NAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: MAX_NAME_CHARS - len(ext) - 2] + "…." + ext
        else:
            text = text[: MAX_NAME_CHARS - 1] + "…"
    return text


def ingest_file(data: bytes, name: str, *, user: str | None = None, settings: Settings | None = None) -> IngestResult:
    settings = settings or get_settings()
    with use_case(user, Permission.UPLOAD, settings=settings):
        pass  # the permission check alone, before anything is read, stored or audited
    shown = display_name(name)
    try:
        from ocr.load import inspect

        info = inspect(data, settings.ocr_config().limits)
    except DocDeskError as error:
        return _refuse(shown, error.code, error.message, user, settings)

    try:
        space.check_room(settings, len(data))  # DOCDESK_MIN_FREE_MB stays free for processing and the database
        return _store(data, shown, info, user, settings)
    except Exception as error:
        if not space.is_disk_full(error, settings):
            raise
        return _refuse(shown, DiskFull.code, space.disk_full().message, user, settings)


def _store(data: bytes, shown: str, info, user: str | None, settings: Settings) -> IngestResult:
    """Duplicate check, the original into the blob store, the document row and its job."""
    sha256 = sha256_hex(data)
    with use_case(settings=settings) as session:
        existing = repository.document_by_sha256(session, sha256)
        if existing is not None:
            return _duplicate(session, shown, existing.id, user)

    key = BlobStore(settings.blob_dir).put(data)  # before the row, so a row never points at a missing blob
    with use_case(settings=settings) as session:
        document, created = jobs.add_document_unless_duplicate(
            session, sha256=sha256, original_name=shown, media_type=info.media_type, size_bytes=len(data),
            page_count=info.pages, status=Status.QUEUED, uploaded_by=user)
        if not created:
            return _duplicate(session, shown, document.id, user)
        repository.add_audit(session, "upload", user=user, document_id=document.id, name=shown,
                             sha256=key, size=len(data), media_type=info.media_type, pages=info.pages)
        document_id = document.id

    queue.enqueue_quietly(document_id, settings)
    log.info("queued", extra={"document_id": document_id, "step": "ingest", "pages": info.pages})
    return IngestResult(shown, "queued", document_id, None, f"queued as #{document_id}")


def upload_limit_mb(settings: Settings | None = None) -> int:
    """The largest file the upload box takes, in its unit (MiB, rounded up): DOCDESK_MAX_UPLOAD_BYTES."""
    return (settings or get_settings()).upload_limit_mb


def ingest_files(files: Iterable[tuple[str, bytes]], *, user: str | None = None,
                 settings: Settings | None = None) -> list[IngestResult]:
    """One result per file, in order; one bad file never stops the rest."""
    settings = settings or get_settings()
    results = []
    for name, data in files:
        try:
            results.append(ingest_file(data, name, user=user, settings=settings))
        except PermissionDenied:
            raise
        except Exception:  # noqa: BLE001 - a bug or a full disk on one file must not lose the others
            log.exception("ingest failed", extra={"step": "ingest", "position": len(results)})  # no file names
            results.append(IngestResult(display_name(name), "refused", None, ErrorCode.INTERNAL,
                                        "refused: internal error (logged); try this file again later"))
    return results


def ingest_path(path: str | Path, *, user: str | None = None, settings: Settings | None = None) -> IngestResult:
    """A file on disk (the command line, the watched folder): checked for size before it is read, then as
    ingest_file. A file that cannot be read is refused as `unreadable`, with the system's reason."""
    from ocr.load import check_size

    settings = settings or get_settings()
    with use_case(user, Permission.UPLOAD, settings=settings):
        pass
    shown = display_name(str(path))
    try:
        with open(path, "rb") as handle:
            check_size(os.fstat(handle.fileno()).st_size, settings.ocr_config().limits)
            data = handle.read()
    except DocDeskError as error:
        return _refuse(shown, error.code, error.message, user, settings)
    except OSError as error:
        return _refuse(shown, ErrorCode.UNREADABLE, f"Cannot read the file: {error.strerror or error}.", user,
                       settings)
    return ingest_files([(str(path), data)], user=user, settings=settings)[0]


def _duplicate(session, shown: str, document_id: int, user: str | None) -> IngestResult:
    repository.add_audit(session, "upload_duplicate", user=user, document_id=document_id, name=shown)
    receipts = jobs.receipts_by_file(session, [document_id]).get(document_id)
    split = f" (its receipts: {', '.join(f'#{n}' for n in receipts)})" if receipts else ""
    return IngestResult(shown, "duplicate", document_id, None, f"duplicate of document #{document_id}{split}")


def _refuse(shown: str, code: str, message: str, user: str | None, settings: Settings) -> IngestResult:
    try:
        with use_case(settings=settings) as session:
            repository.add_audit(session, "upload_refused", user=user, name=shown, code=code, message=message)
    except Exception as error:
        if not space.is_disk_full(error, settings):
            raise
        log.warning("refusal not audited: the disk is full", extra={"step": "ingest", "code": code})
    log.info("refused", extra={"step": "ingest", "code": code})  # no file or user names in logs
    return IngestResult(shown, "refused", None, code, f"refused: {message}")
