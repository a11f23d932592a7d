"""Which pages of a file are which receipts: a sheet-feed scanner writes a whole stack into one PDF.

Two things are read from each page's rows of words:
- how likely the page *starts* a receipt, from its top: a title line (a shop name), centred lines, lines of text
  before the first amount, a date high up; the middle of a receipt starts with priced item lines instead. A small
  logistic model weighs these signs (START_WEIGHTS, fitted by `bench/split_stacks.py --fit`);
- whether the page *closes* a receipt: a total-like label with its amount.
Then the file is cut where that is most likely: every receipt starts on a page and holds a total (a total is found on
CLOSED_SHARE of receipts), every other page continues the receipt before it. So a footer that happens to look like a
header (centred 'THANK YOU' lines after the total) stays with its receipt, and a long receipt's second page, priced
lines without a header, continues the first. Blank pages (the backs of a duplex scan) go with the page before them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from ocr.config import SplitPages
from ocr.fields.labels import amount_kind
from ocr.fields.lexicon import load_lexicon
from ocr.layout import Row, group_rows
from ocr.parse import amounts_in, dates_in
from ocr.types import Flag, PageResult

TOP_ROWS = 4  # the rows a page's start is judged from
JUNK_BELOW = 0.45  # a top row read less surely than this is a logo or specks, not text
# P(page starts a receipt) = logistic(weights . (name, centred, priced, plain, dated) + bias), fitted on the pages of
# sroie-dev receipts read whole and cut into long receipts' pages (bench/split_stacks.py --fit).
START_WEIGHTS = (0.79, 1.86, -2.71, 3.29, 0.02, 1.78, 0.02)
START_BIAS = -3.71
CLOSED_SHARE = 0.99  # of whole receipts, the share on which a total-like label with its amount is read (sroie-dev)
TWICE_CLOSED_SHARE = 0.32  # of long receipts, the share with a total-like label on two of their pages (sroie-dev)
# A page that says it continues a receipt: 'continued', 'brought forward' at its top, 'page 2 of 3' anywhere.
_CONTINUED = re.compile(r"\b(CONT(INUED|'?D)|CARRIED FORWARD|BROUGHT FORWARD|B/F)\b", re.IGNORECASE)
_LATER_PAGE = re.compile(r"\bPAGE\s*(?:[2-9]|[1-9]\d)\s*(?:OF|/)\s*\d", re.IGNORECASE)


@dataclass(frozen=True)
class PageSigns:
    """What one page's words say about where it sits in a receipt."""

    start: float  # 0..1: how likely the page starts a receipt, from its top
    closes: bool  # a total-like label with its amount: a receipt ends on this page
    blank: bool  # no text


@dataclass(frozen=True)
class Judged:
    """A page, whether it starts a receipt in the most likely cut of the file, and the signs that said so."""

    index: int  # PageResult.index: the file's page
    starts: bool
    signs: PageSigns | None = None  # None: not judged (a file of one page)


def _content_rows(page: PageResult) -> list[Row]:
    rows = [row for row in group_rows(page.words, page.index) if sum(ch.isalnum() for ch in row.text) >= 3]
    while rows and _unsure(rows[0]):  # a logo read as letters
        rows.pop(0)
    return rows


def _unsure(row: Row) -> bool:
    words = [w for w in row.words if any(ch.isalnum() for ch in w.text)]
    return not words or sum(w.confidence for w in words) / len(words) < JUNK_BELOW


def _name_like(row: Row) -> bool:
    """A title line: mostly letters, no amount, date or label colon (a shop name, 'TAX INVOICE')."""
    text = row.text.replace(" ", "")
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 4 and letters >= 0.7 * len(text) and ":" not in text and not amounts_in(row.text) and \
        not dates_in(row.text)


def _centred(row: Row, left: float, right: float) -> bool:
    width = max(1.0, right - left)
    return abs((row.box.left + row.box.right) / 2 - (left + right) / 2) < 0.08 * width and row.box.width < 0.8 * width


