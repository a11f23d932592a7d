"""The real worker runs a retraining put on the real queue, and reads the next document with the model it adopted,
without a restart."""

from __future__ import annotations

import signal
import time

import pytest

from services import retraining
from services.ingest import ingest_file
from storage import repository
from storage.db import session_factory
from tests import approvals
from tests.services.worker_proc import start_worker, stop_worker, wait_for_status
from tests.signin import add


def _total(settings, document_id: int) -> str | None:
    with session_factory(settings).begin() as session:
        return repository.get_document(session, document_id, with_children=True).field("total").value


def _wait_for_run(settings, run_id: int, timeout: float = 300) -> retraining.Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = retraining.run_of(run_id, settings)
        if run.finished:
            return run
        time.sleep(0.5)
    raise AssertionError(f"retraining run {run_id} still {run.state} ({run.stage}) after {timeout} s")


def _upload(settings, user: str, shop: int, number: int) -> int:
    data = approvals.receipt_png(shop, number)
    return ingest_file(data, f"new-{shop}-{number}.png", user=user, settings=settings).document_id


@pytest.mark.slow
def test_the_worker_retrains_from_the_queue_and_reads_the_next_document_with_the_adopted_model(migrated):
    with session_factory(migrated).begin() as session:
        approvals.approve_all(session, approvals.readings())
    boss, uploader = add(migrated, "boss", "admin"), add(migrated, "ana", "uploader")
    new_shop = approvals.APPROVED_SHOPS  # a shop no approval comes from: no vendor memory at play
    values = approvals.receipt_lines(new_shop, 100)[1]
    worker = start_worker(migrated.data_dir, workers=1)
    try:
        before = _upload(migrated, uploader, new_shop, 100)
        assert wait_for_status(migrated, before, {"needs_review", "failed"}) == "needs_review"
        assert _total(migrated, before) == values["printed_total"]  # the shipped model: the printed TOTAL

        run = _wait_for_run(migrated, retraining.request(user=boss, settings=migrated).id)
        assert run.state == "adopted", run.reason

        after = _upload(migrated, uploader, new_shop + 1, 101)
        assert wait_for_status(migrated, after, {"needs_review", "failed"}) == "needs_review"
        assert _total(migrated, after) == approvals.receipt_lines(new_shop + 1, 101)[1]["total"]  # the subtotal
    finally:
        assert stop_worker(worker, signal.SIGTERM) == 0
