"""Rows from word boxes."""

from ocr.layout import group_rows
from ocr.types import BoundingBox, Word
from tests.ocr.words import words_at


def test_group_rows_by_position_not_line_ids():
    words = words_at(100, (10, "TOTAL"), line=7) + words_at(104, (300, "9.90"), line=8) + words_at(130, (10, "CASH"))
    rows = group_rows(words)
    assert [r.text for r in rows] == ["TOTAL 9.90", "CASH"]


def test_specks_level_with_the_top_of_a_line_do_not_split_it():
    # Boxes as Tesseract gave them on a real scan: two 2-pixel dots at the line's top edge were placed first.
    boxes = [(".", 2029, 624, 2, 2), ("KEDAI", 1038, 623, 86, 32), ("BARU", 1143, 624, 67, 31),
             ("MAJU", 1231, 626, 50, 31), ("JAYA", 1300, 627, 68, 32), (".", 2397, 626, 2, 2),
             ("NO", 978, 663, 40, 36), ("8,", 1030, 668, 30, 30), ("JALAN", 1089, 668, 86, 30)]
    words = [Word(text, 0.9, BoundingBox(x, y, w, h)) for text, x, y, w, h in boxes]
    rows = group_rows(words)
    assert [r.text for r in rows] == [".", "KEDAI BARU MAJU JAYA .", "NO 8, JALAN"]
