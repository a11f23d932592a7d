"""Vendor memory: the approved documents are what ocr.vendors recognises new receipts' vendors from."""

from __future__ import annotations

from datetime import date
from typing import Sequence

from ocr.config import ExtractionConfig
from ocr.fields.extract import document_of
from ocr.fields.memory import Remembered, remember
from ocr.fields.ranker import Ranker
from ocr.types import Extraction, PageResult
from ocr.vendors import KnownVendor, header_text, recall_vendor
from settings import Settings
from storage import repository
from storage.db import Session

# The newest approved receipts are enough: suppliers a back office still buys from come back within months.
MEMORY_SIZE = 2000


def known_vendors(session: Session, *, exclude: int | None = None) -> list[KnownVendor]:
    return [KnownVendor(document_id, vendor, address, header_text(text))
            for document_id, vendor, address, text in repository.approved_vendors(session, limit=MEMORY_SIZE)
            if document_id != exclude and text.strip()]


def stored_pages(session: Session, document_id: int) -> tuple[tuple[PageResult, ...], dict[str, str]]:
    """A document's pages as OCR read them (both readings, as stored) and its fields' values."""
    rows, values = repository.document_reading(session, document_id)
    pages = tuple(PageResult(row.index, row.width, row.height, row.ocr_words()) for row in rows)
    return pages, values


def profile(session: Session, known: KnownVendor, config: ExtractionConfig) -> Remembered | None:
    """What the approved document says of its supplier: where its total and date were printed, and how."""
    pages, values = stored_pages(session, known.document_id)
    if not pages:
        return None
    return remember(document_of(pages, config), values, config.today or date.today())


def recall(session: Session, document_id: int, extraction: Extraction, pages: Sequence[PageResult],
           settings: Settings, ranker: Ranker | None = None) -> Extraction:
    """The extraction read again with what an approved look-alike receipt teaches of its supplier, and vendor and
    address taken from it, if there is one."""
    if not settings.vendor_memory:
        return extraction
    config = settings.ocr_config().extraction
    return recall_vendor(extraction, pages, known_vendors(session, exclude=document_id), config, ranker,
                         profile_of=lambda known: profile(session, known, config))
