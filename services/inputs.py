"""What people type, checked where it enters a service, with the same limits on every database backend.

PostgreSQL refuses text with NUL characters, strings longer than their column and integers beyond its column
type; SQLite stores almost anything. Checking here makes both behave the same, with an InputError that says
what is wrong and what to do, never a database error.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from errors import ErrorCode, InputError

MAX_ID = 2**31 - 1  # ids are PostgreSQL `integer` columns
AMOUNT_DIGITS = 12  # before the decimal point: up to 999,999,999,999
AMOUNT_DECIMALS = 4  # after it (unit prices of bulk goods); the stored text stays well within DecimalText's 32
FIELD_CHARS = 1000  # a corrected field value or a line item's description
NOTE_CHARS = 2000  # a rejection reason
SEARCH_CHARS = 200  # a search or filter typed on the documents page


def text(value: str, label: str, *, max_chars: int) -> str:
    """`value` unchanged if it can be stored on every backend, else InputError naming `label`."""
    if "\x00" in value:
        raise InputError(f"{label}: contains a NUL character (\\0), which cannot be stored; retype the value "
                         "(it often comes with text pasted from a PDF or a binary file)", code=ErrorCode.INVALID_TEXT)
    if len(value) > max_chars:
        raise InputError(f"{label}: {len(value)} characters is too long; shorten it to at most {max_chars}",
                         code=ErrorCode.TOO_LONG)
    return value


def fits_amount(amount: Decimal) -> bool:
    """Whether a finite decimal is within the stored range and precision."""
    exponent = amount.as_tuple().exponent
    return abs(amount) < Decimal(10) ** AMOUNT_DIGITS and isinstance(exponent, int) and -exponent <= AMOUNT_DECIMALS


def number(value: Any, label: str, *, noun: str, example: str) -> Decimal:
    """Typed text -> a Decimal within the stored range, or InputError naming `label` and what to write."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise InputError(f"{label}: '{value}' is not {noun}; write it like {example}", code=ErrorCode.INVALID_AMOUNT)
    if not fits_amount(amount):
        raise InputError(f"{label}: '{value}' is out of range; numbers have at most {AMOUNT_DIGITS} digits before "
                         f"the point and {AMOUNT_DECIMALS} after it", code=ErrorCode.OUT_OF_RANGE)
    return amount


def is_id(value: int) -> bool:
    """Whether `value` can be a row id (a link with a huge number finds nothing instead of failing)."""
    return 1 <= value <= MAX_ID
