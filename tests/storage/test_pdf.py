"""storage.pdf: searchable PDFs, read back with Poppler (pdftotext, pdfinfo) as any archive tool would."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ocr.types import BoundingBox, Word
from storage import images
from storage.pdf import PdfPage, paper_dpi, searchable_pdf


def _words(*rows: list[tuple[str, int, int]], height: int = 30) -> list[Word]:
    """Words (text, left, width) on rows 60 px apart, starting 40 px down."""
    return [Word(text, 0.9, BoundingBox(left, 40 + 60 * number, width, height))
            for number, row in enumerate(rows) for text, left, width in row]


def _page(words: list[Word], *, width: int = 600, height: int = 400, dpi: float = 200.0) -> PdfPage:
    paper = np.full((height, width), 250, np.uint8)
    jpeg, w, h, gray = images.as_jpeg(images.png(paper), quality=80)
    return PdfPage(jpeg, w, h, dpi, gray, words)


def _poppler(tool: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path), "-"] if tool == "pdftotext" else [tool, str(path)],
                          capture_output=True, text=True, check=True).stdout


def _bbox_words(pdf: bytes, tmp_path: Path) -> list[tuple[str, float, float, float, float]]:
    xml = _poppler("pdftotext", pdf, tmp_path, "-bbox")
    return [(text, float(x0), float(y0), float(x1), float(y1)) for x0, y0, x1, y1, text in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', xml)]


def test_the_words_come_back_in_reading_order_on_their_lines(tmp_path):
    words = _words([("SUBTOTAL", 40, 160), ("40.50", 470, 100)], [("TOTAL", 40, 100), ("42.95", 470, 100)],
                   [("THANK", 40, 110), ("YOU,", 165, 80), ("COME", 260, 90), ("AGAIN", 365, 110)])
    layout = _poppler("pdftotext", searchable_pdf([_page(words)]), tmp_path, "-layout")
    lines = [" ".join(line.split()) for line in layout.splitlines() if line.strip()]
    assert lines == ["SUBTOTAL 40.50", "TOTAL 42.95", "THANK YOU, COME AGAIN"]


def test_each_word_sits_on_its_box(tmp_path):
    words = _words([("INVOICE", 60, 140), ("INV-000482", 260, 200)], [("DATE", 60, 80)])
    found = {text: box for text, *box in _bbox_words(searchable_pdf([_page(words, dpi=200.0)]), tmp_path)}
    assert sorted(found) == ["DATE", "INV-000482", "INVOICE"]
    points = 72 / 200
    for word in words:
        box, (x0, y0, x1, y1) = word.box, found[word.text]
        assert x0 == pytest.approx(box.left * points, abs=1) and x1 == pytest.approx(box.right * points, abs=1)
        # vertically the glyphs of a 'font size' cover the box (within a third of its height)
        assert y0 <= (box.top + box.height / 3) * points and y1 >= (box.bottom - box.height / 3) * points


def test_the_page_has_the_paper_size_of_its_resolution_and_pages_keep_their_order(tmp_path):
    first = _page(_words([("FIRST", 40, 100)]), width=600, height=400, dpi=200.0)
    second = _page(_words([("SECOND", 40, 120)]), width=300, height=900, dpi=100.0)
    pdf = searchable_pdf([first, second])
    info = _poppler("pdfinfo", pdf, tmp_path)
    assert "Pages:           2" in info and "Page size:       216 x 144 pts" in info
    assert _poppler("pdftotext", pdf, tmp_path).split() == ["FIRST", "SECOND"]


def test_brackets_backslashes_and_accents_survive_and_the_unknown_becomes_a_question_mark(tmp_path):
    words = _words([("(RM)", 40, 80), ("C:\\TILL", 140, 140), ("CAFÉ", 300, 80), ("ﬁsh", 400, 80), ("咖啡", 500, 60)])
    text = _poppler("pdftotext", searchable_pdf([_page(words)]), tmp_path)
    assert text.split() == ["(RM)", "C:\\TILL", "CAFÉ", "fish", "??"]


def test_a_page_without_words_is_the_image_alone(tmp_path):
    pdf = searchable_pdf([_page([])])
    assert "Pages:           1" in _poppler("pdfinfo", pdf, tmp_path)
    assert _poppler("pdftotext", pdf, tmp_path).strip() == ""


def test_paper_size_comes_from_the_resolution_or_else_from_the_words():
    words = _words([("TOTAL", 40, 100)], height=36)
    assert paper_dpi(300, 0.5, words) == 150  # a 300 dpi scan the cleaning halved
    assert paper_dpi(72, 1.0, words) == pytest.approx(300)  # a phone's '72 dpi': words ~3 mm high instead
    assert paper_dpi(None, 1.0, []) == 200
