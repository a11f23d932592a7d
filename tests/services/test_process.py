"""services.process in this process: real Tesseract, real SQLite and queue; fake engines only inject faults."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from errors import InputError, TransientError
from ocr.engine import TesseractEngine
from ocr.types import Flag
from services import queue
from services.documents import batch_progress
from services.ingest import ingest_file
from services.process import Lease, process_document
from services.review import reprocess
from services.worker import recover
from settings import get_settings
from storage import jobs, repository
from storage.blobs import BlobStore
from storage.db import session_factory
from storage.models import ProcessingRun, Source, utcnow
from tests.receipts import SAMPLE_FIELDS, encode
from tests.services.worker_proc import receipt_png
from tests.signin import add


def _queued(settings, variant=0, data=None) -> int:
    result = ingest_file(data if data is not None else receipt_png(variant), f"r{variant}.png", settings=settings)
    assert result.outcome == "queued", result
    return result.document_id


def _document(settings, document_id):
    with session_factory(settings).begin() as session:
        document = repository.get_document(session, document_id, with_children=True)
        session.expunge_all()
        return document


def _runs(settings, document_id):
    with session_factory(settings).begin() as session:
        runs = list(session.scalars(select(ProcessingRun).where(ProcessingRun.document_id == document_id)
                                    .order_by(ProcessingRun.id)))
        session.expunge_all()
        return runs


class FlakyEngine:
    """Raises TransientError on the first `failures` pages read (counted in a file: each try runs in a fork)."""

    def __init__(self, counter: Path, failures: int):
        self.inner, self.counter, self.failures = TesseractEngine(), counter, failures

    def read_words(self, image, **kwargs):
        seen = int(self.counter.read_text()) if self.counter.exists() else 0
        self.counter.write_text(str(seen + 1))
        if seen < self.failures:
            raise TransientError("Tesseract timed out (injected).", code="ocr_timeout")
        return self.inner.read_words(image, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class RaisingEngine:
    def __init__(self, error):
        self.error = error

    def read_words(self, image, **kwargs):
        raise self.error

    def detect_orientation(self, image):
        return None


class SleepingEngine(RaisingEngine):
    def read_words(self, image, **kwargs):
        time.sleep(60)


def test_a_receipt_is_read_stored_and_waits_for_review(migrated):
    document_id = _queued(migrated)

    process_document(document_id, settings=migrated)

    document = _document(migrated, document_id)
    assert document.status == "needs_review" and document.attempts == 1 and document.error_code is None
    [page] = document.pages
    assert "TOTAL" in page.text and page.words and page.trace and page.mean_confidence > 0.5
    blobs = BlobStore(migrated.blob_dir)
    for key in (page.original_key, page.cleaned_key):
        assert blobs.get(key).startswith(b"\x89PNG")
    assert document.field("total").value == SAMPLE_FIELDS["total"]
    assert document.min_confidence == min(f.confidence for f in document.fields)
    assert 0 < document.mean_ocr_confidence <= 1
    [run] = _runs(migrated, document_id)
    assert (run.outcome, run.pages) == ("ok", 1) and run.total_ms > 0
    assert {"load", "ocr", "fields", "total", "store_images", "db"} <= set(run.step_ms)

    process_document(document_id, settings=migrated)  # a duplicate job is a no-op
    assert len(_runs(migrated, document_id)) == 1


@pytest.mark.slow
def test_a_page_without_text_is_flagged(migrated):
    document_id = _queued(migrated, data=encode(np.full((600, 400), 255, np.uint8), "PNG"))

    process_document(document_id, settings=migrated)

    document = _document(migrated, document_id)
    assert document.status == "needs_review"
    assert Flag("no_text", "no text found on page 1") in document.flags


@pytest.mark.slow
def test_reprocessing_keeps_a_reviewers_correction_and_refreshes_the_rest(migrated):
    document_id = _queued(migrated)
    process_document(document_id, settings=migrated)
    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, document_id, with_children=True)
        document.field("vendor").value, document.field("vendor").source = "Greenleaf Hardware", Source.USER
        document.field("total").value = "0.00"  # stale OCR value: must be replaced

    reprocess(document_id, user=add(migrated, "rita"), settings=migrated)
    assert _document(migrated, document_id).status == "queued"
    process_document(document_id, settings=migrated)

    document = _document(migrated, document_id)
    assert document.status == "needs_review"
    assert (document.field("vendor").value, document.field("vendor").source) == ("Greenleaf Hardware", "user")
    assert document.field("total").value == SAMPLE_FIELDS["total"]
    assert len(document.pages) == 1


@pytest.mark.slow
def test_a_transient_failure_is_retried_with_backoff_and_then_succeeds(migrated, tmp_path):
    document_id = _queued(migrated)
    queue.get_huey(migrated).flush()  # drop the ingest's job: this test runs the task by hand
    engine = FlakyEngine(tmp_path / "calls", failures=1)

    process_document(document_id, settings=migrated, engine=engine)

    document = _document(migrated, document_id)
    assert (document.status, document.attempts, document.error_code) == ("queued", 1, "ocr_timeout")
    assert document_id in queue.job_ids(migrated)  # the retry waits on the queue
    process_document(document_id, settings=migrated, engine=engine)

    assert _document(migrated, document_id).status == "needs_review"
    assert [r.outcome for r in _runs(migrated, document_id)] == ["retry", "ok"]


@pytest.mark.slow
def test_a_transient_failure_that_persists_fails_after_max_attempts(migrated, tmp_path):
    document_id = _queued(migrated)
    engine = FlakyEngine(tmp_path / "calls", failures=1000)

    for _ in range(migrated.max_attempts):
        process_document(document_id, settings=migrated, engine=engine)

    document = _document(migrated, document_id)
    assert (document.status, document.attempts, document.error_code) == ("failed", migrated.max_attempts, "ocr_timeout")
    assert "gave up after" in document.error_message
    assert [r.outcome for r in _runs(migrated, document_id)] == ["retry"] * (migrated.max_attempts - 1) + ["failed"]


def test_a_damaged_file_fails_at_once_with_its_reason(migrated):
    truncated = receipt_png()[:3000]  # the header passes the preflight; the pixels are cut off
    document_id = _queued(migrated, data=truncated)

    process_document(document_id, settings=migrated)

    document = _document(migrated, document_id)
    assert (document.status, document.attempts, document.error_code) == ("failed", 1, "damaged_file")
    assert "scan it again" in document.error_message


def test_an_input_error_from_the_pipeline_is_never_retried(migrated):
    document_id = _queued(migrated)
    queue.get_huey(migrated).flush()  # drop the ingest's job: this test runs the task by hand
    process_document(document_id, settings=migrated, engine=RaisingEngine(InputError("bad page", code="bad_page")))
    document = _document(migrated, document_id)
    assert (document.status, document.error_code, document.attempts) == ("failed", "bad_page", 1)
    assert queue.job_ids(migrated) == set()


def test_a_bug_fails_the_document_as_internal_and_the_next_one_still_processes(migrated, caplog):
    broken, fine = _queued(migrated, 1), _queued(migrated, 2)

    process_document(broken, settings=migrated, engine=RaisingEngine(ZeroDivisionError("oops")))
    process_document(fine, settings=migrated)

    document = _document(migrated, broken)
    assert (document.status, document.error_code, document.error_message) == (
        "failed", "internal", "internal error (logged)")
    assert any(getattr(r, "document_id", None) == broken and "ZeroDivisionError" in str(r.child_traceback)
               for r in caplog.records)
    assert _document(migrated, fine).status == "needs_review"
    assert batch_progress([broken, fine], settings=migrated)["failed"] == 1


@pytest.mark.slow
def test_a_document_over_its_time_limit_is_stopped_and_retried(migrated, monkeypatch):
    monkeypatch.setenv("DOCDESK_DOCUMENT_TIMEOUT_S", "1")
    get_settings.cache_clear()
    settings = get_settings()
    document_id = _queued(settings)

    process_document(document_id, settings=settings, engine=SleepingEngine(None))

    document = _document(settings, document_id)
    assert (document.status, document.error_code) == ("queued", "document_timeout")


def _claim_as(settings, document_id, worker, started):
    with session_factory(settings).begin() as session:
        assert jobs.claim(session, document_id, lease_s=settings.lease_s, worker=worker, now=started)


@pytest.mark.slow
def test_recovery_requeues_a_document_whose_lease_ran_out(migrated):
    document_id = _queued(migrated)
    queue.get_huey(migrated).flush()  # the job is lost too
    _claim_as(migrated, document_id, "elsewhere:1", utcnow() - timedelta(seconds=migrated.lease_s + 1))
    fresh = _queued(migrated, 1)
    _claim_as(migrated, fresh, "elsewhere:2", utcnow())  # a live lease on another host is left alone

    assert recover(migrated) == [document_id]

    assert _document(migrated, document_id).status == "queued"
    assert _document(migrated, fresh).status == "processing"
    assert [r.outcome for r in _runs(migrated, document_id)] == ["lost"]
    process_document(document_id, settings=migrated)
    assert _document(migrated, document_id).status == "needs_review"


def test_recovery_fails_a_document_that_keeps_killing_workers(migrated):
    document_id = _queued(migrated)
    for _ in range(migrated.max_attempts):
        _claim_as(migrated, document_id, "elsewhere:1", utcnow() - timedelta(seconds=migrated.lease_s + 1))
        if _ != migrated.max_attempts - 1:
            recover(migrated)

    recover(migrated)

    document = _document(migrated, document_id)
    assert (document.status, document.error_code) == ("failed", "worker_lost")


@pytest.mark.parametrize("status", ["needs_review", "failed"])
def test_process_document_ignores_documents_that_are_not_queued(migrated, status):
    document_id = _queued(migrated)
    with session_factory(migrated).begin() as session:
        repository.get_document(session, document_id).status = status
    process_document(document_id, settings=migrated)
    assert _runs(migrated, document_id) == []


@pytest.mark.slow
@pytest.mark.parametrize("fmt, magic", [("PNG", b"\x89PNG"), ("JPEG", b"\xff\xd8\xff")])
def test_page_images_keep_their_colours_and_carry_no_metadata(migrated, fmt, magic):
    import io

    from PIL import Image

    from tests.services.worker_proc import _receipt_image

    rgb = np.stack([_receipt_image()] * 3, axis=-1)
    rgb[10:60, 10:60] = (220, 20, 20)  # a red stamp
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: must not reach the page images
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt, exif=exif.tobytes())
    document_id = _queued(migrated, data=buffer.getvalue())

    process_document(document_id, settings=migrated)

    [page] = _document(migrated, document_id).pages
    blobs = BlobStore(migrated.blob_dir)
    original = blobs.get(page.original_key)
    assert original.startswith(magic) and b"PhoneMaker" not in original
    assert blobs.get(page.cleaned_key).startswith(b"\x89PNG")
    red, green, blue = Image.open(io.BytesIO(original)).convert("RGB").getpixel((35, 35))
    assert red > 180 and green < 70 and blue < 70


def _take_over(settings, document_id):
    """Another worker's claim, as after recovery: the row no longer carries our lease's time stamp."""
    with session_factory(settings).begin() as session:
        repository.get_document(session, document_id).started_at = utcnow() + timedelta(seconds=5)


def test_a_lease_is_only_taken_on_a_queued_document(migrated):
    document_id = _queued(migrated)
    lease = Lease.claim(document_id, migrated)
    assert (lease.document_id, lease.attempt) == (document_id, 1)
    assert _document(migrated, document_id).status == "processing"
    assert Lease.claim(document_id, migrated) is None  # the lease is live: nobody else gets it


def test_a_lost_lease_ends_its_run_as_lost_and_leaves_the_document_alone(migrated):
    document_id = _queued(migrated)
    for end in (lambda lease: lease.fail("bad", "bad"), lambda lease: lease.retry_or_fail("busy", "busy")):
        with session_factory(migrated).begin() as session:
            jobs.reset_for_queue(repository.get_document(session, document_id))
        lease = Lease.claim(document_id, migrated)
        _take_over(migrated, document_id)
        end(lease)
        document = _document(migrated, document_id)
        assert (document.status, document.error_code) == ("processing", None)
    assert [r.outcome for r in _runs(migrated, document_id)] == ["lost", "lost"]


def test_retry_or_fail_requeues_until_the_last_attempt(migrated):
    document_id = _queued(migrated)
    queue.get_huey(migrated).flush()
    for attempt in range(1, migrated.max_attempts + 1):
        lease = Lease.claim(document_id, migrated)
        assert lease.attempt == attempt
        lease.retry_or_fail("ocr_timeout", "Tesseract timed out.")
    document = _document(migrated, document_id)
    assert (document.status, document.error_code) == ("failed", "ocr_timeout")
    assert document.error_message == f"Tesseract timed out. (gave up after {migrated.max_attempts} attempts)"
    assert [r.outcome for r in _runs(migrated, document_id)] == ["retry"] * (migrated.max_attempts - 1) + ["failed"]


def test_giving_a_lease_back_does_not_count_the_attempt(migrated):
    document_id = _queued(migrated)
    Lease.claim(document_id, migrated).give_back()
    document = _document(migrated, document_id)
    assert (document.status, document.attempts, document.started_at) == ("queued", 0, None)
    assert [r.outcome for r in _runs(migrated, document_id)] == ["interrupted"]
