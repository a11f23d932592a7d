"""Reading what an export wrote, as a spreadsheet program would."""

from __future__ import annotations

import csv
import io


def csv_rows(data: bytes) -> list[dict[str, str]]:
    """The rows of an exported CSV (UTF-8, with or without the byte-order mark Excel wants)."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
