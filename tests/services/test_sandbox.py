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


def _tesseract_leaving_its_files():
    """Real Tesseract through pytesseract, its clean-up skipped (as when the process is killed mid-page): returns
    the temp folder and each file left there with its permission bits."""
    import tempfile

    import numpy as np
    import pytesseract

    from tests.badfiles import small_receipt

    pytesseract.pytesseract.cleanup = lambda name: None
    pytesseract.image_to_string(np.ascontiguousarray(small_receipt()))
    folder = tempfile.gettempdir()
    return folder, {name: os.stat(os.path.join(folder, name)).st_mode & 0o777 for name in os.listdir(folder)}


def _write_a_temp_file_then_hang():
    import tempfile
    import time

    with open(os.path.join(tempfile.gettempdir(), "page.png"), "wb") as handle:
        handle.write(b"a receipt")
    time.sleep(60)


@pytest.mark.slow
def test_a_childs_temp_files_are_owner_only_and_removed_when_it_ends(tmp_path, monkeypatch):
    """Tesseract's page image and text went to the world-readable system temp folder (mode 0644) and stayed there
    after a kill. The child now works in an owner-only folder of its own, removed however the child ends."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    folder, files = sandbox.run(_tesseract_leaving_its_files, limits=LIMITS)
    assert os.path.dirname(folder) == str(tmp_path) and files  # the input image and Tesseract's text
    assert set(files.values()) == {0o600}, files
    assert not os.path.exists(folder)  # removed after the child ended

    with pytest.raises(TransientError):
        sandbox.run(_write_a_temp_file_then_hang, limits=sandbox.Limits(timeout_s=1, memory_mb=None, cpu_s=None))
    assert os.listdir(tmp_path) == []  # killed at its time limit: its folder is gone too
