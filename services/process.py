"""Processing one document: the queue task's body.

process_document: claim (lease, attempts+1, ProcessingRun) -> read the original -> OCR pipeline and page
images in a forked child with a time limit -> ONE transaction writes pages, fields, line items, flags and
confidences and moves the document to needs_review -> the run gets its outcome and timings.

A file judged to hold several receipts (ocr.split, DOCDESK_SPLIT_PAGES) is split in that same transaction: one
document per receipt, each with its own pages and fields and the file's pages it came from; the file's document
becomes `split`. A receipt split from a file is read again from its own pages of that file.

Failures: InputError -> failed at once; TransientError / timeout / a crashed child -> retried with backoff
up to settings.max_attempts, then failed; another DocDeskError -> failed with its code; anything else ->
failed 'internal' with the traceback logged. Running it twice is harmless (the second is a no-op), and
re-processing never overwrites a field a reviewer corrected.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from errors import DocDeskError, ErrorCode, InputError, TransientError
from ocr.types import Flag
from services import duplicates, field_model, queue, sandbox, vendors
from services.access import use_case
from services.liveness import worker_id
from settings import Settings, get_settings
from storage import images, jobs, repository, space
from storage.blobs import BlobStore
from storage.models import Document, Field, LineItem, Page, RunOutcome, Source, Status, utcnow

log = logging.getLogger("docdesk.process")

RETRY_BASE_DELAY_S = 10.0  # first retry after 10 s, then 20, 40 ... (capped)
RETRY_MAX_DELAY_S = 300.0
# A database locked longer than its 30 s busy timeout while the result is stored: the finished result is kept and
# stored again after each delay, while less than half the lease has passed; then the lease is given back.
STORE_RETRY_DELAYS_S = (2.0, 5.0, 15.0, 30.0)
DISK_POLL_S = 10.0  # while the disk is full, processing looks again this often
PAUSE_DELAY_S = 60.0  # a document that found the disk full is tried again this much later


def retry_delay(attempt: int) -> float:
    return min(RETRY_BASE_DELAY_S * 2 ** max(attempt - 1, 0), RETRY_MAX_DELAY_S)


# --- the task ----------------------------------------------------------------------------------

def process_document(document_id: int, *, settings: Settings | None = None, engine=None) -> None:
    from ocr.pipeline import warm_up

    settings = settings or get_settings()
    # Before the claim: a stop signal while it loads cannot fail a document; cached after.
    warm_up(settings.ocr_config())
    _wait_for_room(settings)
    lease = Lease.claim(document_id, settings)
    if lease is None:
        log.info("nothing to do: not queued", extra={"document_id": document_id, "step": "claim"})
        return
    claim_ms = lease.elapsed_ms()
    log.info("processing", extra={"document_id": document_id, "step": "claim", "attempt": lease.attempt})
    try:
        output = _read(lease, engine, claim_ms)
        _retrying(lambda: lease.store(output), lease, "store")  # the finished result outlives a database lock
    except KeyboardInterrupt:  # the worker is stopping: give the document back untouched
        lease.give_back()
        raise
    except Exception as error:  # noqa: BLE001 - every way a run can fail ends it one way or another (_end_run)
        _end_run(lease, error)


def _end_run(lease: Lease, error: Exception) -> None:
    """Close a run that raised (see _end); retried while the database stays locked, so the lease is given back at
    once rather than when it runs out."""
    _retrying(lambda: _end(lease, error), lease, "end")


def _end(lease: Lease, error: Exception) -> None:
    """A full disk waits without using an attempt; bad input fails; passing trouble (a timeout, a crashed child, a
    database lock that outlasted the store's retries) is retried with backoff; another DocDeskError fails with its
    code; a bug fails 'internal', logged."""
    extra = {"document_id": lease.document_id, "step": "process"}
    if space.is_disk_full(error, lease.settings):
        log.warning("disk full: document back to queued", extra=extra)
        lease.pause(ErrorCode.DISK_FULL, space.disk_full().message)
    elif isinstance(error, InputError):
        lease.fail(error.code, error.message)
    elif isinstance(error, TransientError):
        lease.retry_or_fail(error.code, error.message)
    elif isinstance(error, DocDeskError):  # e.g. Tesseract missing or unable to read: not worth an automatic retry
        lease.fail(error.code, error.message)
    elif jobs.is_transient_db_error(error):
        log.warning("database busy", extra=extra, exc_info=True)
        lease.retry_or_fail(ErrorCode.DATABASE_BUSY, "The database was busy; processing will be tried again.")
    else:
        log.error("internal error", extra={**extra, "child_traceback": getattr(error, "child_traceback", None)},
                  exc_info=True)
        lease.fail(ErrorCode.INTERNAL, "internal error (logged)")


def _retrying(action: Callable[[], None], lease: Lease, step: str) -> None:
    """`action`, tried again after each of STORE_RETRY_DELAYS_S while the database is locked (and less than half the
    lease has passed, so the lease still holds when it succeeds)."""
    for delay in (*STORE_RETRY_DELAYS_S, None):
        try:
            action()
            return
        except Exception as error:
            late = lease.elapsed_ms() / 1000 + (delay or 0) > lease.settings.lease_s / 2
            if delay is None or late or not jobs.is_transient_db_error(error) or space.is_disk_full(error):
                raise
            log.warning("database busy: trying again", extra={"document_id": lease.document_id, "step": step,
                                                             "delay_s": delay})
            time.sleep(delay)


def _wait_for_room(settings: Settings) -> None:
    """Processing writes page images and results: while the disk is full it waits here (the job held, the document
    queued, no attempt used) instead of failing documents, and says so in the log once a minute."""
    polls = 0
    while not space.has_room(settings):
        if polls % round(60 / DISK_POLL_S) == 0:
            log.warning("disk full: processing waits for free space", extra={
                "step": "claim", "free_mb": space.free_bytes(settings) // 2**20, "needed_mb": settings.min_free_mb})
        polls += 1
        time.sleep(DISK_POLL_S)


def _read(lease: Lease, engine, claim_ms: float) -> _Output:
    """The original, read in a child process. The timings get what the job costs around the pipeline:
    the claim, and the fork with the result's transfer ('isolation')."""
    data = BlobStore(lease.settings.blob_dir).get(lease.blob_key)
    child_start = time.perf_counter()
    output = _run_isolated(data, lease.settings, engine, lease.only, lease.may_split, lease.model.ranker)
    child_ms = (time.perf_counter() - child_start) * 1000
    output.timings["claim"] = round(claim_ms, 2)
    output.timings["isolation"] = round(child_ms - output.timings.get("total", 0) - output.timings["store_images"], 2)
    return output


@dataclass
class _Output:
    pages: tuple  # PageResult, every page read
    receipts: tuple  # ocr.pipeline.Receipt: the file's pages each receipt was read from, and its fields
    timings: dict[str, float]
    keys: list[tuple[str, str]]  # (original_key, cleaned_key) per page
    hashes: list[str]  # ocr.duplicates' page hash per page, as text


def _extract(data: bytes, settings: Settings, engine, only: range | None, may_split: bool, ranker) -> _Output:
    """The heavy part, run in the child: OCR pipeline, then page images into the blob store."""
    from ocr.duplicates import page_hash
    from ocr.pipeline import extract_document

    config = settings.ocr_config() if may_split else replace(settings.ocr_config(), split_pages="never")
    result = extract_document(data, config=config, engine=engine, keep_images=True, only=only, ranker=ranker)
    hashes = [page_hash(images_of.cleaned, page.words).as_text()
              for page, images_of in zip(result.pages, result.images, strict=True)]
    start = time.perf_counter()
    blobs = BlobStore(settings.blob_dir)
    lossy = data[:3] == b"\xff\xd8\xff"  # a JPEG upload: its original page stays a JPEG
    keys = [(blobs.put(images.jpeg(page.original) if lossy else images.png(page.original)),
             blobs.put(images.png(page.cleaned)))
            for page in result.images]
    timings = dict(result.timings)
    timings["store_images"] = round((time.perf_counter() - start) * 1000, 2)
    return _Output(result.pages, result.receipts, timings, keys, hashes)


# --- the child process: time, memory and CPU limits per document (services.sandbox) ------------


def _run_isolated(data: bytes, settings: Settings, engine, only: range | None, may_split: bool, ranker) -> _Output:
    """Run `_extract` in a forked child under the document's limits, so one bad file can never hold or take
    down a worker (see services.sandbox for how each way a child can end is reported)."""
    return sandbox.run(_extract, data, settings, engine, only, may_split, ranker,
                       limits=sandbox.Limits.from_settings(settings))


# --- the lease: one claim on one document, and the ways its run ends -----------------------------

@dataclass(frozen=True)
class Lease:
    """This worker's claim on a document. It holds while the row still carries `started_at` (recovery or
    another worker may have taken the document over); each way of ending the run checks that first."""

    document_id: int
    started_at: datetime
    run_id: int
    attempt: int  # 1 for the first try
    blob_key: str  # the original: the uploaded file, or the file this receipt was split from
    only: range | None  # a receipt split from a file: that file's pages it is read from
    may_split: bool  # an uploaded file nobody has reviewed yet: its pages may become several receipts
    settings: Settings
    start: float  # perf_counter() when the claim began: the run's total time counts from here
    model: field_model.InUse  # the field ranker to read with: the adopted one, else the shipped one

    @classmethod
    def claim(cls, document_id: int, settings: Settings) -> Lease | None:
        """Take the document (queued, or stale in processing) and open its ProcessingRun; None if not ours."""
        start = time.perf_counter()
        with use_case(settings=settings) as session:
            claimed = jobs.claim(session, document_id, lease_s=settings.lease_s, worker=worker_id(settings))
            if claimed is None:
                return None
            document, run = claimed
            return cls(document_id, document.started_at, run.id, document.attempts, document.blob_key,
                       document.source_pages, jobs.may_split(document), settings, start,
                       field_model.in_use(session, settings))

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000

    def store(self, output: _Output) -> None:
        """ONE transaction: pages, fields, line items, flags and confidences; the document to needs_review."""
        db_start = time.perf_counter()
        extra = {"document_id": self.document_id, "step": "store"}
        with use_case(settings=self.settings) as session:
            document = jobs.owned(session, self.document_id, self.started_at, with_children=True)
            if document is None:
                log.warning("lease lost: another worker took this document over; result discarded", extra=extra)
                jobs.finish_run(session, self.run_id, outcome=RunOutcome.LOST)
                return
            _write_results(session, document, output, self)
            step_ms = dict(output.timings)
            step_ms["db"] = round((time.perf_counter() - db_start) * 1000, 2)
            jobs.finish_run(session, self.run_id, outcome=RunOutcome.OK, total_ms=self.elapsed_ms(), step_ms=step_ms,
                            pages=len(output.pages))
        log.info("needs review", extra={**extra, "pages": len(output.pages), "ms": step_ms})

    def fail(self, code: str, message: str) -> None:
        if self._end(RunOutcome.FAILED, code, status=Status.FAILED, error_code=code, error_message=message,
                     finished_at=utcnow()):
            log.warning("failed", extra={"document_id": self.document_id, "step": "process", "code": code,
                                         "error": message})

    def retry_or_fail(self, code: str, message: str) -> None:
        """Back on the queue after a backoff, unless this was the last attempt allowed."""
        attempt, most = self.attempt, self.settings.max_attempts
        if attempt >= most:
            self.fail(code, f"{message} (gave up after {attempt} attempts)")
            return
        if not self._end(RunOutcome.RETRY, code, status=Status.QUEUED, started_at=None, error_code=code,
                         error_message=f"{message} (attempt {attempt} of {most}; retrying)"):
            return
        delay = retry_delay(attempt)
        log.info("retry scheduled", extra={"document_id": self.document_id, "step": "retry", "code": code,
                                           "attempt": attempt, "delay_s": delay})
        queue.enqueue_quietly(self.document_id, self.settings, delay=delay)

    def pause(self, code: str, message: str) -> None:
        """Trouble that is no fault of the document (a full disk): back to queued without using up the attempt, and
        tried again PAUSE_DELAY_S later (when the disk is still full, the worker then waits in _wait_for_room)."""
        if self._end(RunOutcome.PAUSED, code, status=Status.QUEUED, started_at=None, attempts=self.attempt - 1,
                     error_code=code, error_message=f"{message} (waiting; it is tried again by itself)"):
            queue.enqueue_quietly(self.document_id, self.settings, delay=PAUSE_DELAY_S)

    def _end(self, outcome: RunOutcome, code: str, **changes: Any) -> bool:
        """Close the run with `outcome` and set `changes` on the document; False (the run 'lost', the document
        untouched) when the lease no longer holds."""
        with use_case(settings=self.settings) as session:
            document = jobs.owned(session, self.document_id, self.started_at)
            jobs.finish_run(session, self.run_id, outcome=outcome if document else RunOutcome.LOST, error_code=code,
                            total_ms=self.elapsed_ms())
            if document is None:
                return False
            for column, value in changes.items():
                setattr(document, column, value)
        return True

    def give_back(self) -> None:
        """The worker is stopping: the document goes back to queued and this attempt does not count."""
        extra = {"document_id": self.document_id, "step": "stop"}
        with _signals_held():  # a second SIGTERM (e.g. to the whole process group) must not cut this short
            try:
                with use_case(settings=self.settings) as session:
                    document = jobs.owned(session, self.document_id, self.started_at)
                    jobs.finish_run(session, self.run_id, outcome=RunOutcome.INTERRUPTED)
                    if document is not None:
                        document.status = Status.QUEUED
                        document.started_at = None
                        document.attempts = max(document.attempts - 1, 0)  # a shutdown is not the document's fault
                log.info("worker stopping: document back to queued", extra=extra)
            except Exception:  # noqa: BLE001 - the lease expires and recovery requeues it anyway
                log.exception("could not give the document back", extra=extra)


@contextlib.contextmanager
def _signals_held():
    try:
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread: nothing to hold
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- the rows a successful run writes ------------------------------------------------------------

def _write_results(session, document: Document, output: _Output, lease: Lease) -> None:
    """A single receipt onto its document; several (a stack) each onto a document of its own, the file's document
    marked `split`. Re-running it finds the same receipts' documents (one per first page), never a second set."""
    if len(output.receipts) == 1:
        _write_receipt(session, document, output, output.receipts[0], lease)
        return
    receipts = jobs.receipts_of(session, document, [(r.pages[0], r.pages[-1]) for r in output.receipts])
    for receipt_document, receipt in zip(receipts, output.receipts, strict=True):
        _write_receipt(session, receipt_document, output, receipt, lease)
    repository.replace_ocr_results(session, document, pages=[], fields=[], line_items=[])
    _finish(document, Status.SPLIT, page_count=len(output.pages), flags=[], min_confidence=None,
            mean_ocr_confidence=None)
    repository.add_audit(session, "split", document_id=document.id, receipts=[d.id for d in receipts],
                         pages=[[n + 1 for n in r.pages] for r in output.receipts])


def _write_receipt(session, document: Document, output: _Output, receipt, lease: Lease) -> None:
    """One receipt's pages (numbered from 0 in the document), fields, line items, flags and confidences."""
    keys = _pad(output.keys, len(output.pages))
    hashes = list(output.hashes) + [None] * (len(output.pages) - len(output.hashes))
    by_index = {page.index: (page, page_keys, page_hash)
                for page, page_keys, page_hash in zip(output.pages, keys, hashes, strict=True)}
    read = [by_index[index][0] for index in receipt.pages]
    local = {index: number for number, index in enumerate(receipt.pages)}
    pages = [_page_row(page, by_index[page.index][1], local[page.index], by_index[page.index][2]) for page in read]
    extraction = vendors.recall(session, document.id, receipt.extraction, read, lease.settings, lease.model.ranker)
    fields = [Field(name=f.name, value=f.value, raw=f.raw, confidence=f.confidence, page_index=local.get(f.page),
                    box=f.box.as_list() if f.box is not None else None, source=Source.OCR)
              for f in extraction.fields.values()]
    items = [LineItem(position=i, description=item.description, quantity=item.quantity,
                      unit_price=item.unit_price, amount=item.amount, confidence=item.confidence,
                      page_index=local.get(item.page), box=item.box.as_list() if item.box is not None else None,
                      source=Source.OCR)
             for i, item in enumerate(extraction.line_items)]
    repository.replace_ocr_results(session, document, pages=pages, fields=fields, line_items=items)

    flags = [*extraction.flags, *(Flag("no_text", f"no text found on page {page.index + 1}")
                                  for page in read if not page.words)]
    confidences = [f.confidence for f in document.fields if f.confidence is not None]
    words = [w.confidence for page in read for w in page.words]
    _finish(document, Status.NEEDS_REVIEW, page_count=len(read), flags=flags,
            min_confidence=min(confidences) if confidences else 0.0,
            mean_ocr_confidence=sum(words) / len(words) if words else None)
    duplicates.refresh(session, document)


def _finish(document: Document, status: Status, **columns: Any) -> None:
    for column, value in columns.items():
        setattr(document, column, value)
    document.status = status
    document.error_code = None
    document.error_message = None
    document.finished_at = utcnow()


def _pad(keys: list, n: int) -> list:
    return list(keys) + [(None, None)] * (n - len(keys))


def _page_row(page, keys: tuple[str | None, str | None], index: int, image_hash: str | None) -> Page:
    return Page(index=index, width=page.width, height=page.height, dpi=page.dpi, text=page.text,
                mean_confidence=page.mean_confidence,
                trace=[_jsonable({"name": t.name, "ms": t.ms, "details": t.details, "skipped": t.skipped})
                       for t in page.trace],
                words=[w.as_row() for w in page.words],
                original_key=keys[0], cleaned_key=keys[1], image_hash=image_hash, ocr_ms=page.ocr_ms)


def _jsonable(value: Any) -> Any:
    """Trace details may hold numpy numbers or tuples: make them plain JSON."""
    def default(obj):
        if hasattr(obj, "item"):
            return obj.item()
        if hasattr(obj, "tolist"):
            return obj.tolist()
        return str(obj)

    return json.loads(json.dumps(value, default=default))
