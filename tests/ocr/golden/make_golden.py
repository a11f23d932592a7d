"""Golden files for the extractor: generated receipts (invented shops, varied labels, layouts and wear) read once by
the real pipeline (Tesseract and the second reader), stored as words, with their truth and what the extractor made
of them. tests/ocr/test_golden.py re-extracts the stored words in seconds, without Tesseract or any dataset, so a
refactor that changes a single field shows.

    .venv/bin/python -m tests.ocr.golden.make_golden            # after retraining the model, or changing a family

Reading is deterministic for the same Tesseract and model files; the words are stored, so the test does not read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ocr.config import ExtractionConfig, OcrConfig
from ocr.fields import extract_fields
from ocr.labelled import page_to_json
from ocr.pipeline import read_document
from tests import receipts

FOLDER = Path(__file__).parent
TODAY = date(2024, 6, 1)
CONFIG = ExtractionConfig(today=TODAY)


@dataclass(frozen=True)
class Shop:
    name: str
    address: tuple[str, ...]
    phone: str


SHOPS = [
    Shop("GREENLEAF HARDWARE SDN BHD", ("12 JALAN CEMPAKA,", "47100 PUCHONG, SELANGOR"), "03-8061 2345"),
    Shop("KEDAI RUNCIT MAJU JAYA", ("NO 3 LORONG BAYAN,", "11900 BAYAN LEPAS, PENANG"), "04-642 1188"),
    Shop("BLUE OCEAN CAFE", ("LOT 8, JALAN PANTAI,", "88000 KOTA KINABALU, SABAH"), "088-231 456"),
    Shop("SINAR TERANG TRADING", ("25 JALAN TUKANG 16/4,", "40300 SHAH ALAM"), "03-5510 9921"),
    Shop("RESTORAN SRI MAWAR", ("G-1, JALAN MAWAR 2,", "TAMAN MAWAR, 81100 JOHOR BAHRU"), "07-355 0192"),
    Shop("TINTA BOOKS & STATIONERY", ("UNIT 5, PLAZA DAMAI,", "50400 KUALA LUMPUR"), "03-4042 7788"),
]
# (shop, total label, how the date is printed, tax summary?, wear)
LAYOUTS = [
    (0, "TOTAL", "14/03/2024", False, None), (1, "JUMLAH", "02-01-2024", False, "blur"),
    (2, "GRAND TOTAL", "05 Feb 2024", True, None), (3, "AMOUNT DUE", "2024-04-30", False, "noise"),
    (4, "TOTAL (INCL. SST)", "21/05/2024", True, "faint"), (5, "NETT TOTAL", "09/01/2024", False, "skew"),
    (0, "TOTAL", "28/02/2024", False, "noise"), (2, "TOTAL", "11/03/2024", True, "blur"),
]


def lines_of(shop: Shop, label: str, printed_date: str, summary: bool, number: int) -> tuple[list[str], dict]:
    items = [("MINERAL WATER 500ML", 2, "1.20"), ("NASI LEMAK SPECIAL", 1, "8.90"), ("A4 PAPER 80G", 3, "12.50")]
    subtotal = sum(qty * float(price) for _, qty, price in items[:2 + number % 2])
    tax = round(subtotal * 0.06, 2)
    total = round(subtotal + tax, 2)
    lines = [shop.name, *shop.address, f"TEL: {shop.phone}", "", "TAX INVOICE", f"INVOICE NO: CS{1000 + number}",
             f"DATE: {printed_date}  TIME: 1{number}:2{number}", ""]
    lines += [f"{qty} {name:<22} {qty * float(price):>8.2f}" for name, qty, price in items[:2 + number % 2]]
    lines += ["", f"SUBTOTAL {subtotal:>22.2f}", f"SST 6% {tax:>24.2f}", f"{label} {total:>{30 - len(label)}.2f}"]
    cash = 100.0 if total < 100 else 200.0
    lines += [f"CASH {cash:>25.2f}", f"CHANGE {cash - total:>23.2f}", ""]
    if summary:
        lines += ["GST SUMMARY      AMOUNT    TAX", f"SR @ 6%       {subtotal:>8.2f} {tax:>6.2f}"]
    lines += ["THANK YOU, PLEASE COME AGAIN"]
    truth = {"vendor": shop.name, "vendor_address": " ".join(shop.address), "date": printed_date,
             "total": f"{total:.2f}"}
    return lines, truth


def worn(image, wear: str | None):
    if wear == "blur":
        return receipts.blur(image, 3)
    if wear == "noise":
        return receipts.add_noise(image, 18, seed=1)
    if wear == "faint":
        return receipts.faint(image, 150)
    if wear == "skew":
        return receipts.rotate(image, 1.5)
    return image


def make(number: int, layout: tuple) -> dict:
    shop_index, label, printed_date, summary, wear = layout
    lines, truth = lines_of(SHOPS[shop_index], label, printed_date, summary, number)
    image = worn(receipts.render(lines).image, wear)
    reading = read_document(receipts.encode(image, "PNG"), config=OcrConfig(), keep_images=False)
    extraction = extract_fields(reading.pages, CONFIG)
    return {"name": f"receipt-{number:02d}", "wear": wear, "truth": truth,
            "pages": [page_to_json(page) for page in reading.pages],
            "expected": {name: field.value for name, field in extraction.fields.items()},
            "flags": sorted(flag.code for flag in extraction.flags)}


def main() -> None:
    for number, layout in enumerate(LAYOUTS):
        golden = make(number, layout)
        path = FOLDER / f"{golden['name']}.json"
        path.write_text(json.dumps(golden, ensure_ascii=False) + "\n", encoding="utf-8")
        print(path.name, {k: golden["expected"].get(k) for k in golden["truth"]})


if __name__ == "__main__":
    main()
