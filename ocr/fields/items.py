"""Line items: the rows between the header and the first total, each an amount with its description (on the row,
or on the one or two rows above it), a quantity and a unit price where the row shows them."""

from __future__ import annotations

import re
from decimal import Decimal

from ocr.fields.document import Document
from ocr.fields.labels import amount_kind, is_heading
from ocr.fields.names import letters, plain
from ocr.layout import Row, min_mean_confidence
from ocr.parse import amounts_in, dates_in
from ocr.types import BoundingBox, LineItem

_QTY = re.compile(r"(?<![\d.])(\d{1,3})\s?[xX*@]\s?(?=\s|\d|$)|(?<![\d.])[xX]\s?(\d{1,3})(?![\d.])")
JUNK_BELOW = 0.45  # mean word confidence under which a row without an amount is taken for a logo or speckle


def _is_junk(row: Row) -> bool:
    text = plain(row.text)
    if letters(text) < 3 or letters(text) < 0.3 * len(text.replace(" ", "")):
        return True
    words = [w for w in row.words if any(ch.isalnum() for ch in w.text)]
    return not words or sum(w.confidence for w in words) / len(words) < JUNK_BELOW


def _quantity(text: str, amounts: list[tuple[Decimal, str]]) -> tuple[Decimal | None, Decimal | None, str]:
    """Quantity, unit price and the text with them taken out: '2 x 3.50 7.00', or price x quantity = amount."""
    amount = amounts[-1][0]
    match = _QTY.search(text)
    quantity = Decimal(match.group(1) or match.group(2)) if match else None
    unit_price = amounts[-2][0] if len(amounts) >= 2 else None
    if quantity is None and unit_price:
        ratio = amount / unit_price
        if ratio == ratio.to_integral_value() and 0 < ratio < 1000:
            quantity = ratio.quantize(Decimal(1))
    for _, raw in amounts:
        text = text.replace(raw, " ")
    if match:
        text = text.replace(match.group(0), " ")
    return quantity, unit_price, text


def _item(row: Row, pending: list[Row]) -> LineItem | None:
    amounts = amounts_in(row.text)
    amount = amounts[-1][0]
    if amount <= 0:
        return None
    quantity, unit_price, description = _quantity(row.text, amounts)
    description = re.sub(r"\b\d{6,}\b", " ", description)  # barcodes
    description = " ".join(description.split()).strip(" -:*")
    if letters(description) < 3 and pending:
        description = " ".join(r.text for r in pending)
    lead = re.match(r"^\s*(\d{1,2})\s+(?=[A-Za-z])", description) if quantity is None else None
    if lead:
        quantity, description = Decimal(lead.group(1)), description[lead.end():]
    if letters(description) < 2:
        return None
    if unit_price is None and quantity:
        unit_price = (amount / quantity).quantize(Decimal("0.01"))
    words = tuple(w for r in pending for w in r.words) + row.words if letters(row.text) < 3 else row.words
    return LineItem(description, quantity, unit_price, amount, round(min_mean_confidence(row.words) * 0.8, 3),
                    row.page, BoundingBox.enclosing([w.box for w in words]))


def line_items(doc: Document, start: int, end: int) -> list[LineItem]:
    items: list[LineItem] = []
    pending: list[Row] = []  # description rows waiting for their amount row
    for row in doc.rows[max(0, start):min(end, len(doc.rows))]:
        if amount_kind(row.text, doc.lexicon) is not None or is_heading(row.text, doc.lexicon) or dates_in(row.text):
            pending = []
        elif not amounts_in(row.text):
            if letters(row.text) >= 3 and not _is_junk(row):
                pending = (pending + [row])[-2:]
        else:
            item = _item(row, pending)
            if item is not None:
                items.append(item)
            pending = [] if item is not None or amounts_in(row.text)[-1][0] > 0 else pending
    return items
