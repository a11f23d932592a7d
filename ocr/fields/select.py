"""Cross-field selection: the ranked candidates of each field made into one consistent set. The address is not
the vendor's own lines; the subtotal, tax and rounding are the amounts that add up to the chosen total (else the
best labelled of each); a total other amounts confirm carries a note naming them."""

from __future__ import annotations

from decimal import Decimal
from itertools import product
from typing import Sequence

from ocr.fields.amounts import ROUNDING_LIMIT, Amount, close
from ocr.fields.candidates import Candidate
from ocr.fields.document import Document, words_of
from ocr.parse import format_amount
from ocr.types import CONFIRMED, Flag

PARTS = ("subtotal", "tax", "rounding")
PART_CONFIDENCE = 0.9  # an amount that adds up to the chosen total
# The best labelled amount of its kind, when none adds up: how often it read as on the transcription of the same
# receipt (bench/label_confidence.py: rounding 91 of 96, tax 91 of 115, subtotal 18 of 28); 0.6 for a kind unmeasured.
LABEL_CONFIDENCE = {"rounding": 0.95, "tax": 0.79, "subtotal": 0.64}
UNMEASURED_LABEL_CONFIDENCE = 0.6


def address_apart(ranked: Sequence[Candidate], vendor: Candidate | None) -> Candidate | None:
    """The best address that shares no line with the chosen vendor."""
    taken = set(vendor.rows) if vendor else set()
    return next((c for c in ranked if not taken.intersection(c.rows)), None)


def _candidate(doc: Document, name: str, amount: Amount, confidence: float) -> Candidate:
    row = doc.rows[amount.row]
    return Candidate(name, format_amount(amount.value), doc.text(amount.row, amount.reading),
                     words_of(row, amount.raw, amount.reading), row.page, amount.row, amount.reading,
                     confidence=confidence)


def _labelled(amounts: Sequence[Amount], kind: str) -> list[Amount]:
    """Amounts of a kind, strongest label first, then the lowest on the page."""
    return sorted((a for a in amounts if a.kind == kind and a.rightmost), key=lambda a: (-a.strength, -a.row))


def _by_kind(amounts: Sequence[Amount]) -> dict[str, list[Amount]]:
    """The best three labelled amounts of each part's kind and of the totals. A rounding is an adjustment of a few
    cents: a row labelled so that holds more is the rounded total."""
    labelled = {kind: _labelled(amounts, kind)[:3] for kind in (*PARTS, "total")}
    labelled["rounding"] = [a for a in _labelled(amounts, "rounding") if abs(a.value) < ROUNDING_LIMIT][:3]
    return labelled


def _adding_up(total: Candidate | None, labelled: dict[str, list[Amount]]) -> dict[str, Amount]:
    """The subtotal (+ tax) (+ rounding) that add up to the total, if some do; else the (non-zero) rounding that
    takes another total printed above it to this one."""
    if total is None:
        return {}
    value = Decimal(total.value)
    for subtotal, tax, rounding in product(labelled["subtotal"], [None, *labelled["tax"]],
                                           [None, *labelled["rounding"]]):
        parts = {"subtotal": subtotal, "tax": tax, "rounding": rounding}
        if close(sum((p.value for p in parts.values() if p), Decimal(0)), value):
            return {name: part for name, part in parts.items() if part}
    for before, rounding in product(labelled["total"], labelled["rounding"]):
        if rounding.value and rounding.row > before.row and close(before.value + rounding.value, value):
            return {"rounding": rounding}
    return {}


def parts_of(doc: Document, total: Candidate | None, amounts: Sequence[Amount]) -> dict[str, Candidate]:
    """Subtotal, tax and rounding: those that add up to the total, else the best labelled of each kind."""
    labelled = _by_kind(amounts)
    chosen = {name: _candidate(doc, name, part, PART_CONFIDENCE) for name, part in _adding_up(total, labelled).items()}
    for kind in PARTS:
        if kind not in chosen and labelled[kind]:
            chosen[kind] = _candidate(doc, kind, labelled[kind][0],
                                      LABEL_CONFIDENCE.get(kind, UNMEASURED_LABEL_CONFIDENCE))
    return chosen


def confirmation(doc: Document, total: Candidate | None, amounts: Sequence[Amount]) -> Flag | None:
    """A note when other amounts read separately agree with the total: subtotal + tax + rounding, cash - change.
    (A total that is such a sum, read nowhere as itself, confirms nothing.)"""
    if total is None or total.features.get("derived", 0):
        return None
    value = Decimal(total.value)
    parts = [p for p in _adding_up(total, _by_kind(amounts)).values() if p.row != total.row]
    def printed(amount: Amount) -> str:
        return doc.text(amount.row, amount.reading)

    support = [" + ".join(printed(p) for p in parts)] if len(parts) > 1 else []
    paid = [a for a in amounts if a.kind == "paid" and a.row != total.row]
    change = [a for a in amounts if a.kind == "change"]
    support += [f"{printed(p)} - {printed(c)}" for p, c in product(paid, change) if close(p.value - c.value, value)]
    if not support:
        return None
    return Flag(CONFIRMED, f"the total {total.value} agrees with {support[0]}", ("total",))
