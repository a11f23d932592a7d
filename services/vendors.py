"""Vendor memory: the approved documents are what ocr.vendors recognises new receipts' vendors from."""

from __future__ import annotations

from typing import Sequence

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


def recall(session: Session, document_id: int, extraction: Extraction, pages: Sequence[PageResult],
           settings: Settings) -> Extraction:
    """The extraction with vendor and address taken from an approved look-alike receipt, if there is one."""
    if not settings.vendor_memory:
        return extraction
    return recall_vendor(extraction, pages, known_vendors(session, exclude=document_id),
                         settings.ocr_config().extraction)
