"""Hand-built OCR output: words with boxes as Tesseract would give them, for tests of what comes after it."""

from __future__ import annotations

from ocr.types import BoundingBox, PageResult, Word

CHAR_W, ROW_H = 12, 20


def words_at(y: int, *segments: tuple[int, str], conf: float = 0.95, line: int | None = None) -> list[Word]:
    """Words for text segments starting at pixel x on the row at pixel y (split on spaces)."""
    words = []
    for x, text in segments:
        for token in text.split():
            words.append(Word(token, conf, BoundingBox(x, y, CHAR_W * len(token), ROW_H), line=line or y))
            x += CHAR_W * (len(token) + 1)
    return words


def page(rows: list[list[Word]], width: int = 480, height: int | None = None, index: int = 0) -> PageResult:
    words = tuple(w for row in rows for w in row)
    return PageResult(index=index, width=width, height=height or max(w.box.bottom for w in words) + 40, words=words)


def receipt(total_label: str = "TOTAL", total: str = "42.95", date_text: str = "14/03/2024", conf: float = 0.95,
            extra: list[list[Word]] | None = None) -> PageResult:
    """A hardware shop's receipt as Tesseract reads a clean scan of it."""
    rows = [
        words_at(20, (60, "GREENLEAF HARDWARE SDN BHD")),
        words_at(45, (90, "(CO.REG: 123456-X)")),
        words_at(70, (30, "12 JALAN CEMPAKA, 47100 PUCHONG,")),
        words_at(95, (30, "SELANGOR")),
        words_at(120, (30, "TEL: 03-8061 2345")),
        words_at(145, (30, "GST ID: 001234567890")),
        words_at(190, (150, "TAX INVOICE")),
        words_at(215, (10, "INVOICE NO: INV-000482")),
        words_at(240, (10, f"DATE: {date_text}"), (250, "TIME: 14:32")),
        words_at(290, (10, "2 CABLE TIE 100PCS"), (400, "12.00")),
        words_at(315, (10, "1 SCREWDRIVER SET"), (400, "18.50")),
        words_at(340, (10, "4 WALL PLUG 6MM"), (400, "10.00")),
        words_at(390, (10, "SUBTOTAL"), (400, "40.50")),
        words_at(415, (10, "SST 6%"), (400, "2.43")),
        words_at(440, (10, "ROUNDING"), (400, "0.02")),
        words_at(465, (10, total_label), (400, total), conf=conf),
        words_at(490, (10, "CASH"), (400, "50.00")),
        words_at(515, (10, "CHANGE"), (400, "7.05")),
        words_at(560, (60, "THANK YOU, PLEASE COME AGAIN")),
    ]
    return page(rows + (extra or []))


def values(extraction) -> dict[str, str]:
    return {name: field.value for name, field in extraction.fields.items()}


# Invented shops (never a labelled folder's), for tests that train or replay on a handful of receipts.
SHOPS = [("GREENLEAF HARDWARE SDN BHD", "12 JALAN CEMPAKA, 47100 PUCHONG"),
         ("KEDAI RUNCIT MAJU JAYA", "NO 3 LORONG BAYAN, 11900 BAYAN LEPAS"),
         ("BLUE OCEAN CAFE", "LOT 8 JALAN PANTAI, 88000 KOTA KINABALU"),
         ("SINAR TERANG TRADING", "25 JALAN TUKANG, 40300 SHAH ALAM")]


def shop_receipt(shop: int, total: str, day: int, *, cash: str = "100.00") -> tuple[PageResult, dict[str, str]]:
    """A receipt of one of SHOPS with its own total and day, and the truth a labelled folder would give."""
    name, address = SHOPS[shop]
    change = f"{float(cash) - float(total):.2f}"
    phone = f"TEL: 0{shop + 3}-806{shop} 2345"
    rows = [words_at(20, (60, name)), words_at(45, (30, address)), words_at(70, (30, phone)),
            words_at(110, (10, f"DATE: {day:02d}/03/2024")),
            words_at(150, (10, "1 ITEM ONE"), (400, "5.00")),
            words_at(200, (10, "TOTAL"), (400, total)),
            words_at(225, (10, "CASH"), (400, cash)), words_at(250, (10, "CHANGE"), (400, change))]
    truth = {"vendor": name, "vendor_address": address, "date": f"{day:02d}/03/2024", "total": total}
    return page(rows), truth
