"""What the OCR layer is told, as one frozen value.

An entry point (a worker, the command line, the evaluation) builds it once from the app's settings
(settings.Settings.ocr_config) and passes it down; nothing in ocr/ reads the settings. The defaults here are the
settings' defaults too, so both say the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from ocr import catalogue

DateOrder = Literal["DMY", "MDY", "YMD"]
# How the pages of a multi-page file become receipts (ocr.split): judged, one receipt per page, or one per file.
SplitPages = Literal["auto", "always", "never"]
# Which lines the second reader reads again (ocr.second_reading): accurate, the header and the labelled amounts and
# dates; fast, the shop's name only; tesseract, none (no second reader needed)
ReadingMode = Literal["accurate", "fast", "tesseract"]


@dataclass(frozen=True)
class LoadLimits:
    """What ocr.load accepts, checked from headers before anything is decoded."""

    max_upload_bytes: int = 50 * 1024 * 1024
    max_page_pixels: int = 60_000_000
    max_pages: int = 50
    pdf_dpi: int = 300


@dataclass(frozen=True)
class ExtractionConfig:
    """How words become fields (ocr.fields) and how an approved vendor is recognised (ocr.vendors)."""

    default_currency: str = "MYR"  # ISO 4217, for a receipt that shows none
    date_order: DateOrder = "DMY"  # how an ambiguous date like 03/04/2019 is read
    today: date | None = None  # a later date is implausible; None: the day it runs
    # A field less likely to be right than this is flagged for review. The learned fields' confidences are calibrated
    # (a value read at 0.8 was right about 8 times in 10 on receipts the model had not seen): at 0.8 the flags point
    # at 89-93 % of the mistakes and 19-22 % of the right values (docs/decisions/field-extraction.md, fifteenth round).
    low_confidence: float = 0.8
    # The fields read by their label (phone, tax id, receipt number, time, subtotal, tax, ...) have no calibration to
    # learn from (the labelled folders do not key them): their confidence is the OCR's times how sure the label makes
    # it, on another scale, so they keep the threshold they had. The time and the parts picked by label alone are set
    # from how often they match the folders' transcriptions (bench/label_confidence.py).
    low_label_confidence: float = 0.7
    # A vendor or address less likely to be right than this is left empty for the reviewer to type; its reading stays
    # in `raw` and an `unreadable` flag quotes it. Filling in a value that is right with chance p adds p to what is
    # right and 1 to what is filled in, which raises F1 only when p > F1 / 2: about 0.4 here. The date and total are
    # filled in however unsure: those read under 0.4 were right more often than that.
    unreadable_below: float = 0.4
    vendor_similarity: float = 70.0  # how alike (0-100) a receipt's top must read to an approved one's
    locales: tuple[str, ...] = ("en", "ms")  # the word lists (ocr/fields/locales) labels and names are read with

    def flag_below(self, name: str) -> float:
        """The confidence under which field `name` is flagged for review."""
        learned = name in catalogue.FIELDS.scored.values()  # the scored fields are the learned ones
        return self.low_confidence if learned else self.low_label_confidence


@dataclass(frozen=True)
class OcrConfig:
    """Everything ocr.pipeline needs: Tesseract's language and time limit, the fields read a second time (by default
    all the catalogue allows), how a multi-page file's pages become receipts, the loader's limits and the
    extraction's options."""

    language: str = "eng"  # Tesseract language(s), e.g. 'eng+msa'
    page_timeout_s: float = 60.0
    reading: ReadingMode = "accurate"  # which lines are read a second time (ocr.second_reading)
    split_pages: SplitPages = "auto"
    limits: LoadLimits = LoadLimits()
    extraction: ExtractionConfig = ExtractionConfig()
