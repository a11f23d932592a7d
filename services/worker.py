"""The worker: a Huey consumer with one process per core, plus crash recovery.

Recovery runs at start and then every few seconds in the consumer's main process:
- a document in `processing` whose lease ran out (settings.lease_s), or whose worker process on this host
  is gone (killed, out of memory), goes back to `queued` — or to `failed` ('worker_lost') once it has used
  settings.max_attempts attempts, so a file that kills workers cannot loop forever;
- every `queued` document without a job on the queue gets one (the database is the truth; jobs get lost
  when a process dies between commit and enqueue, or when the queue file is deleted);
- a retraining run whose process on this host is gone is failed, saying so; a queued run without a job gets one
  (services.retraining.recover).
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta

from huey.consumer import Consumer

from errors import EngineUnavailable, ErrorCode, WorkerNotReady
from services import queue, retraining
from services.access import use_case
from services.liveness import worker_gone
from services.process import process_document
from settings import Settings, get_settings
from storage import jobs, repository, workdir
from storage.blobs import BlobStore
from storage.db import engine_for
from storage.models import Status, utcnow

log = logging.getLogger("docdesk.worker")

SHUTDOWN_TIMEOUT_S = 10.0  # Ctrl-C lets current documents finish this long, then gives them back to the queue


def default_workers(settings: Settings) -> int:
    return settings.workers or os.cpu_count() or 1


def check_ready(settings: Settings) -> None:
    if not jobs.is_migrated(settings):
        raise WorkerNotReady("The database is missing or not up to date: run `python cli.py db upgrade` first.")
    from ocr.engine import probe

    try:
        probe(settings.ocr_language)
    except EngineUnavailable as error:
        raise WorkerNotReady(error.message) from error
    from ocr.pipeline import warm_up

    try:
        # the field ranker and the second reader, loaded once; the worker processes forked from us inherit them
        warm_up(settings.ocr_config())
    except Exception as error:  # noqa: BLE001 - any reason it cannot load means the same to the admin
        raise WorkerNotReady(f"The field ranker or the second reader (PP-OCR on onnxruntime) does not load: {error}. "
                             "Run `make install` (the model file ocr/models/fields.json is rebuilt by `cli.py train`, "
                             "see docs), or set DOCDESK_READING=tesseract to read with Tesseract only.") from error


def recover(settings: Settings | None = None) -> list[int]:
    """Requeue what crashed workers left behind; enqueue queued documents that have no job.
    Returns the ids put on the queue."""
    settings = settings or get_settings()
    now = utcnow()
    stale_before = now - timedelta(seconds=settings.lease_s)
    with use_case(settings=settings) as session:
        for document, worker in jobs.processing_with_worker(session):
            expired = document.started_at is None or document.started_at < stale_before
            if not (expired or worker_gone(worker, settings)):
                continue
            extra = {"document_id": document.id, "step": "recover", "worker": worker}
            if document.attempts >= settings.max_attempts:
                jobs.release(session, document)
                document.status = Status.FAILED
                document.error_code = ErrorCode.WORKER_LOST
                document.error_message = (f"Processing stopped {document.attempts} times without finishing "
                                          "(the worker was killed, e.g. out of memory): check the file, then retry.")
                document.finished_at = now
                log.warning("worker lost too often: failed", extra=extra)
            else:
                jobs.release(session, document)
                repository.add_audit(session, "recovered", document_id=document.id, worker=worker)
                log.warning("worker lost: document back to queued", extra=extra)
        queued = jobs.queued_ids(session)
    waiting = queue.job_ids(settings)
    missing = [document_id for document_id in queued if document_id not in waiting]
    for document_id in missing:
        queue.enqueue(document_id, settings)
    if missing:
        log.info("re-enqueued queued documents without a job", extra={"step": "recover", "count": len(missing)})
    return missing


def _quiet_recover(settings: Settings) -> None:
    try:
        recover(settings)
        retraining.recover(settings)
    except Exception:  # noqa: BLE001 - recovery must never take the consumer down
        log.exception("recovery failed", extra={"step": "recover"})
    finally:
        # The consumer forks replacement workers from this process: leave no open connections behind.
        engine_for(settings.sqlalchemy_url).dispose()
        queue.close(settings)


class DocDeskConsumer(Consumer):
    """Huey's consumer, with the recovery loop in the main process (piggybacking on the health check)."""

    def __init__(self, huey, *, settings: Settings, recovery_interval_s: float, **options):
        self._settings = settings
        self._recovery_interval_s = recovery_interval_s
        self._next_recovery = time.monotonic() + recovery_interval_s
        super().__init__(huey, **options)

    def check_worker_health(self):
        healthy = super().check_worker_health()
        if time.monotonic() >= self._next_recovery:
            self._next_recovery = time.monotonic() + self._recovery_interval_s
            _quiet_recover(self._settings)
        return healthy


def run(workers: int | None = None, settings: Settings | None = None) -> None:
    """Start the consumer and block until SIGINT (let current documents finish, at most SHUTDOWN_TIMEOUT_S) or
    SIGTERM (stop now). Documents still in flight go back to queued, with the attempt not counted."""
    settings = settings or get_settings()
    os.environ["OMP_THREAD_LIMIT"] = "1"  # each Tesseract on one thread (its OpenMP threads were ~2.2x slower):
    # the worker processes, and the child each document is read in, inherit it
    check_ready(settings)
    workdir.use_private_temp(settings)  # Tesseract's and Poppler's temp files: owner-only, under the data folder
    stray = BlobStore(settings.blob_dir).remove_stray_temp_files()  # left by writers killed mid-write
    if stray:
        log.info("removed temp files of interrupted blob writes", extra={"step": "start", "count": stray})
    count = workers or default_workers(settings)
    huey = queue.serve(process_document, settings, retrain=retraining.run_queued)
    _quiet_recover(settings)
    interval = max(1.0, min(settings.lease_s / 4, 30.0))
    consumer = DocDeskConsumer(
        huey, settings=settings, recovery_interval_s=interval, workers=count, worker_type="process",
        periodic=False, initial_delay=0.05, backoff=1.3, max_delay=1.0, scheduler_interval=1,
        check_worker_health=True, health_check_interval=min(interval, 10.0), shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    log.info("worker started", extra={"step": "start", "workers": count, "queue": queue.describe(settings)})
    consumer.run()
    log.info("worker stopped", extra={"step": "stop"})
