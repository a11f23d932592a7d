"""Group OCR words into visual rows by their vertical position (Tesseract's own line ids are unreliable)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from statistics import median
from typing import Sequence

from ocr.types import BoundingBox, Word


@dataclass(frozen=True)
class Row:
    """Words sharing one baseline band, left to right."""

    page: int
    index: int
    words: tuple[Word, ...]

    # computed once: the field rules ask each row for these many times
    @cached_property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @cached_property
    def second_text(self) -> str:
        """The row as the second reader read it where it did (ocr.second_reading), Tesseract's words elsewhere."""
        return " ".join(word.second if word.second is not None else word.text for word in self.words
                        if word.second != "")

    @cached_property
    def read_twice(self) -> bool:
        return any(word.second is not None for word in self.words)

    @cached_property
    def box(self) -> BoundingBox:
        return BoundingBox.enclosing([word.box for word in self.words])

    @cached_property
    def confidence(self) -> float:
        return min_mean_confidence(self.words)

    def span(self, start: int, end: int, second: bool = False) -> tuple[Word, ...]:
        """Words overlapping the character range [start, end) of `text` (of `second_text` when `second`)."""
        chosen, position = [], 0
        for word in self.words:
            text = (word.text if word.second is None else word.second) if second else word.text
            if second and text == "":
                continue
            word_end = position + len(text)
            if position < end and start < word_end:
                chosen.append(word)
            position = word_end + 1
        return tuple(chosen)


def min_mean_confidence(words: Sequence[Word]) -> float:
    """Mean word confidence, pulled toward the weakest word (one misread digit spoils an amount)."""
    if not words:
        return 0.0
    confidences = [word.confidence for word in words]
    return 0.5 * (sum(confidences) / len(confidences)) + 0.5 * min(confidences)


SPECK = 0.4  # a box under this share of the typical word height is a dot, comma or speck, not a word


def group_rows(words: Sequence[Word], page: int = 0) -> list[Row]:
    """Cluster words into rows: a word joins the row whose vertical band it overlaps most (>= half its height).

    Works from boxes only, so a label and its amount that Tesseract put in different lines share one row.
    Specks are placed last, into the row whose band holds their centre: a two-pixel dot read first would
    otherwise make a band that half a line of real words joins, splitting that line in two.
    """
    usable = [w for w in words if w.text.strip() and w.box.height > 0]
    if not usable:
        return []
    typical = median(w.box.height for w in usable)
    specks = [w for w in usable if w.box.height < SPECK * typical]
    bands = _bands([w for w in usable if w.box.height >= SPECK * typical], typical)
    for speck in specks:
        holding = [band for band in bands if band["top"] <= speck.box.center_y <= band["bottom"]]
        if holding:
            holding[0]["words"].append(speck)
        else:
            bands.append({"top": speck.box.top, "bottom": speck.box.bottom, "words": [speck]})
    bands.sort(key=lambda band: median(w.box.center_y for w in band["words"]))
    return [Row(page, i, tuple(sorted(band["words"], key=lambda w: w.box.left))) for i, band in enumerate(bands)]


def _bands(words: Sequence[Word], typical: float) -> list[dict]:
    """Words (top to bottom) gathered into bands, each {top, bottom, words}."""
    # Very tall boxes (logos, vertical rules) would swallow several rows: give them their own band.
    ordered = sorted(words, key=lambda w: (w.box.center_y, w.box.left))
    bands: list[dict] = []
    for word in ordered:
        top, bottom = word.box.top, word.box.bottom
        height = min(word.box.height, 2 * typical)
        best, best_overlap = None, 0.0
        for band in bands[-4:]:
            overlap = min(bottom, band["bottom"]) - max(top, band["top"])
            band_height = band["bottom"] - band["top"]
            ratio = overlap / max(1.0, min(height, band_height))
            centre_inside = band["top"] <= word.box.center_y <= band["bottom"]
            if ratio > best_overlap and (ratio >= 0.5 and centre_inside or ratio >= 0.7):
                best, best_overlap = band, ratio
        if best is None:
            bands.append({"top": top, "bottom": bottom, "words": [word]})
        else:
            best["words"].append(word)
            # keep the band at its core height so slightly skewed rows do not merge into the next
            heights = sorted(w.box.center_y for w in best["words"])
            centre = heights[len(heights) // 2]
            half = max(typical, median(w.box.height for w in best["words"])) / 2
            best["top"], best["bottom"] = centre - half, centre + half
    return bands
