import csv
import io
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.export import (
    document_columns,
    documents_csv,
    is_plain_number,
    looks_like_formula,
    neutralise,
    numeric_columns,
    to_csv,
)

# The header accounting imports: the catalogue's fields (ocr.catalogue) between who and what about the document.
HEADER = ["id", "file", "vendor", "vendor_address", "vendor_phone", "vendor_tax_id", "date", "time", "receipt_number",
          "currency", "subtotal", "tax", "rounding", "total", "payment_method", "status", "uploaded_by", "uploaded_at",
          "reviewed_by", "review_note", "approval_override"]


def read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_formula_cells_get_a_leading_quote():
    for text in ("=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"):
        assert neutralise(text) == "'" + text
    assert neutralise("GREENLEAF") == "GREENLEAF"
    assert neutralise(None) == ""


def test_a_formula_after_blanks_a_spreadsheet_skips_is_neutralised_too():
    for blank in (" ", "  ", "\u00a0", "\n", "\r\n", "\x00", "\u200b", "\ufeff", " \u00a0\n"):
        for sign in "=+-@":
            text = f"{blank}{sign}HYPERLINK(\"http://x\")"
            assert neutralise(text) == "'" + text, repr(text)
    assert neutralise(" 12 JALAN CEMPAKA") == " 12 JALAN CEMPAKA"  # blanks before plain text are left alone
    assert neutralise(" -3.50", numeric=True) == "' -3.50"  # not a plain number


def test_negative_numbers_stay_numbers_only_in_numeric_columns():
    assert neutralise("-3.50", numeric=True) == "-3.50"
    assert neutralise(Decimal("-0.02"), numeric=True) == "-0.02"
    assert neutralise("-3.50") == "'-3.50"  # a receipt number is text
    assert neutralise("-1+cmd", numeric=True) == "'-1+cmd"


def test_csv_is_utf8_with_header_iso_dates_and_point_decimals():
    data = documents_csv([{"id": 7, "vendor": "Café Ümlaut", "date": "2024-03-14", "total": Decimal("1234.50"),
                           "rounding": Decimal("-0.02"), "receipt_number": "=1+1"}])
    rows = read(data)
    assert rows[0] == HEADER == list(document_columns())
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["id"], row["vendor"], row["date"], row["total"], row["rounding"]) == (
        "7", "Café Ümlaut", "2024-03-14", "1234.50", "-0.02")
    assert row["receipt_number"] == "'=1+1"


cells = st.one_of(st.none(), st.text(), st.decimals(allow_nan=False, allow_infinity=False, places=2),
                  st.sampled_from(["=1", "+1", "-1", "@a", "\t=1", "\r=1", "-1.5", "=cmd|' /C calc'!A0", " =1",
                                   "\u00a0+1", "\n-1", "\x00@a", "\u200b=1"]),
                  st.builds(lambda blanks, sign, rest: blanks + sign + rest,
                            st.text(alphabet=" \u00a0\n\r\t\x00\u2003\u200b\ufeff", max_size=3),
                            st.sampled_from("=+-@"), st.text(max_size=5)))


@settings(deadline=None)  # pandas per example: slow on a busy machine, and speed is not what this checks
@given(st.lists(st.fixed_dictionaries({c: cells for c in ("id", "vendor", "total", "rounding", "receipt_number")}),
                max_size=5))
def test_no_cell_starts_a_formula_unless_it_is_a_number_in_a_numeric_column(rows):
    columns = ("id", "vendor", "total", "rounding", "receipt_number")
    parsed = read(to_csv(rows, columns))
    assert parsed[0] == list(columns)
    for line in parsed[1:]:
        for column, cell in zip(columns, line, strict=True):
            if looks_like_formula(cell):
                assert column in numeric_columns() and is_plain_number(cell), (column, cell)


def test_the_amount_fields_and_the_line_item_figures_are_the_numeric_columns():
    assert numeric_columns() == {"id", "document_id", "position", "subtotal", "tax", "rounding", "total", "quantity",
                                 "unit_price", "amount"}
