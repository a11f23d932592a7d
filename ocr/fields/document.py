"""A receipt as the extractor sees it: rows of words (ocr.layout) across its pages, each row with both readings,
where it sits, how tall it is. Built once per extraction; every candidate family reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median
from typing import Iterator, Sequence

from ocr.fields.labels import label_tokens
from ocr.fields.lexicon import Lexicon
from ocr.layout import Row, group_rows
from ocr.types import PageResult, Word

TESSERACT, SECOND = "tesseract", "second"


@dataclass(frozen=True)
class Document:
    rows: tuple[Row, ...]
    positions: tuple[float, ...]  # 0 (top of the first page) .. 1 (bottom of the last)
    heights: tuple[float, ...]  # tallest word of each row, over the page's typical word height
    page_sizes: dict[int, tuple[int, int]]  # page index -> (width, height)
    lexicon: Lexicon
    _tokens: dict[tuple[int, str], tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def text(self, i: int, reading: str = TESSERACT) -> str:
        row = self.rows[i]
        return row.second_text if reading == SECOND else row.text

    def tokens(self, i: int, reading: str = TESSERACT) -> tuple[str, ...]:
        key = (i, reading)
        if key not in self._tokens:
            self._tokens[key] = label_tokens(self.text(i, reading))
        return self._tokens[key]

    def readings(self, i: int) -> Iterator[str]:
        """The readings row i has: Tesseract's, and the second reader's when it read the row and read it otherwise."""
        yield TESSERACT
        if self.rows[i].read_twice and self.rows[i].second_text != self.rows[i].text:
            yield SECOND

    def width(self, i: int) -> int:
        return self.page_sizes.get(self.rows[i].page, (1, 1))[0]

    def first_page_rows(self, limit: int) -> list[int]:
        """Indexes of the first `limit` rows of the first page."""
        first = self.rows[0].page if self.rows else 0
        return [i for i, row in enumerate(self.rows[:limit]) if row.page == first]


def words_of(row: Row, raw: str, reading: str, start_hint: int = 0) -> tuple[Word, ...]:
    """The words of `row` that printed `raw` (a substring of the row's text in that reading)."""
    text = row.second_text if reading == SECOND else row.text
    start = text.find(raw, start_hint)
    if start < 0:
        return row.words
    return row.span(start, start + len(raw), second=reading == SECOND) or row.words


def read_document(pages: Sequence[PageResult], lexicon: Lexicon) -> Document:
    rows: list[Row] = []
    positions: list[float] = []
    heights: list[float] = []
    count = max(1, len(pages))
    for order, page in enumerate(pages):
        page_rows = group_rows(page.words, page=page.index)
        typical = median(w.box.height for row in page_rows for w in row.words) if page_rows else 1.0
        for row in page_rows:
            rows.append(row)
            positions.append((order + row.box.center_y / max(1, page.height)) / count)
            heights.append(max(w.box.height for w in row.words) / max(1.0, typical))
    return Document(tuple(rows), tuple(positions), tuple(heights),
                    {page.index: (page.width, page.height) for page in pages}, lexicon)
