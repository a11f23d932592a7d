"""A labelled folder laid out like sroie-dev (img/, key/ with printed values) of generated receipts of invented shops,
for the tests that train and evaluate on folders."""

from __future__ import annotations

import json
from pathlib import Path

from tests import receipts
from tests.ocr.golden.make_golden import SHOPS, lines_of


def write_folder(root: Path, count: int = 6) -> Path:
    """`count` receipts of three invented shops, in turn, each with its key."""
    (root / "img").mkdir(parents=True)
    (root / "key").mkdir()
    for number in range(count):
        lines, truth = lines_of(SHOPS[number % 3], "TOTAL", f"{10 + number:02d}/03/2024", False, number)
        (root / "img" / f"{number:03d}.png").write_bytes(receipts.encode(receipts.render(lines).image, "PNG"))
        (root / "key" / f"{number:03d}.json").write_text(json.dumps(
            {"company": truth["vendor"], "address": truth["vendor_address"], "date": truth["date"],
             "total": truth["total"]}))
    return root
