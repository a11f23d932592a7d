"""What the OCR layer is told, as one frozen value.

An entry point (a worker, the command line, the evaluation) builds it once from the app's settings
(settings.Settings.ocr_config) and passes it down; nothing in ocr/ reads the settings. The defaults here are the
settings' defaults too, so both say the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from ocr import catalogue

DateOrder = Literal["DMY", "MDY", "YMD"]


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
    low_confidence: float = 0.6  # a field read less surely than this is flagged for review
    # An address read less surely than this is left empty for the reviewer to type; its reading stays in `raw` and
    # an `unreadable` flag quotes it. On the tuning receipts no address read below 0.3 was right, and most were far
    # off (0.14-0.79 of their length to edit): text to delete, not to correct, and worse than nothing if approved
    # unseen. Only the address: a vendor's confidence does not tell right from wrong
    # (docs/decisions/field-extraction.md).
    unreadable_address_below: float = 0.25
    vendor_similarity: float = 70.0  # how alike (0-100) a receipt's top must read to an approved one's


@dataclass(frozen=True)
class OcrConfig:
    """Everything ocr.pipeline needs: Tesseract's language and time limit, the fields read a second time (by default
    all the catalogue allows), the loader's limits and the extraction's options."""

    language: str = "eng"  # Tesseract language(s), e.g. 'eng+msa'
    page_timeout_s: float = 60.0
    second_reading: tuple[str, ...] = field(default_factory=lambda: tuple(sorted(catalogue.FIELDS.read_again)))
    limits: LoadLimits = LoadLimits()
    extraction: ExtractionConfig = ExtractionConfig()
