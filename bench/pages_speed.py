"""Server-side render time of the Review and Documents pages over 10,000 documents (not a test).

Seeds a temporary data folder with documents as processing leaves them (fields, a page with text, line
items; no OCR, no images), then times AppTest runs of each page: p50 / p95 over --runs runs after one
warm-up. Target: p95 < 300 ms.

    .venv/bin/python bench/pages_speed.py [--documents 10000] [--runs 20]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VENDORS = ["KOPI CORNER", "GREENLEAF HARDWARE", "SUNRISE MART", "MEGA BOOKS", "TASTY BAKERY", "CITY PHARMACY"]
WORDS = "CABLE TIE SCREWDRIVER WALL PLUG NASI LEMAK TEH TARIK ROTI KAYA PAPER A4 PEN TAPE GLUE BATTERY".split()


def seed(settings, documents: int) -> None:
    from sqlalchemy import insert

    from storage.db import engine_for
    from storage.models import Document, Field, LineItem, Page

    rng = random.Random(6)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    statuses = ["needs_review"] * 5 + ["approved"] * 3 + ["failed", "rejected"]
    docs, pages, fields, items = [], [], [], []
    for i in range(1, documents + 1):
        created = start + timedelta(minutes=37 * i)
        status = rng.choice(statuses)
        confidence = {name: round(rng.uniform(0.3, 0.99), 3) for name in
                      ("vendor", "vendor_address", "date", "time", "receipt_number", "currency", "subtotal", "tax",
                       "total", "payment_method")}
        docs.append({"id": i, "sha256": hashlib.sha256(str(i).encode()).hexdigest(),
                     "original_name": f"scan-{i:05d}.jpg", "media_type": "image/jpeg", "size_bytes": 250_000,
                     "page_count": 1, "status": status,
                     "error_code": "bad_input" if status == "failed" else None,
                     "error_message": "The file is damaged." if status == "failed" else None,
                     "attempts": 1, "flags": [], "min_confidence": min(confidence.values()),
                     "mean_ocr_confidence": 0.8, "uploaded_by": rng.choice(["ann", "bob", "cid"]),
                     "created_at": created, "updated_at": created, "finished_at": created, "version": 1})
        vendor = rng.choice(VENDORS)
        subtotal = rng.randint(100, 50_000) / 100
        values = {"vendor": vendor, "vendor_address": f"{i} JALAN {rng.choice(WORDS)}",
                  "date": created.date().isoformat(), "time": "12:30", "receipt_number": f"INV-{i:06d}",
                  "currency": "MYR", "subtotal": f"{subtotal:.2f}",
                  "tax": f"{subtotal * 0.06:.2f}", "total": f"{subtotal * 1.06:.2f}", "payment_method": "CASH"}
        text = "\n".join([vendor, values["vendor_address"], *rng.sample(WORDS, 6), f"TOTAL {values['total']}"])
        pages.append({"document_id": i, "index": 0, "width": 1000, "height": 2400, "text": text, "trace": [],
                      "words": []})
        for n, (name, value) in enumerate(values.items()):
            fields.append({"document_id": i, "name": name, "value": value, "raw": value, "confidence": confidence[name],
                           "page_index": 0, "box": [50, 50 + 60 * n, 400, 40], "source": "ocr",
                           "updated_at": created})
        for position in range(3):
            items.append({"document_id": i, "position": position, "description": rng.choice(WORDS), "source": "ocr"})
    with engine_for(settings.sqlalchemy_url).begin() as connection:
        for model, rows in ((Document, docs), (Page, pages), (Field, fields), (LineItem, items)):
            for chunk in range(0, len(rows), 5000):
                connection.execute(insert(model), rows[chunk:chunk + 5000])


def time_page(path: str, runs: int, prepare=None) -> list[float]:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    app.switch_page(path).run()  # warm-up: imports, caches
    assert not app.exception, app.exception
    timings = []
    for _ in range(runs):
        if prepare:
            prepare(app)
        began = time.perf_counter()
        app.run()
        timings.append((time.perf_counter() - began) * 1000)
        assert not app.exception, app.exception
    return timings


def summary(timings: list[float]) -> str:
    q = statistics.quantiles(timings, n=100, method="inclusive")
    return f"p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms, max {max(timings):.0f} ms (n={len(timings)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DOCDESK_DATA_DIR"] = str(Path(folder) / "data")
        from settings import get_settings
        from storage import db

        get_settings.cache_clear()
        settings = get_settings()
        db.upgrade(settings)
        began = time.perf_counter()
        seed(settings, args.documents)
        print(f"seeded {args.documents} documents in {time.perf_counter() - began:.1f} s")

        def search(app) -> None:
            caption = app.caption[0].value if app.caption else ""  # "N documents · page 1 of M"
            assert app.text_input[0].value == "" or not caption.startswith(f"{args.documents} "), caption
            app.text_input[0].set_value(random.choice(WORDS).lower())

        results = {
            "review (head of the queue)": time_page("pages/review.py", args.runs),
            "documents (first page, no filter)": time_page("pages/documents.py", args.runs),
            "documents (full-text search)": time_page("pages/documents.py", args.runs, search),
        }
        for name, timings in results.items():
            print(f"{name:<36} {summary(timings)}")


if __name__ == "__main__":
    main()
