"""Processing and uploads on a bad day: a full disk (a named, passing condition: uploads refused as 'disk full',
processing waits, nothing failed for good) and a database locked for longer than its 30 s busy timeout while a
finished result is stored (stored later, never thrown away; the lease given back at once if it cannot be).

A full disk is simulated two ways: DOCDESK_MIN_FREE_MB above the real free space (the real check), and a fault
injected into the blob store's write (ENOSPC), which is what a disk that fills up meanwhile does."""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from services import monitor, process, queue
from services.ingest import ingest_files
from services.process import process_document
from storage import blobs, jobs
from storage.models import RunOutcome
from tests.services.test_process import _document, _queued, _runs
from tests.services.worker_proc import receipt_png
from tests.signin import add

EVERYTHING = 10**9  # MB: more free space than any disk has


def _no_space(fd, data):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_an_upload_on_a_full_disk_is_refused_as_disk_full_and_taken_once_there_is_room(migrated, monkeypatch):
    """It said 'internal error'. Now: 'disk full', audited, and the same file is taken when space is back."""
    user = add(migrated, "ana", "uploader")
    files = [("a.png", receipt_png(1)), ("b.png", receipt_png(2))]
    monkeypatch.setattr(migrated, "min_free_mb", EVERYTHING)
    results = ingest_files(files, user=user, settings=migrated)
    assert [(r.outcome, r.code) for r in results] == [("refused", "disk_full")] * 2
    assert results[0].message.startswith("refused: Disk full") and "free space" in results[0].message

    monkeypatch.setattr(migrated, "min_free_mb", 0)
    monkeypatch.setattr(blobs, "_write", _no_space)  # the disk filled up meanwhile: the write itself fails
    assert [(r.outcome, r.code) for r in ingest_files(files, user=user, settings=migrated)] == [
        ("refused", "disk_full")] * 2
    assert not list(migrated.blob_dir.glob("*/*/.tmp-*"))  # no half-written file left

    monkeypatch.undo()
    assert [r.outcome for r in ingest_files(files, user=user, settings=migrated)] == ["queued", "queued"]


@pytest.mark.slow
def test_a_full_disk_during_processing_pauses_the_document_without_using_an_attempt(migrated, monkeypatch):
    """It failed the document for good as 'internal'. Now it goes back to the queue, its attempt not counted,
    says why, and is read when there is room again."""
    document_id = _queued(migrated)
    monkeypatch.setattr(blobs, "_write", _no_space)  # inherited by the forked child that stores page images
    process_document(document_id, settings=migrated)
    document = _document(migrated, document_id)
    assert (document.status, document.attempts, document.error_code) == ("queued", 0, "disk_full")
    assert "Disk full" in document.error_message and document_id in queue.job_ids(migrated)
    assert [(r.outcome, r.error_code) for r in _runs(migrated, document_id)] == [(RunOutcome.PAUSED, "disk_full")]

    monkeypatch.undo()
    process_document(document_id, settings=migrated)
    assert _document(migrated, document_id).status == "needs_review"


@pytest.mark.slow
def test_processing_waits_while_the_disk_is_full_and_the_monitor_says_so(migrated, monkeypatch):
    document_id = _queued(migrated)
    monkeypatch.setattr(process, "DISK_POLL_S", 0.1)
    monkeypatch.setattr(migrated, "min_free_mb", EVERYTHING)
    health = monitor.health(settings=migrated)
    assert health.disk_full and health.disk_free_mb > 0

    worker = threading.Thread(target=process_document, args=(document_id,), kwargs={"settings": migrated})
    worker.start()
    time.sleep(1.0)
    document = _document(migrated, document_id)
    assert (document.status, document.attempts) == ("queued", 0)  # waiting, not claimed, nothing used up
    monkeypatch.setattr(migrated, "min_free_mb", 0)  # an admin freed space
    worker.join(timeout=120)
    assert _document(migrated, document_id).status == "needs_review"
    assert not monitor.health(settings=migrated).disk_full


