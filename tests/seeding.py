"""Documents as processing would leave them, written straight through storage (no OCR): for page,
service and benchmark tests."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime
from decimal import Decimal

from storage import repository
from storage.blobs import BlobStore
from storage.db import session_factory
from storage.models import Field, LineItem, Page, Status, utcnow

_counter = itertools.count(1)

FIELDS = {"vendor": "GREENLEAF HARDWARE SDN BHD", "vendor_address": "12 JALAN CEMPAKA, PUCHONG",
          "date": "2024-03-14", "time": "14:32", "receipt_number": "INV-000482", "currency": "MYR",
          "subtotal": "40.50", "tax": "2.43", "rounding": "0.02", "total": "42.95", "payment_method": "CASH"}


def make_document(session, settings=None, *, status: str = Status.NEEDS_REVIEW, fields: dict | None = None,
                  confidence: float | dict = 0.9, text: str = "GREENLEAF HARDWARE TOTAL 42.95",
                  image: bytes | None = None, uploaded_by: str | None = "ann", created_at: datetime | None = None,
                  items: bool = True, **columns):
    """A document with one page, its fields (with boxes) and line items; returns the Document."""
    n = next(_counter)
    values = dict(FIELDS if fields is None else fields)
    key = None
    if image is not None and settings is not None:
        key = BlobStore(settings.blob_dir).put(image)
    confidences = {name: confidence.get(name, 0.9) if isinstance(confidence, dict) else confidence for name in values}
    document = repository.add_document(
        session, sha256=hashlib.sha256(f"doc-{n}-{utcnow().timestamp()}".encode()).hexdigest(),
        original_name=f"receipt-{n}.png", media_type="image/png", size_bytes=1000, page_count=1, status=status,
        uploaded_by=uploaded_by, min_confidence=min(confidences.values(), default=None), mean_ocr_confidence=0.85,
        created_at=created_at or utcnow(), finished_at=utcnow(), **columns)
    document.pages.append(Page(index=0, width=800, height=1200, text=text, original_key=key, cleaned_key=key))
    for i, (name, value) in enumerate(values.items()):
        document.fields.append(Field(name=name, value=value, raw=value, confidence=confidences[name], page_index=0,
                                     box=[40, 40 + 40 * i, 300, 30]))
    if items:
        document.line_items.extend([
            LineItem(position=0, description="CABLE TIE 100PCS", quantity=Decimal("2"), amount=Decimal("12.00")),
            LineItem(position=1, description="SCREWDRIVER SET", quantity=Decimal("1"), amount=Decimal("18.50")),
            LineItem(position=2, description="WALL PLUG 6MM", quantity=Decimal("4"), amount=Decimal("10.00"))])
    session.flush()
    return document


def seed_export_mix(settings) -> dict[str, int]:
    """Four documents for export tests: approved in March (2, one only by its upload day), approved in April (with a
    formula as vendor) and one still waiting; their ids by those names."""
    with session_factory(settings).begin() as session:
        return {
            "march": make_document(session, status=Status.APPROVED, reviewed_by="rita").id,
            "april": make_document(session, status=Status.APPROVED,
                                   fields={"vendor": "=cmd|' /C calc'!A0", "date": "2024-04-02", "total": "-5.00"}).id,
            "no_date": make_document(session, status=Status.APPROVED, fields={"vendor": "X", "total": "1.00"},
                                     created_at=datetime(2024, 3, 20, 10, tzinfo=UTC)).id,
            "waiting": make_document(session, status=Status.NEEDS_REVIEW).id,
        }
