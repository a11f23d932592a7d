"""The export's files: CSV (UTF-8 with a header, optionally with a byte-order mark so Excel reads it as
UTF-8; ISO dates, '.' decimals) and XLSX (typed: dates as dates, amounts as numbers), with no cell a
spreadsheet would run as a formula.

A cell starting with = + - @, a tab or a carriage return is a formula to Excel, LibreOffice and Google
Sheets (CSV injection, OWASP), and so is one where such a sign follows blanks a spreadsheet skips (spaces,
a no-break space, a newline, a NUL, zero-width characters): it gets a leading single quote. Numeric columns
are the exception: a plain number there (including a negative one, -3.50) stays a number; anything else in
them is neutralised too. In XLSX a text cell is a string (never a formula) marked "quote prefix", so that
editing it in Excel does not turn it into one either; the text itself is kept as it is.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ocr import catalogue
from ocr.catalogue import Kind

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A formula sign after any run of blanks (Unicode whitespace, NUL, zero-width characters, a byte-order mark).
_HIDDEN_FORMULA = re.compile(r"[\s\x00\u200b-\u200d\u2060\ufeff]*[=+\-@]")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")

# A document row: who and what around the fields, which are the catalogue's (ocr.catalogue), in its order.
DOCUMENT_START = ("id", "file")
DOCUMENT_END = ("status", "uploaded_by", "uploaded_at", "reviewed_by", "review_note", "approval_override")
LINE_ITEM_COLUMNS = ("document_id", "position", "description", "quantity", "unit_price", "amount")
_NUMBERS = frozenset({"id", "document_id", "position", "quantity", "unit_price", "amount"})
_TIMESTAMPS = frozenset({"uploaded_at", "at"})  # ISO date-times (UTC)
UTF8_BOM = b"\xef\xbb\xbf"


def document_columns() -> tuple[str, ...]:
    return (*DOCUMENT_START, *(spec.column for spec in catalogue.FIELDS), *DOCUMENT_END)


def numeric_columns() -> frozenset[str]:
    """Columns whose plain numbers stay numbers: ids, positions, line-item figures and the amount fields."""
    return _NUMBERS | {spec.column for spec in catalogue.FIELDS if spec.kind is Kind.AMOUNT}


def date_columns() -> frozenset[str]:
    return frozenset(spec.column for spec in catalogue.FIELDS if spec.kind is Kind.DATE)


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


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], *, bom: bool = False) -> bytes:
    """Rows (dicts) -> CSV bytes with exactly `columns`, every cell neutralised, all cells as text; `bom` puts
    UTF-8's byte-order mark first (Excel then reads accents right)."""
    numeric = numeric_columns()
    cells = [[neutralise(row.get(column), numeric=column in numeric) for column in columns] for row in rows]
    frame = pd.DataFrame(cells, columns=list(columns), dtype=object)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\r\n")
    return (UTF8_BOM if bom else b"") + buffer.getvalue().encode("utf-8")


def documents_csv(rows: Iterable[Mapping[str, Any]], *, bom: bool = False) -> bytes:
    return to_csv(rows, document_columns(), bom=bom)


def line_items_csv(rows: Iterable[Mapping[str, Any]], *, bom: bool = False) -> bytes:
    return to_csv(rows, LINE_ITEM_COLUMNS, bom=bom)


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[str]
    rows: Sequence[Mapping[str, Any]]


def to_xlsx(sheets: Iterable[Sheet]) -> bytes:
    """An XLSX workbook, one worksheet per sheet: a bold, frozen header row, then typed cells (xlsx_cell)."""
    book = Workbook()
    book.remove(book.active)
    numeric, dates = numeric_columns(), date_columns()
    for sheet in sheets:
        worksheet = book.create_sheet(sheet.title)
        worksheet.append(list(sheet.columns))
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        worksheet.freeze_panes = "A2"
        widths = [len(column) for column in sheet.columns]
        for row_number, row in enumerate(sheet.rows, start=2):
            for column_number, column in enumerate(sheet.columns, start=1):
                value, number_format = xlsx_cell(row.get(column), column, numeric=numeric, dates=dates)
                cell = worksheet.cell(row=row_number, column=column_number, value=value)
                if isinstance(value, str):
                    cell.data_type, cell.quotePrefix = "s", looks_like_formula(value)
                if number_format:
                    cell.number_format = number_format
                widths[column_number - 1] = max(widths[column_number - 1], len(str(value or "")))
        for column_number, width in enumerate(widths, start=1):
            worksheet.column_dimensions[get_column_letter(column_number)].width = min(width + 2, 50)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_cell(value: Any, column: str, *, numeric: frozenset[str], dates: frozenset[str]) -> tuple[Any, str | None]:
    """(cell value, number format): a plain number in a numeric column as a number, an ISO date in a date
    column as a date, a timestamp as a date-time (UTC, without zone: Excel has none); anything else as text
    (characters XML cannot hold replaced by U+FFFD)."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    if column in numeric and is_plain_number(text):
        decimals = len(text.partition(".")[2])
        return Decimal(text), "0" + ("." + "0" * decimals if decimals else "")
    if column in dates:
        try:
            return date.fromisoformat(text), "yyyy-mm-dd"
        except ValueError:
            pass
    if column in _TIMESTAMPS:
        try:
            return datetime.fromisoformat(text).replace(tzinfo=None), "yyyy-mm-dd hh:mm:ss"
        except ValueError:
            pass
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text), None
