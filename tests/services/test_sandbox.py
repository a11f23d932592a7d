"""services.sandbox: each way a child can end becomes a clear error here, and the caller carries on."""

from __future__ import annotations

import os
import signal

import pytest

from errors import ChildCrashed, InputError, TransientError
from services import sandbox
from services.ingest import ingest_file
from services.process import process_document
from storage import repository
from storage.db import session_factory
from tests.signin import add

LIMITS = sandbox.Limits(timeout_s=30, memory_mb=2000, cpu_s=30)


def _hog_memory():
    return bytearray(4 << 30)  # 4 GB: over the 2000 MB limit


def _spin():
    while True:
        pass


def _segfault():
    import faulthandler

    faulthandler.disable()  # pytest's handler would print the child's stack
    os.kill(os.getpid(), signal.SIGSEGV)


def _sleep():
    import time

    time.sleep(60)


def _boom():
    raise InputError("The file is damaged (test): upload it again.", code="damaged_file")


def test_results_and_exceptions_come_back():
    assert sandbox.run(sum, [1, 2, 3], limits=LIMITS) == 6
    with pytest.raises(InputError) as caught:
        sandbox.run(_boom, limits=LIMITS)
    assert caught.value.code == "damaged_file" and "raise InputError" in caught.value.child_traceback


def test_out_of_memory_is_too_complex_and_not_retried():
    with pytest.raises(InputError) as caught:
        sandbox.run(_hog_memory, limits=LIMITS)
    assert caught.value.code == "too_complex" and "lower resolution" in caught.value.message


@pytest.mark.slow
def test_cpu_limit_is_too_slow():
    with pytest.raises(InputError) as caught:
        sandbox.run(_spin, limits=sandbox.Limits(timeout_s=60, memory_mb=None, cpu_s=1))
    assert caught.value.code == "too_slow"


def test_a_crash_is_transient_and_a_timeout_stops_the_child():
    with pytest.raises(ChildCrashed) as caught:
        sandbox.run(_segfault, limits=LIMITS)
    assert "SIGSEGV" in caught.value.message
    with pytest.raises(TransientError) as caught:
        sandbox.run(_sleep, limits=sandbox.Limits(timeout_s=0.5, memory_mb=None, cpu_s=None))
    assert caught.value.code == "document_timeout"


class HungryEngine:
    """Asks for more memory than the child may have: a decoder or OCR bomb."""

    def read_words(self, image, **kwargs):
        return bytearray(8 << 30)

    def detect_orientation(self, image):
        return None


@pytest.mark.slow
def test_a_document_that_exhausts_memory_fails_once_and_the_next_one_is_processed(migrated):
    from tests.badfiles import good_receipt

    add(migrated, "ana", "uploader")
    bomb = ingest_file(good_receipt(5)(), "bomb.png", user="ana", settings=migrated).document_id
    good = ingest_file(good_receipt(6)(), "good.png", user="ana", settings=migrated).document_id
    process_document(bomb, settings=migrated, engine=HungryEngine())
    process_document(good, settings=migrated)
    with session_factory(migrated).begin() as session:
        failed = repository.get_document(session, bomb)
        assert (failed.status, failed.error_code, failed.attempts) == ("failed", "too_complex", 1)
        assert repository.get_document(session, good).status == "needs_review"
