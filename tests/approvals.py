"""Approved documents to retrain the field ranker on: generated receipts of invented shops, read once per test run
by the real pipeline (Tesseract and the second reader), stored as processing would store them and approved with the
values a reviewer gave.

The reviewers here keep one house rule the shipped model knows nothing of: they book the amount before tax, so every
approved `total` is the receipt's printed SUBTOTAL. A ranker trained on their approvals can learn that (the label of
the row an amount is on is one of its features); the shipped model picks the printed TOTAL.
"""

from __future__ import annotations

import functools
from datetime import datetime

from ocr.config import OcrConfig
from ocr.pipeline import read_document
from ocr.types import PageResult
from storage import ranker_runs
from storage.blobs import BlobStore
from storage.db import session_factory
from storage.models import Status
from tests import receipts
from tests.ocr.golden.make_golden import Shop, lines_of
from tests.seeding import make_document

TOWNS = ["47100 PUCHONG, SELANGOR", "11900 BAYAN LEPAS, PENANG", "88000 KOTA KINABALU, SABAH", "40300 SHAH ALAM",
         "81100 JOHOR BAHRU", "50400 KUALA LUMPUR", "30100 IPOH, PERAK", "75200 MELAKA", "25000 KUANTAN, PAHANG",
         "93100 KUCHING, SARAWAK", "70000 SEREMBAN", "05000 ALOR SETAR, KEDAH", "20000 KUALA TERENGGANU"]
NAMES = ["ANGGERIK HARDWARE SDN BHD", "BUNGA RAYA TRADING", "CAHAYA BOOKSTORE", "DELIMA CAFE", "EMAS MINI MARKET",
         "FAJAR STATIONERY SDN BHD", "GEMILANG ELECTRICAL", "HARMONI BAKERY", "INDAH PHARMACY SDN BHD",
         "JAYA MURNI ENTERPRISE", "KENANGA RESTORAN", "LESTARI FURNITURE", "MUTIARA TEXTILES SDN BHD"]
SHOPS = [Shop(name, (f"{12 + 7 * i} JALAN {name.split()[0]},", TOWNS[i]), f"0{3 + i % 6}-{5510 + 37 * i} {1000 + i}")
         for i, name in enumerate(NAMES)]
PER_SHOP = 3
APPROVED_SHOPS = 11  # 33 approved documents; SHOPS[11:] are new shops for uploads


def receipt_lines(shop: int, number: int) -> tuple[list[str], dict[str, str]]:
    """A receipt of SHOPS[shop] and the values a reviewer here approves for it (date as ISO, total = the
    subtotal)."""
    day = 1 + (number * 5) % 27
    lines, printed = lines_of(SHOPS[shop], "TOTAL", f"{day:02d}/0{1 + number % 9}/2024", False, number)
    subtotal = next(line.split()[-1] for line in lines if line.startswith("SUBTOTAL"))
    iso = datetime.strptime(printed["date"], "%d/%m/%Y").date().isoformat()
    return lines, {"vendor": printed["vendor"], "vendor_address": printed["vendor_address"], "date": iso,
                   "total": subtotal, "printed_total": printed["total"]}


def receipt_png(shop: int, number: int) -> bytes:
    return receipts.encode(receipts.render(receipt_lines(shop, number)[0]).image, "PNG")


@functools.cache
def readings(shops: int = APPROVED_SHOPS) -> tuple[tuple[tuple[PageResult, ...], dict[str, str]], ...]:
    """PER_SHOP receipts of each of the first `shops` shops, read by the real pipeline (once per test run)."""
    read = []
    for shop in range(shops):
        for k in range(PER_SHOP):
            number = shop * PER_SHOP + k
            pages = read_document(receipt_png(shop, number), config=OcrConfig(), keep_images=False).pages
            read.append((pages, receipt_lines(shop, number)[1]))
    return tuple(read)


def approve_all(session, items, *, relabel=None) -> list[int]:
    """Store each (pages, values) as an approved document, with the values `relabel(values)` gives (default: as the
    reviewers here approve them); returns the ids."""
    ids = []
    for pages, values in items:
        approved = relabel(values) if relabel else {k: v for k, v in values.items() if k != "printed_total"}
        document = make_document(session, status=Status.APPROVED, fields=approved, text=pages[0].text, items=False)
        page = document.pages[0]
        page.width, page.height, page.words = pages[0].width, pages[0].height, [w.as_row() for w in pages[0].words]
        ids.append(document.id)
    session.flush()
    return ids


def as_printed(values: dict[str, str]) -> dict[str, str]:
    """Approved as printed: the total is the printed TOTAL (no house rule)."""
    return {**{k: v for k, v in values.items() if k != "printed_total"}, "total": values["printed_total"]}


def adopt_file(settings, data: bytes | None) -> int:
    """A run whose model file is `data` (None: a blob that is not there), made the active one; its id."""
    with session_factory(settings).begin() as session:
        run = ranker_runs.add_run(session, None, [])
        run.state = "adopted"
        run.model_key = BlobStore(settings.blob_dir).put(data) if data is not None else "0" * 64
        ranker_runs.make_active(session, run)
        return run.id
