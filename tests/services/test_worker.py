"""The real worker: `cli.py worker` in a subprocess over the real SQLite queue, Tesseract and database."""

from __future__ import annotations

import os
import signal
import time

import pytest
from sqlalchemy import select

from services.ingest import ingest_file
from storage import repository
from storage.blobs import BlobStore
from storage.db import session_factory
from storage.models import ProcessingRun
from tests.services.worker_proc import receipt_png, start_worker, stop_worker, tesseract_spy, wait_for_status
from tests.signin import add


@pytest.mark.slow
def test_a_worker_turns_an_upload_into_a_document_to_review_and_stops_cleanly(migrated):
    document_id = ingest_file(receipt_png(), "receipt.png", user=add(migrated, "ana", "uploader"),
                              settings=migrated).document_id
    blobs = BlobStore(migrated.blob_dir)
    stray = next(blobs.root.glob("*/*")) / ".tmp-left-by-a-killed-writer"
    stray.write_bytes(b"partial")
    os.utime(stray, (0, 0))
    worker = start_worker(migrated.data_dir, workers=1)
    try:
        assert wait_for_status(migrated, document_id, {"needs_review", "failed"}) == "needs_review"
    finally:
        code = stop_worker(worker, signal.SIGTERM)
    assert code == 0
    assert not stray.exists()  # cleaned at start-up
    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, document_id, with_children=True)
        assert document.pages[0].words and document.field("total") is not None


@pytest.mark.slow
def test_the_workers_tesseract_runs_single_threaded_whatever_the_environment(migrated, tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)  # as under a bare `cli.py worker`, not `make run`
    env, notes = tesseract_spy(tmp_path / "bin")
    document_id = ingest_file(receipt_png(), "receipt.png", settings=migrated).document_id
    worker = start_worker(migrated.data_dir, workers=1, extra_env=env)
    try:
        assert wait_for_status(migrated, document_id, {"needs_review", "failed"}) == "needs_review"
    finally:
        stop_worker(worker, signal.SIGTERM)
    calls = notes.read_text().split()
    assert calls and set(calls) == {"1"}, calls  # the start-up check (pages are read by ocr.libtesseract, which
    # sets the limit itself: tests/ocr/test_libtesseract.py)


@pytest.mark.slow
def test_a_worker_killed_mid_document_loses_nothing(migrated, tmp_path):
    document_id = ingest_file(receipt_png(), "receipt.png", settings=migrated).document_id
    env = {"DOCDESK_LEASE_S": "3"}
    slow = start_worker(migrated.data_dir, workers=1, extra_env={**env, "DOCDESK_TEST_SLOW_S": "120"})
    try:
        wait_for_status(migrated, document_id, {"processing"}, timeout=60)
        time.sleep(0.5)
    finally:
        stop_worker(slow, signal.SIGKILL)  # the whole worker, its processes and their OCR child

    with session_factory(migrated).begin() as session:
        assert repository.get_document(session, document_id).status == "processing"  # left behind
    left = list((migrated.data_dir / "work").glob("*/docdesk-doc-*"))  # the killed child's private folder
    assert left and all(folder.stat().st_mode & 0o777 == 0o700 for folder in left)
    # The default lease: the new worker finds the old one gone at start, and its own run, however slow on a busy
    # machine, must not outlive a 3 s lease and be taken back.
    worker = start_worker(migrated.data_dir, workers=1)
    try:
        assert wait_for_status(migrated, document_id, {"needs_review", "failed"}) == "needs_review"
        assert not any(folder.exists() for folder in left)  # cleaned at start
    finally:
        stop_worker(worker)
    with session_factory(migrated).begin() as session:
        runs = session.scalars(select(ProcessingRun.outcome).where(ProcessingRun.document_id == document_id)
                               .order_by(ProcessingRun.id)).all()
    assert runs == ["lost", "ok"]


def _run_state(settings, run_id: int, wanted: set[str], timeout: float = 90) -> str:
    from services import retraining

    deadline = time.monotonic() + timeout
    while (state := retraining.run_of(run_id, settings).state) not in wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state in wanted, f"retraining run {run_id} still {state} after {timeout} s, wanted {wanted}"
    return state


@pytest.mark.slow
def test_a_retraining_whose_worker_was_killed_is_failed_when_a_worker_starts(migrated):
    from services import audit, queue, retraining
    from tests.seeding import make_document

    with session_factory(migrated).begin() as session:
        for n in range(36):
            make_document(session, status="approved", fields={"vendor": f"SHOP {n % 12}", "total": "1.00"})
    run_id = retraining.request(user=add(migrated, "boss", "admin"), settings=migrated).id
    killed = start_worker(migrated.data_dir, workers=1, extra_env={"DOCDESK_TEST_SLOW_RETRAIN_S": "120"})
    try:
        _run_state(migrated, run_id, {"running"})
    finally:
        stop_worker(killed, signal.SIGKILL)  # the whole worker, mid-run
    assert retraining.run_of(run_id, migrated).state == "running"  # left behind, its job gone from the queue
    assert queue.job_ids(migrated, queue.RETRAIN_TASK_NAME) == set()

    worker = start_worker(migrated.data_dir, workers=1)
    try:
        assert _run_state(migrated, run_id, {"failed", "adopted", "kept", "refused"}) == "failed"
    finally:
        stop_worker(worker)
    run = retraining.run_of(run_id, migrated)
    assert "stopped during this run" in run.reason and "start it again from Monitor -> Field model" in run.reason
    failed = [e for e in audit.list_events(settings=migrated).rows if e.action == "retraining_failed"]
    assert [(e.user, e.details["run"]) for e in failed] == [("boss", run_id)]


