"""ocr.engine against the real Tesseract: words, boxes, confidences, orientation, psm choice, probe."""

from __future__ import annotations

import pytest

from ocr.engine import Orientation, TesseractEngine, probe
from ocr.types import PageResult
from tests import receipts


@pytest.fixture(scope="module")
def receipt() -> receipts.Receipt:
    return receipts.sample_receipt()


def test_probe_reports_a_version():
    assert probe("eng")[0].isdigit()


def test_read_words_with_psm_6_keeps_receipt_rows(receipt):
    engine = TesseractEngine()
    assert engine.psm == 6  # measured: psm 6 beat psm 3 on SROIE dates/totals (DESIGN.md)
    words = engine.read_words(receipt.image)
    page = PageResult(0, receipt.image.shape[1], receipt.image.shape[0], tuple(words))
    assert receipts.character_error_rate(receipt.text, page.text) <= 0.02
    assert all(0.0 <= w.confidence <= 1.0 for w in words)
    assert all(0 <= w.box.left and w.box.right <= page.width and w.box.bottom <= page.height for w in words)
    total_line = next(line for line in page.text.splitlines() if line.startswith("TOTAL"))
    assert total_line.split()[-1] == receipt.fields["total"]  # label and amount stay on one line


def test_detect_orientation_returns_an_answer_or_none(receipt):
    answer = TesseractEngine().detect_orientation(receipts.turn(receipt.image, 90))
    assert answer is None or (isinstance(answer, Orientation) and answer.rotate in (0, 90, 180, 270))


def test_reading_a_receipt_does_not_load_pandas_and_pandas_still_loads_after():
    """A batch or a worker pays for what it uses: pytesseract alone would import pandas and pyarrow."""
    import subprocess
    import sys

    script = ("import sys, ocr.pipeline; loaded = 'pandas' in sys.modules; import pandas; "
              "print(loaded, pandas.DataFrame({'a': [1]}).shape)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "(1,", "1)"]


def test_without_invert_a_white_on_black_line_is_not_read_again_inverted():
    page = receipts.render(["TAX INVOICE", "TOTAL 12.50"]).image.copy()
    half = page.shape[0] // 2
    page[:half] = 255 - page[:half]  # the first line white on a black band
    assert [w.text for w in TesseractEngine().read_words(page)] == ["TAX", "INVOICE", "TOTAL", "12.50"]
    words = [w.text for w in TesseractEngine(invert=False).read_words(page)]
    assert "INVOICE" not in words and words[-2:] == ["TOTAL", "12.50"]
