"""ocr.libtesseract: the library reads a page to the same words as the `tesseract` command, in this process."""

import os
import subprocess
import sys

import pytest
from PIL import Image

from errors import EngineUnavailable, ErrorCode, TransientError
from ocr.engine import pytesseract, words_from_data
from ocr.libtesseract import LEPTONICA_NAMES, Library, library, open_library
from tests import receipts


@pytest.fixture(scope="module")
def receipt() -> receipts.Receipt:
    return receipts.sample_receipt()


@pytest.mark.parametrize("invert", ["1", "0"])
def test_the_library_reads_the_words_the_command_reads(receipt, invert):
    page = Image.fromarray(receipts.add_noise(receipt.image))  # some lines read poorly: read again inverted or not
    page.format = "BMP"  # what ocr.engine hands over
    command = pytesseract.image_to_data(page, lang="eng", config=f"--psm 6 -c tessedit_do_invert={invert}",
                                        output_type=pytesseract.Output.DICT)
    tsv = library("eng").tsv(page, psm=6, variables={"tessedit_do_invert": invert}, timeout_s=60)
    ours = pytesseract.pytesseract.file_to_dict(tsv, "\t", -1)
    assert words_from_data(ours) == words_from_data(command) and len(words_from_data(ours)) > 10


def test_a_page_past_its_time_limit_is_stopped(receipt):
    page = Image.fromarray(receipt.image)
    with pytest.raises(TransientError) as stopped:
        library("eng").tsv(page, psm=6, variables={}, timeout_s=0.001)
    assert stopped.value.code == ErrorCode.OCR_TIMEOUT
    assert library("eng").tsv(page, psm=6, variables={}, timeout_s=60).count("\n") > 10  # and the next page reads


def test_missing_language_data_says_what_to_install():
    with pytest.raises(EngineUnavailable, match="install tesseract-ocr-qqq"):
        Library("qqq")


def test_a_library_is_taken_by_the_first_soname_the_system_has():
    # Debian bookworm names Leptonica liblept.so.5, trixie libleptonica.so.6: whichever is here is found
    assert open_library(("libleptonica-not-here.so.0", *LEPTONICA_NAMES), "Leptonica is missing")


def test_a_missing_library_says_which_and_what_to_install():
    with pytest.raises(EngineUnavailable, match=r"Leptonica is missing \(libnothing.so.1 or libnothing.so.2 not "
                                                r"found\): run `make install`"):
        open_library(("libnothing.so.1", "libnothing.so.2"), "Leptonica is missing")


_THREADS = """
import os
from ocr.engine import TesseractEngine
from tests import receipts
before = len(os.listdir("/proc/self/task"))
TesseractEngine().read_words(receipts.sample_receipt().image)
print(before, len(os.listdir("/proc/self/task")), os.environ["OMP_THREAD_LIMIT"])
"""


def test_a_page_is_read_on_one_thread_whatever_the_environment():
    """Documents' children are forked from the process that reads: it must not hold OpenMP threads."""
    env = {key: value for key, value in os.environ.items() if key != "OMP_THREAD_LIMIT"}
    run = subprocess.run([sys.executable, "-c", _THREADS], capture_output=True, text=True, env=env, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert run.returncode == 0, run.stderr
    before, after, limit = run.stdout.split()
    assert before == after and limit == "1"
