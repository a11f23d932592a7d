"""ocr.fields.items: line items between the header and the totals."""

from datetime import date
from decimal import Decimal

from ocr.config import ExtractionConfig
from ocr.fields.extract import document_of
from ocr.fields.items import line_items
from tests.ocr.words import page, words_at

CONFIG = ExtractionConfig(today=date(2024, 6, 1))


def test_items_with_quantities_unit_prices_and_descriptions_on_the_row_above():
    rows = [words_at(20, (10, "2 x 3.50"), (400, "7.00")),
            words_at(45, (10, "MINERAL WATER 1.5L")), words_at(70, (10, "9556001234567"), (400, "4.20")),
            words_at(95, (10, "BREAD"), (300, "1.50"), (400, "4.50")),
            words_at(120, (10, "SUBTOTAL"), (400, "15.70"))]
    items = line_items(document_of([page(rows)], CONFIG), 0, 4)
    assert [(i.description, i.quantity, i.unit_price, i.amount) for i in items] == [  # '2 x 3.50' names nothing
        ("MINERAL WATER 1.5L", None, None, Decimal("4.20")),
        ("BREAD", Decimal(3), Decimal("1.50"), Decimal("4.50"))]
    assert all(0 < item.confidence < 1 and item.box is not None for item in items)


def test_labelled_amounts_dates_and_headings_are_no_items():
    rows = [words_at(20, (10, "TAX INVOICE")), words_at(45, (10, "DATE: 14/03/2024"), (400, "1.00")),
            words_at(70, (10, "ROUNDING"), (400, "0.02")), words_at(95, (10, "CABLE TIE"), (400, "12.00"))]
    items = line_items(document_of([page(rows)], CONFIG), 0, 4)
    assert [(i.description, i.amount) for i in items] == [("CABLE TIE", Decimal("12.00"))]
