"""CSV building for the accounting export: UTF-8 with a header, ISO dates, '.' decimals, and no cell a
spreadsheet would run as a formula.

A cell starting with = + - @, a tab or a carriage return is a formula to Excel, LibreOffice and Google
Sheets (CSV injection, OWASP), and so is one where such a sign follows blanks a spreadsheet skips (spaces,
a no-break space, a newline, a NUL, zero-width characters): it gets a leading single quote. Numeric columns
are the exception: a plain number there (including a negative one, -3.50) stays a number; anything else in
them is neutralised too.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from ocr import catalogue
from ocr.catalogue import Kind

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A formula sign after any run of blanks (Unicode whitespace, NUL, zero-width characters, a byte-order mark).
_HIDDEN_FORMULA = re.compile(r"[\s\x00\u200b-\u200d\u2060\ufeff]*[=+\-@]")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")

# A document row: who and what around the fields, which are the catalogue's (ocr.catalogue), in its order.
DOCUMENT_START = ("id", "file")
DOCUMENT_END = ("status", "uploaded_by", "uploaded_at", "reviewed_by", "review_note")
LINE_ITEM_COLUMNS = ("document_id", "position", "description", "quantity", "unit_price", "amount")
_NUMBERS = frozenset({"id", "document_id", "position", "quantity", "unit_price", "amount"})


def document_columns() -> tuple[str, ...]:
    return (*DOCUMENT_START, *(spec.column for spec in catalogue.FIELDS), *DOCUMENT_END)


def numeric_columns() -> frozenset[str]:
    """Columns whose plain numbers stay numbers: ids, positions, line-item figures and the amount fields."""
    return _NUMBERS | {spec.column for spec in catalogue.FIELDS if spec.kind is Kind.AMOUNT}


def is_plain_number(text: str) -> bool:
    return PLAIN_NUMBER.fullmatch(text) is not None


def neutralise(value: Any, *, numeric: bool = False) -> str:
    """The cell text for `value`: '' for None, decimals with '.', and a leading quote on formula-like text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value)
    if numeric and is_plain_number(text):
        return text
    if looks_like_formula(text):
        return "'" + text
    return text


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could run `text` as a formula (see the module's docstring)."""
    return text.startswith(FORMULA_STARTS) or _HIDDEN_FORMULA.match(text) is not None


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    """Rows (dicts) -> CSV bytes with exactly `columns`, every cell neutralised, all cells as text."""
    numeric = numeric_columns()
    cells = [[neutralise(row.get(column), numeric=column in numeric) for column in columns] for row in rows]
    frame = pd.DataFrame(cells, columns=list(columns), dtype=object)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8")


def documents_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    return to_csv(rows, document_columns())


def line_items_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    return to_csv(rows, LINE_ITEM_COLUMNS)
