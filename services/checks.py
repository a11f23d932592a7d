"""The review's values and checks, in one place: what a reviewer's form value means (normalised to the
stored text within services.inputs' limits, or an InputError saying what to write), and which cross-field
checks a document fails as it now stands. Notes (where a value came from) travel with the flags but are no
failed checks. A value means what its field's kind (`Kind`, from ocr.catalogue) says: pages take the kinds
from here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from errors import ErrorCode, InputError
from ocr import catalogue
from ocr.catalogue import Kind
from ocr.types import Flag
from services import inputs
from settings import Settings
from storage.models import Document, Source


def normalise_value(name: str, value: Any) -> str | None:
    """A form value -> the stored text (ISO date, '12.50', 'MYR'), or InputError saying what is wrong."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    text = str(value).strip()
    if not text:
        return None
    spec = catalogue.FIELDS.get(name)
    kind = spec.kind if spec is not None else Kind.TEXT
    if kind is Kind.AMOUNT:
        amount = inputs.number(text, name, noun="an amount", example="12.50")
        return format(amount.quantize(Decimal("0.01")) if amount.as_tuple().exponent > -2 else amount, "f")
    if kind is Kind.DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise InputError(f"date: '{text}' is not a date; use YYYY-MM-DD", code=ErrorCode.INVALID_DATE) from None
    if kind is Kind.CURRENCY:
        if len(text) != 3 or not text.isalpha():
            raise InputError(f"currency: '{text}' is not a 3-letter code like MYR", code=ErrorCode.INVALID_CURRENCY)
        return text.upper()
    return inputs.text(text, name, max_chars=inputs.FIELD_CHARS)


def reading_as(name: str, text: str, settings: Settings) -> str:
    """Words a reviewer picked on the page, as a value of the field's kind: '42.95' from 'RM42.95', '2024-03-14' from
    'DATE: 14/03/2024', '14:32' from '2:32 PM', 'MYR' from 'RM'; the words themselves when they hold no such value
    (the form then says what to write)."""
    from ocr import parse

    text = " ".join(text.split())
    spec = catalogue.FIELDS.get(name)
    kind = spec.kind if spec is not None else Kind.TEXT
    config = settings.ocr_config().extraction
    if kind is Kind.AMOUNT:
        amounts = [value for value, _ in parse.amounts_in(text)] or [parse.parse_amount(text, require_decimals=False)]
        if amounts[-1] is not None:  # the last amount: 'TOTAL RM 42.95' after a label
            return parse.format_amount(amounts[-1])
    if kind is Kind.DATE and (dates := parse.dates_in(text, date_order=config.date_order)):
        return dates[0][0].isoformat()
    if kind is Kind.TIME and (times := parse.times_in(text)):
        return times[0][0]
    if kind is Kind.CURRENCY:
        codes = [parse.currency_of(word, default_currency=config.default_currency) for word in text.split()]
        return next((code for code in codes if code), text)
    return text


def item_decimal(value: Any, column: str, position: int) -> Decimal | None:
    """A line item's number from the form (None when empty), or InputError naming the line and column."""
    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return None
    return inputs.number(value, f"line {position + 1}: {column}", noun="a number", example="2.50")


# --- checks (one place) --------------------------------------------------------------------------

ARITHMETIC = ("total_mismatch", "items_mismatch")  # the flags of sums that do not add up


def approval_problems(document: Document) -> list[str]:
    """Why the document may not be approved as it stands: its sums do not add up (its flags, as last checked), or
    a required field is empty. A reviewer may still approve it by giving a reason (services.review.approve)."""
    problems = [flag.message for flag in document.flags if flag.code in ARITHMETIC]
    for name in catalogue.FIELDS.required:
        field = document.field(name)
        if field is None or not field.value:
            problems.append(f"{catalogue.FIELDS.get(name).label} is empty.")
    return problems


def recheck(document: Document, settings: Settings) -> list[Flag]:
    """The cross-field flags for the document as it now stands (ocr.fields.check_fields: totals that do
    not add up, odd dates, missing or weak fields). A value a reviewer entered counts as certain."""
    from ocr import types
    from ocr.fields import check_fields

    fields = {f.name: types.Field(f.name, f.value or "", f.raw or "",
                                  1.0 if f.source == Source.USER else (f.confidence or 0.0))
              for f in document.fields if f.value or f.raw and f.source != Source.USER}  # unreadable: still flagged
    items = [types.LineItem(i.description, i.quantity, i.unit_price, i.amount, i.confidence or 1.0)
             for i in document.line_items]
    return check_fields(fields, items, settings.ocr_config().extraction, notes=_notes_still_true(document))


def _notes_still_true(document: Document) -> list[Flag]:
    """Notes from processing (Flag.is_note) are no checks: kept until a reviewer changes the field they are about."""
    corrected = {f.name for f in document.fields if f.source == Source.USER}
    return [flag for flag in document.flags if flag.is_note and not corrected & set(flag.fields)]
