"""What the vendor memory knows of a supplier, as features: how its name and address are written, and where its
total and date were found on a receipt a reviewer approved (the label of the total's row, how far down it was,
how the date is printed). Recognising the supplier is ocr.vendors' business; this module only remembers and
compares."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from rapidfuzz import fuzz

from ocr.evaluate import field_correct
from ocr.fields.amounts import total_candidates
from ocr.fields.candidates import MISSING, Candidate
from ocr.fields.dates import date_candidates, shape
from ocr.fields.document import Document
from ocr.fields.labels import label_of
from ocr.parse import normalize_text

FEATURES = ("memory_vendor", "memory_address", "memory_total_label", "memory_total_position", "memory_date_shape",
            "memory_date_position")


@dataclass(frozen=True)
class Remembered:
    """One supplier as an approved receipt showed it."""

    vendor: str
    address: str | None = None
    total_label: str | None = None  # the label tokens of the row its total was printed on: 'TOTAL INCL GST'
    total_position: float | None = None  # 0 (top) .. 1 (bottom)
    date_shape: str | None = None  # '99/99/9999'
    date_position: float | None = None


def _found(candidates: Sequence[Candidate], name: str, value: str | None) -> Candidate | None:
    """The printed candidate of the approved value, a labelled one rather than a repeat lower down."""
    matching = [c for c in candidates
                if value and c.features.get("derived", 0) == 0 and field_correct(name, value, c.value)]
    return max(matching, key=lambda c: (c.features.get("kind_total", 0), c.features.get("date_label", 0)), default=None)


def remember(doc: Document, values: Mapping[str, str], today) -> Remembered:
    """What a receipt whose values a reviewer approved says of its supplier."""
    total = _found(total_candidates(doc), "total", values.get("total"))
    date = _found(date_candidates(doc, "DMY", today), "date", values.get("date"))
    return Remembered(
        vendor=values.get("vendor", ""), address=values.get("vendor_address") or None,
        total_label=" ".join(label_of(doc.text(total.row, total.reading))) if total else None,
        total_position=doc.positions[total.row] if total else None,
        date_shape=shape(date.raw) if date else None, date_position=doc.positions[date.row] if date else None)


def _similar(a: str | None, b: str) -> float:
    return fuzz.ratio(normalize_text(a), normalize_text(b)) / 100 if a else MISSING


def with_memory(found: dict[str, list[Candidate]], doc: Document, memory: Remembered | None
                ) -> dict[str, list[Candidate]]:
    """Every candidate with the memory's features: how alike it is to what was approved for this supplier before
    (all MISSING without a memory, as for a supplier seen for the first time)."""
    def add(candidate: Candidate, values: dict[str, float]) -> Candidate:
        features = dict(candidate.features)
        features.update({name: MISSING for name in FEATURES})
        if memory is not None:
            features.update(values)
        return replace(candidate, features=features)

    def position(value: float | None, row: int) -> float:
        return abs(doc.positions[row] - value) if value is not None else MISSING

    m = memory or Remembered("")
    same_shape = (lambda c: 1.0 if shape(c.raw) == m.date_shape else 0.0) if m.date_shape else (lambda c: MISSING)
    return {
        "vendor": [add(c, {"memory_vendor": _similar(m.vendor, c.value)}) for c in found.get("vendor", [])],
        "vendor_address": [add(c, {"memory_address": _similar(m.address, c.value)})
                           for c in found.get("vendor_address", [])],
        "total": [add(c, {"memory_total_label": _similar(m.total_label, " ".join(label_of(c.raw))),
                          "memory_total_position": position(m.total_position, c.row)}) for c in found.get("total", [])],
        "date": [add(c, {"memory_date_shape": same_shape(c),
                         "memory_date_position": position(m.date_position, c.row)}) for c in found.get("date", [])],
    }