@pytest.mark.slow
def test_a_worker_refuses_to_start_on_a_database_that_is_not_migrated(settings):
    worker = start_worker(settings.data_dir, workers=1)
    assert worker.wait(timeout=60) == 2
    log = (settings.data_dir.parent / "worker.log").read_text()
    assert "cli.py db upgrade" in log


@pytest.mark.backends("sqlite")  # the single-machine default
def test_the_queue_is_sqlite_in_the_data_folder_by_default_and_redis_by_url(settings, tmp_path):
    from huey import RedisHuey, SqliteHuey

    from services import queue
    from settings import Settings

    assert isinstance(queue.get_huey(settings), SqliteHuey)
    assert (settings.data_dir / "queue.db").exists()
    redis = queue.get_huey(Settings(data_dir=tmp_path / "other", queue_url="redis://localhost:6379/15"))
    assert isinstance(redis, RedisHuey)  # same task code; no connection is made until it is used
    assert queue.TASK_NAME in redis._registry._registry or any(
        name.endswith(queue.TASK_NAME) for name in redis._registry._registry)


@pytest.fixture
def redis_url(tmp_path):
    """A Redis server of the test's own on a unix socket (`make test` installs Debian's redis-server)."""
    from tests.servers import RedisServer

    with RedisServer(tmp_path / "own-redis") as server:
        yield server.url


@pytest.mark.slow
def test_a_worker_on_a_redis_queue_turns_an_upload_into_a_document_to_review(migrated, redis_url, monkeypatch):
    from services import queue
    from settings import get_settings

    monkeypatch.setenv("DOCDESK_QUEUE_URL", redis_url)
    get_settings.cache_clear()
    settings = get_settings()
    document_id = ingest_file(receipt_png(1), "receipt.png", settings=settings).document_id
    assert queue.job_ids(settings) == {document_id}  # the job waits in Redis
    worker = start_worker(settings.data_dir, workers=1, extra_env={"DOCDESK_QUEUE_URL": redis_url})
    try:
        assert wait_for_status(settings, document_id, {"needs_review", "failed"}) == "needs_review"
    finally:
        code = stop_worker(worker, signal.SIGTERM)
    assert code == 0
    assert queue.job_ids(settings) == set()


def test_logs_are_json_lines_with_document_and_step():
    import json
    import logging

    from services.logs import JsonFormatter

    record = logging.makeLogRecord({"msg": "processed %s", "args": ("ok",), "levelname": "INFO", "name": "docdesk",
                                    "document_id": 12, "step": "store"})
    line = json.loads(JsonFormatter().format(record))
    assert (line["msg"], line["document_id"], line["step"], line["level"]) == ("processed ok", 12, "store", "info")


@pytest.mark.slow
def test_stopping_a_worker_mid_document_gives_the_document_back(migrated):
    document_id = ingest_file(receipt_png(), "receipt.png", settings=migrated).document_id
    worker = start_worker(migrated.data_dir, workers=1, extra_env={"DOCDESK_TEST_SLOW_S": "120"})
    try:
        wait_for_status(migrated, document_id, {"processing"}, timeout=60)
    finally:
        code = stop_worker(worker, signal.SIGTERM)

    assert code == 0
    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, document_id)
        assert (document.status, document.attempts) == ("queued", 0)  # a shutdown is not the document's fault
        runs = session.scalars(select(ProcessingRun.outcome).where(ProcessingRun.document_id == document_id)).all()
    assert runs == ["interrupted"]


def test_a_worker_will_not_start_without_its_readers_and_says_what_to_do(migrated, monkeypatch):
    from errors import WorkerNotReady
    from ocr import second_reading
    from services.worker import check_ready

    check_ready(migrated)  # everything installed: ready

    def broken() -> None:
        raise ImportError("libonnxruntime.so: cannot open shared object file")

    second_reading.line_recogniser.cache_clear()
    monkeypatch.setattr(second_reading, "LineRecogniser", broken)  # the fault: a broken onnxruntime install
    try:
        for reading in ("accurate", "fast"):
            with pytest.raises(WorkerNotReady, match="make install.*DOCDESK_READING=tesseract"):
                check_ready(migrated.model_copy(update={"reading": reading}))
        check_ready(migrated.model_copy(update={"reading": "tesseract"}))  # Tesseract only: no need for it
    finally:
        second_reading.line_recogniser.cache_clear()