def test_the_queues_repeated_errors_are_logged_once_a_minute():
    """Huey's loops log the same error every second while the disk is full; one line a minute says as much."""
    from services.logs import QueueRepeats

    gate = QueueRepeats(every_s=60)

    def record(at: float, name: str = "huey.consumer.Worker") -> logging.LogRecord:
        entry = logging.makeLogRecord({"name": name, "msg": "Error reading from queue", "levelno": logging.ERROR})
        entry.created = at
        return entry

    passed = [gate.filter(record(at)) for at in range(0, 125)]
    assert passed.count(True) == 3 and passed[0] and passed[60] and passed[120]
    later = record(180)
    assert gate.filter(later) and later.repeated == 4  # held back at 121-124 s
    assert all(gate.filter(record(at, "docdesk.process")) for at in range(5))  # our own logs pass as they are


def _hold_write_lock(path: str, seconds: float, taken: threading.Event) -> None:
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    taken.set()
    time.sleep(seconds)
    connection.execute("COMMIT")
    connection.close()


@pytest.mark.slow
@pytest.mark.backends("sqlite")  # a write lock held past the busy timeout is SQLite's; PostgreSQL locks rows
def test_a_database_locked_past_its_busy_timeout_at_the_store_keeps_the_finished_result(migrated, monkeypatch):
    """The lock is held 35 s, longer than SQLite's 30 s busy timeout. It left the document in 'processing' until its
    10-minute lease ran out and the OCR result was thrown away; now the same result is stored once the lock ends."""
    document_id = _queued(migrated)
    monkeypatch.setattr(process, "STORE_RETRY_DELAYS_S", (1.0, 1.0, 1.0))
    real_read, reads = process._read, []
    taken = threading.Event()

    def read_then_lock(*args):
        output = real_read(*args)
        reads.append(1)
        path = migrated.sqlalchemy_url.removeprefix("sqlite:///")
        threading.Thread(target=_hold_write_lock, args=(path, 35, taken), daemon=True).start()
        taken.wait(10)
        return output

    monkeypatch.setattr(process, "_read", read_then_lock)
    process_document(document_id, settings=migrated)
    document = _document(migrated, document_id)
    assert (document.status, document.attempts) == ("needs_review", 1) and len(reads) == 1
    assert [r.outcome for r in _runs(migrated, document_id)] == [RunOutcome.OK]


def _locked() -> OperationalError:
    return OperationalError("UPDATE documents ...", {}, sqlite3.OperationalError("database is locked"))


@pytest.mark.slow
def test_when_the_store_cannot_be_done_the_lease_is_given_back_at_once(migrated, monkeypatch):
    """The lock outlasts the store's retries and still holds for a moment: the run's end is retried too, so the
    document is back on the queue at once instead of sitting in 'processing' until its lease runs out."""
    document_id = _queued(migrated)
    monkeypatch.setattr(process, "STORE_RETRY_DELAYS_S", (0.1, 0.1))

    def store(self, output):
        raise _locked()

    monkeypatch.setattr(process.Lease, "store", store)
    real_owned, calls = jobs.owned, []

    def owned(*args, **kwargs):
        calls.append(1)
        if len(calls) <= 2:
            raise _locked()
        return real_owned(*args, **kwargs)

    monkeypatch.setattr(jobs, "owned", owned)
    process_document(document_id, settings=migrated)
    document = _document(migrated, document_id)
    assert (document.status, document.started_at, document.error_code) == ("queued", None, "database_busy")
    assert document_id in queue.job_ids(migrated)
    assert [r.outcome for r in _runs(migrated, document_id)] == [RunOutcome.RETRY]


@pytest.fixture(autouse=True)
def _drop_the_ingest_jobs(migrated):
    yield
    queue.get_huey(migrated).flush()
