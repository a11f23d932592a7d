"""The processing lease under races, on both backends: one conditional UPDATE decides who owns a document."""

from __future__ import annotations

import threading
from datetime import timedelta

from storage import jobs
from storage.db import session_factory
from storage.models import Status, utcnow
from tests.seeding import make_document

CLAIMERS = 6


def claim_at_once(settings, document_id: int, *, now=None) -> list[str]:
    """Workers that claimed the document, when CLAIMERS of them try at the same moment."""
    start = threading.Barrier(CLAIMERS)
    winners: list[str] = []

    def claim(worker: str) -> None:
        start.wait()
        with session_factory(settings).begin() as session:
            if jobs.claim(session, document_id, lease_s=settings.lease_s, worker=worker, now=now) is not None:
                winners.append(worker)

    threads = [threading.Thread(target=claim, args=(f"host-{i}:1",)) for i in range(CLAIMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return winners


def test_one_of_many_racing_workers_gets_a_queued_document(migrated):
    with session_factory(migrated).begin() as session:
        document_id = make_document(session, status=Status.QUEUED).id
    assert len(claim_at_once(migrated, document_id)) == 1
    with session_factory(migrated).begin() as session:
        assert jobs.processing_with_worker(session)[0][0].attempts == 1


def test_one_of_many_racing_workers_takes_over_an_expired_lease_and_the_old_owner_is_out(migrated):
    with session_factory(migrated).begin() as session:
        document_id = make_document(session, status=Status.QUEUED).id
    long_ago = utcnow() - timedelta(seconds=migrated.lease_s + 5)
    with session_factory(migrated).begin() as session:
        _, _ = jobs.claim(session, document_id, lease_s=migrated.lease_s, worker="gone:1", now=long_ago)
    assert len(claim_at_once(migrated, document_id)) == 1
    with session_factory(migrated).begin() as session:
        assert jobs.owned(session, document_id, long_ago) is None  # its result would be discarded