def start_signs(rows: Sequence[Row]) -> tuple[float, ...]:
    """(name, centred, priced, plain, dated, closes, amounts), each 0..1: a title line in the first two rows; the share
    of the top rows centred in the text column, and priced; the rows before the first amount (of TOP_ROWS); a date in
    the upper half; a total on the page; the share of all rows priced (a footer has few)."""
    if not rows:
        return (0.0,) * len(START_WEIGHTS)
    lefts, rights = sorted(r.box.left for r in rows), sorted(r.box.right for r in rows)
    left, right = lefts[len(lefts) // 10], rights[-1 - len(rights) // 10]  # the text column, without strays
    top = rows[:TOP_ROWS]
    priced = [bool(amounts_in(row.text)) for row in rows]
    name = any(_name_like(row) for row in top[:2])
    centred = sum(_centred(row, left, right) for row in top) / len(top)
    plain = min(priced.index(True) if True in priced else len(rows), TOP_ROWS) / TOP_ROWS
    dated = any(dates_in(row.text) for row in rows[:max(3, len(rows) // 2)])
    return (float(name), centred, sum(priced[:TOP_ROWS]) / len(top), plain, float(dated), float(_closes(rows)),
            sum(priced) / len(rows))


CLOSING = ("total", "subtotal", "paid", "change")  # what an amount's label says at a receipt's end (ocr.fields)


def _closes(rows: Sequence[Row]) -> bool:
    """A total-like label (or cash paid, change) with an amount on its row or the next."""
    lexicon = load_lexicon()  # the shipped word lists: the page-start model was fitted with them
    for i, row in enumerate(rows):
        kind = amount_kind(row.text, lexicon)
        if kind and kind[0] in CLOSING and (amounts_in(row.text) or i + 1 < len(rows) and amounts_in(rows[i + 1].text)):
            return True
    return False


def page_signs(page: PageResult) -> PageSigns:
    rows = _content_rows(page)
    if not rows:
        return PageSigns(0.0, False, True)
    score = START_BIAS + sum(w * x for w, x in zip(START_WEIGHTS, start_signs(rows), strict=True))
    start = 1 / (1 + math.exp(-score))
    top = " ".join(row.text for row in rows[:TOP_ROWS])
    if _CONTINUED.search(top) or any(_LATER_PAGE.search(row.text) for row in rows):
        start = 0.0  # the page says so itself
    return PageSigns(start, _closes(rows), False)


def _log(p: float) -> float:
    return math.log(min(max(p, 1e-6), 1 - 1e-6))


def most_likely_starts(signs: Sequence[PageSigns]) -> list[int]:
    """The positions where receipts start, in the most likely cut: each receipt's first page scores log P(start), each
    following page log P(not a start), each receipt log CLOSED_SHARE if a page of it closes, else log of the rest.
    Exact, by dynamic programming over the cut points (a file has at most a few dozen pages)."""
    n = len(signs)
    goes_on, closing = [0.0], [0]  # prefix sums: log P(not a start) of pages [0, k); pages that close among them
    for s in signs:
        goes_on.append(goes_on[-1] + _log(1 - s.start))
        closing.append(closing[-1] + s.closes)
    best: list[tuple[float, int]] = [(0.0, -1)] + [(-math.inf, -1)] * n  # best[j]: pages [0, j) cut; last start
    for j in range(1, n + 1):
        for i in range(j):  # a receipt of pages [i, j)
            closed = closing[j] - closing[i]
            score = (best[i][0] + (0.0 if i == 0 else _log(signs[i].start)) + goes_on[j] - goes_on[i + 1]
                     + _log(CLOSED_SHARE if closed else 1 - CLOSED_SHARE)
                     + max(closed - 1, 0) * _log(TWICE_CLOSED_SHARE))
            if score > best[j][0]:
                best[j] = (score, i)
    starts, j = [], n
    while j > 0:
        j = best[j][1]
        starts.append(j)
    return sorted(starts)


def judge(pages: Sequence[PageResult]) -> tuple[Judged, ...]:
    """Each page with its signs and whether it starts a receipt. Blank pages are left out of the cut and go with the
    page before them (the first page always starts a receipt; a file of one page is not judged)."""
    if len(pages) < 2:
        return tuple(Judged(page.index, True) for page in pages)
    signs = [page_signs(page) for page in pages]
    texts = [position for position, s in enumerate(signs) if not s.blank]
    starts = {texts[k] for k in most_likely_starts([signs[p] for p in texts])} | {0}
    if texts and texts[0] != 0:
        starts.discard(texts[0])  # leading blank pages and the first page with text are one receipt
    return tuple(Judged(page.index, position in starts, s)
                 for position, (page, s) in enumerate(zip(pages, signs, strict=True)))


def receipts(judged: Sequence[Judged], mode: SplitPages) -> list[list[int]]:
    """The pages of each receipt, as positions in `judged`: as judged ('auto'), one per page, or all in one."""
    if not judged or mode == "never":
        return [list(range(len(judged)))]
    groups: list[list[int]] = []
    for position, page in enumerate(judged):
        if not groups or mode == "always" or page.starts:
            groups.append([])
        groups[-1].append(position)
    return groups


def mixed(judged: Sequence[Judged], group: Sequence[int]) -> Flag | None:
    """A flag when `group` (kept together by the setting) holds pages that look like the start of another receipt."""
    starts = [judged[i].index + 1 for i in group[1:] if judged[i].starts]
    if not starts:
        return None
    pages = ", ".join(str(n) for n in starts)
    which = f"pages {pages} look" if len(starts) > 1 else f"page {pages} looks"
    return Flag("several_receipts", f"{which} like the start of another receipt, but the file was kept as one "
                "(DOCDESK_SPLIT_PAGES): its fields may come from different receipts; check each against its page.")
