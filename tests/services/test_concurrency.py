"""SQLite under load: four uploader threads (ingest_files, as the Upload page calls it) and two real worker
processes at once. No user sees 'database is locked', no write is lost, every file ends in a clear state.
(Two reviewers saving the same document: tests/services/test_review.py, the stale-version and racing tests.)"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from services.ingest import ingest_files
from storage.db import session_factory
from storage.models import AuditEvent, Document
from tests.badfiles import good_receipt, truncated_jpeg
from tests.services.worker_proc import start_worker, stop_worker, wait_for_status
from tests.signin import add

THREADS = 4
PER_THREAD = 4


@pytest.mark.slow
def test_four_uploaders_and_two_workers_lose_nothing(migrated):
    add(migrated, "ana", "uploader")
    batches = [[(f"t{t}-{n}.png", good_receipt(100 + t * PER_THREAD + n)()) for n in range(PER_THREAD)]
               for t in range(THREADS)]
    batches[0].append(("broken.jpg", truncated_jpeg()))  # a file that fails in the worker, mid-batch
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def upload(t: int) -> None:
        try:
            results[t] = ingest_files(batches[t], user="ana", settings=migrated)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    workers = [start_worker(migrated.data_dir, workers=1, log_path=migrated.data_dir.parent / f"worker{i}.log")
               for i in range(2)]
    try:
        threads = [threading.Thread(target=upload, args=(t,)) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors
        uploaded = [r for t in range(THREADS) for r in results[t]]
        assert len(uploaded) == sum(len(b) for b in batches)
        assert all(r.outcome == "queued" for r in uploaded), [r for r in uploaded if r.outcome != "queued"]
        for result in uploaded:
            wait_for_status(migrated, result.document_id, {"needs_review", "failed"}, timeout=180)
    finally:
        for worker in workers:
            stop_worker(worker)

    with session_factory(migrated).begin() as session:
        documents = session.scalars(select(Document)).all()
        states = {d.original_name: (d.status, d.error_code) for d in documents}
        uploads = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "upload"))
    assert len(documents) == uploads == len(uploaded)
    assert states.pop("broken.jpg") == ("failed", "damaged_file")
    assert set(states.values()) == {("needs_review", None)}
