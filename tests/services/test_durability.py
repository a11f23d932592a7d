"""SIGKILL during ingest: every Document row keeps its original blob, re-running ingest finishes the rest
(duplicates reported for what was done), and the worker's recovery then processes everything.
(A worker killed mid-document is tested in test_worker.py.)"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import select

from services.ingest import ingest_files
from services.process import process_document
from services.worker import recover
from storage.blobs import BlobStore
from storage.db import session_factory
from storage.models import Document
from tests.badfiles import good_receipt
from tests.services.worker_proc import ROOT

FILES = 5
KILL_AT = 3


class NoTextEngine:
    """Processing itself is covered elsewhere: here only that every document gets through it."""

    def read_words(self, image, **kwargs):
        return []

    def detect_orientation(self, image):
        return None


def _documents(settings) -> list[Document]:
    with session_factory(settings).begin() as session:
        documents = list(session.scalars(select(Document).order_by(Document.id)))
        session.expunge_all()
        return documents


@pytest.mark.slow
@pytest.mark.parametrize("point", ["blob_link", "after_blob", "after_commit", "after_enqueue"])
def test_ingest_killed_at_any_point_loses_nothing(migrated, tmp_path, point):
    folder = tmp_path / "inbox"
    folder.mkdir()
    for n in range(FILES):
        (folder / f"r{n}.png").write_bytes(good_receipt(n)())
    env = {**os.environ, "DOCDESK_DATA_DIR": str(migrated.data_dir), "DOCDESK_TEST_KILL_AT": f"{point}:{KILL_AT}"}
    killed = subprocess.run([sys.executable, "-m", "tests.services.ingest_proc", str(folder)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    blobs = BlobStore(migrated.blob_dir)
    before = _documents(migrated)
    assert len(before) == (KILL_AT if point in ("after_commit", "after_enqueue") else KILL_AT - 1)
    for document in before:  # every row points at its complete original
        assert hashlib.sha256(blobs.get(document.sha256)).hexdigest() == document.sha256

    names = sorted(folder.iterdir())
    again = ingest_files([(path.name, path.read_bytes()) for path in names], settings=migrated)
    done = {d.original_name for d in before}
    assert [r.outcome for r in again] == ["duplicate" if path.name in done else "queued" for path in names]

    recover(migrated)  # the worker's start: queued rows without a job get one
    for document in _documents(migrated):
        process_document(document.id, settings=migrated, engine=NoTextEngine())
    after = _documents(migrated)
    assert len(after) == FILES and {d.status for d in after} == {"needs_review"}
    assert all(blobs.exists(d.sha256) for d in after)
