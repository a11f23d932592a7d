"""Scale out: the app's ingest and two worker "hosts" (own environment, home, temp and data folders, own host
name) against one PostgreSQL, one Redis and one shared blob folder. Each document is processed exactly once;
SIGKILL of one host mid-document loses nothing: after its lease runs out the other host takes the document."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from services.ingest import ingest_files
from storage.db import session_factory
from storage.models import Document, Page, ProcessingRun
from tests.services.worker_proc import receipt_png, start_worker, stop_worker

RECEIPTS = 5
LEASE_S = 15  # longer than any document takes here, even on a busy machine


def start_host(root: Path, name: str, shared_blobs: Path, **extra: str):
    """`cli.py worker` as if on another machine: only the database, the queue and the blob folder are shared."""
    folders = {part: root / name / part for part in ("data", "home", "tmp")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    env = {"DOCDESK_HOST_NAME": name, "DOCDESK_BLOB_STORE": str(shared_blobs), "DOCDESK_LEASE_S": str(LEASE_S),
           "HOME": str(folders["home"]), "TMPDIR": str(folders["tmp"]), **extra}
    return start_worker(folders["data"], workers=1, extra_env=env, log_path=root / f"{name}.log")


def runs(settings) -> list[tuple[int, str, str]]:
    with session_factory(settings).begin() as session:
        return [tuple(row) for row in session.execute(
            select(ProcessingRun.document_id, ProcessingRun.worker, ProcessingRun.outcome).order_by(ProcessingRun.id))]


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


@pytest.mark.backends("postgresql")
def test_two_hosts_share_the_work_and_a_killed_host_loses_nothing(migrated, tmp_path):
    shared = tmp_path / "shared-blobs"
    app = migrated.model_copy(update={"blob_store": shared, "host_name": "app-host"})
    uploaded = ingest_files([(f"r{i}.png", receipt_png(i)) for i in range(RECEIPTS)], settings=app)
    ids = {result.document_id for result in uploaded}
    assert len(ids) == RECEIPTS

    # host-b reads slowly, so that it is surely in the middle of a document when it is killed
    host_b = start_host(tmp_path, "host-b", shared, DOCDESK_TEST_SLOW_S="120")
    host_a = None
    try:
        wait_until(lambda: any(w.startswith("host-b:") and o == "running" for _, w, o in runs(app)), 120,
                   "host-b to start a document")
        host_a = start_host(tmp_path, "host-a", shared)
        wait_until(lambda: any(w.startswith("host-a:") and o == "ok" for _, w, o in runs(app)), 120,
                   "host-a to finish a document while host-b works")
        stop_worker(host_b, signal.SIGKILL)  # the whole host: its worker processes and their OCR children
        wait_until(lambda: _all_processed(app, ids), 240, "host-a to process every document")
    finally:
        for host in (host_b, host_a):
            if host is not None:
                stop_worker(host, signal.SIGKILL if host is host_b else signal.SIGTERM)

    history = runs(app)
    ok = Counter(document_id for document_id, _, outcome in history if outcome == "ok")
    assert ok == {document_id: 1 for document_id in ids}  # each document processed exactly once
    [(killed, _, _)] = [run for run in history if run[1].startswith("host-b:")]
    assert [(w.split(":")[0], o) for d, w, o in history if d == killed] == [("host-b", "lost"), ("host-a", "ok")]
    assert all(w.startswith("host-a:") for _, w, o in history if o == "ok")
    with session_factory(app).begin() as session:
        pages = session.scalars(select(Page)).all()
    assert Counter(page.document_id for page in pages) == {document_id: 1 for document_id in ids}
    assert all((shared / key[:2] / key[2:4] / key).is_file() for page in pages for key in (page.original_key,
                                                                                              page.cleaned_key))
    assert not any((tmp_path / host / "data" / "blobs").exists() for host in ("host-a", "host-b"))


def _all_processed(settings, ids: set[int]) -> bool:
    with session_factory(settings).begin() as session:
        statuses = session.scalars(select(Document.status).where(Document.id.in_(ids))).all()
    assert "failed" not in statuses
    return set(statuses) == {"needs_review"}
