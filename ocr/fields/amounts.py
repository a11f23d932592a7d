"""Amount candidates: every amount printed on the receipt, in either reading, with what its label says it is and
how it agrees with the other amounts (subtotal + tax + rounding, cash - change); plus the totals those sums give."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations, product

from ocr.fields.candidates import MISSING, Candidate, reading_features
from ocr.fields.document import Document, words_of
from ocr.fields.labels import amount_kind, has_word, label_of
from ocr.parse import amounts_in, format_amount, rounding_in

KINDS = ("total", "subtotal", "tax", "rounding", "paid", "change", "summary")
CENT = Decimal("0.005")
ROUNDING_LIMIT = Decimal("0.10")  # a rounding adjustment is a few cents; more is a misread amount
DERIVED = {"sum": 1.0, "change": 2.0, "rounded": 3.0}


@dataclass(frozen=True)
class Amount:
    """One amount read on a row, and what its label (on the row, or alone on the row above) says it is."""

    value: Decimal
    raw: str
    row: int
    reading: str
    kind: str | None
    strength: float
    rightmost: bool
    on_row: int  # amounts on the row
    label_above: bool


def close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) < CENT


def _kind_of(doc: Document, i: int, reading: str, found: int) -> tuple[tuple[str, float] | None, bool]:
    kind = amount_kind(doc.text(i, reading), doc.lexicon)
    if kind is not None or i == 0:
        return kind, False
    above = doc.rows[i - 1]
    if above.page == doc.rows[i].page and not amounts_in(above.text) and found == 1:
        kind = amount_kind(above.text, doc.lexicon)  # 'TOTAL' alone, its amount on the row below
        if not _mangled_adjustment(above.text, kind):
            return kind, kind is not None
    return None, False


def _mangled_adjustment(text: str, kind: tuple[str, float] | None) -> list[tuple[Decimal, str]]:
    """A rounding row's adjustment in the forms only `rounding_in` reads ('-, 01', '(0.013'): its amount, so the row
    is not a bare label for the amount below it."""
    return rounding_in(text) if kind and kind[0] == "rounding" else []


def amounts_of(doc: Document) -> list[Amount]:
    """Every amount of every row in each reading; an amount both readings found is listed once, as Tesseract's."""
    found: list[Amount] = []
    for i in range(len(doc.rows)):
        seen: set[Decimal] = set()
        for reading in doc.readings(i):
            amounts = amounts_in(doc.text(i, reading))
            kind, label_above = _kind_of(doc, i, reading, len(amounts))
            amounts = amounts or _mangled_adjustment(doc.text(i, reading), kind)
            name, strength = kind if kind else (None, 0.0)
            for k, (value, raw) in enumerate(amounts):
                if value in seen:
                    continue
                seen.add(value)
                if name in ("paid", "change"):
                    value = abs(value)
                found.append(Amount(value, raw, i, reading, name, strength, k == len(amounts) - 1, len(amounts),
                                    label_above))
    return found


def _labelled(amounts: list[Amount], kind: str) -> list[Amount]:
    return [a for a in amounts if a.kind == kind and a.rightmost]


def _sums(amounts: list[Amount]) -> list[tuple[Decimal, tuple[Amount, ...], str]]:
    """The totals other amounts give: subtotal (+ tax) (+ rounding), a total with the rounding adjustment printed
    below it (the rounded total is often misread or not printed), and cash paid - change."""
    subtotals, taxes, roundings = (_labelled(amounts, kind)[:3] for kind in ("subtotal", "tax", "rounding"))
    paid, change = _labelled(amounts, "paid")[:3], _labelled(amounts, "change")[:2]
    sums = []
    for subtotal, tax, rounding in product(subtotals, [None, *taxes], [None, *roundings]):
        parts = tuple(p for p in (subtotal, tax, rounding) if p is not None)
        sums.append((sum((p.value for p in parts), Decimal(0)), parts, "sum"))
    for total, rounding in product(_labelled(amounts, "total")[:3], roundings):
        if rounding.row > total.row and 0 < abs(rounding.value) < ROUNDING_LIMIT:
            sums.append((total.value + rounding.value, (total, rounding), "rounded"))
    for cash, given in product(paid, change):
        if cash.value - given.value > 0:
            sums.append((cash.value - given.value, (cash, given), "change"))
    return sums


def _tax_rates(doc: Document) -> set[Decimal]:
    """Tax rates the receipt prints ('GST @6%', 'SR 6%'), other than 0%."""
    rates = {Decimal(m) for row in doc.rows for m in re.findall(r"(?<![\d.])(\d{1,2}(?:\.\d{1,2})?) ?%", row.text)}
    return {rate for rate in rates if 0 < rate < 30}


def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


@dataclass(frozen=True)
class _AddingUp:
    """A receipt's amounts in cents, as the adding-up features compare them (computed once per receipt)."""

    part_sums: list[tuple[frozenset[int], int]]  # sums of two or three labelled amounts, with the rows they add
    changes: set[int]  # the change printed
    printed: set[int]  # every positive amount printed


def _adding_up(amounts: list[Amount]) -> _AddingUp:
    """The sums of two or three labelled amounts on different rows (a tax summary's columns, subtotal + service +
    tax, ...), the change and every amount printed."""
    parts = sorted({(a.row, _cents(a.value)) for a in amounts
                    if a.value > 0 and a.rightmost and a.kind not in (None, "paid", "change")})
    found = []
    for size in (2, 3):
        for chosen in combinations(parts, size):
            rows = frozenset(r for r, _ in chosen)
            if len(rows) == size:
                found.append((rows, sum(c for _, c in chosen)))
    return _AddingUp(found, changes={_cents(a.value) for a in amounts if a.kind == "change" and a.value > 0},
                     printed={_cents(a.value) for a in amounts if a.value > 0})


def _items_runs(amounts: list[Amount], row: int) -> set[int]:
    """Sums (cents) of two or more consecutive unlabelled rows' last amounts above `row`: the line items."""
    last = sorted({a.row: _cents(a.value) for a in amounts if a.kind is None and a.rightmost and a.value > 0
                   and a.row < row}.items())
    values = [c for _, c in last]
    return {sum(values[i:j]) for i in range(len(values)) for j in range(i + 2, len(values) + 1)}


def _adding_features(value: Decimal, row: int, amounts: list[Amount], added: _AddingUp) -> dict[str, float]:
    """How the amount adds up with the others, whatever their labels say: labelled amounts above sum to it (a total
    is the sum of its parts), it is a part of a larger labelled amount below, the line items above sum to it; it
    plus a change printed is another amount printed (the cash handed over, however its label was read), or it less
    a change is (then it is the cash)."""
    cents, sums = _cents(value), added.part_sums
    below = {_cents(a.value) for a in amounts if a.row > row and a.kind not in (None, "paid", "change")}
    return {
        "sum_of_above": 1.0 if any(s == cents and max(rows) < row for rows, s in sums) else 0.0,
        "part_of_below": 1.0 if any(row in rows and s in below and s > cents for rows, s in sums) else 0.0,
        "items_sum": 1.0 if cents in _items_runs(amounts, row) else 0.0,
        "change_completes": 1.0 if any(cents + c in added.printed for c in added.changes) else 0.0,
        "less_change_printed": 1.0 if any(cents - c in added.printed for c in added.changes if c < cents) else 0.0,
    }


def _value_features(value: Decimal, amounts: list[Amount], sums: list, added: _AddingUp, rates: set[Decimal],
                    row: int) -> dict[str, float]:
    values = sorted({a.value for a in amounts if a.value > 0}, reverse=True)
    lower = [a.value for a in amounts if a.value > 0 and a.row >= row]
    taxes = [a.value for a in _labelled(amounts, "tax") if a.value > 0]
    paid = [a.value for a in _labelled(amounts, "paid")]
    subtotals = [a.value for a in _labelled(amounts, "subtotal")]
    return {
        **_adding_features(value, row, amounts, added),
        "log_value": math.log1p(float(value)),
        "value_rank": float(values.index(value)) if value in values else MISSING,
        "share_of_largest": float(value / values[0]) if values else MISSING,
        "largest_below": 1.0 if lower and value >= max(lower) else 0.0,
        "same_value_rows": float(len({a.row for a in amounts if a.value == value})),
        "same_value_totals": float(len({a.row for a in amounts if a.value == value and a.kind == "total"})),
        "sum_agrees": 1.0 if any(close(s, value) and kind == "sum" and len(parts) > 1 for s, parts, kind in sums)
        else 0.0,
        "subtotal_equal": 1.0 if any(close(s, value) for s in subtotals) else 0.0,
        "change_agrees": 1.0 if any(close(s, value) and kind == "change" for s, _, kind in sums) else 0.0,
        "rounding_agrees": 1.0 if any(close(s, value) and kind == "rounded" for s, _, kind in sums) else 0.0,
        "paid_equal": 1.0 if any(close(p, value) for p in paid) else 0.0,
        "above_paid": 1.0 if paid and value > max(paid) + CENT else 0.0,
        "tax_fits": 1.0 if any(abs(value * r / (100 + r) - t) <= Decimal("0.006") for t in taxes for r in rates)
        else 0.0,
    }


def _readings_differ(doc: Document, row: int) -> float:
    """Whether the two readings of a row read different amounts (one of them misread a digit)."""
    readings = list(doc.readings(row))
    if len(readings) < 2:
        return MISSING
    values = [[v for v, _ in amounts_in(doc.text(row, reading))] for reading in readings]
    return 0.0 if values[0] == values[1] else 1.0


def _row_features(doc: Document, amount: Amount, amounts: list[Amount]) -> dict[str, float]:
    tokens = label_of(doc.text(amount.row, amount.reading))
    lexicon = doc.lexicon
    later_totals = [a for a in amounts if a.kind == "total" and a.row > amount.row]
    roundings_below = [a for a in amounts if a.kind == "rounding" and a.row > amount.row and a.value != 0]
    features = {f"kind_{kind}": 1.0 if amount.kind == kind else 0.0 for kind in KINDS}
    features.update({
        "label_strength": amount.strength,
        "label_above": 1.0 if amount.label_above else 0.0,
        "label_tokens": float(len(tokens)),
        "strong_total_word": 1.0 if has_word(tokens, *lexicon.total_strong) else 0.0,
        "including": 1.0 if has_word(tokens, *lexicon.including) else 0.0,
        "excluding": 1.0 if has_word(tokens, *lexicon.excluding) else 0.0,
        "summary_words": 1.0 if has_word(tokens, *lexicon.summary) else 0.0,
        "percent_on_row": 1.0 if re.search(r"%|@", doc.text(amount.row, amount.reading)) else 0.0,
        "position": doc.positions[amount.row],
        "rows_below": float(len(doc.rows) - 1 - amount.row),
        "totals_below": float(len({a.row for a in later_totals})),
        "before_rounding": 1.0 if any(r.row < t.row for r in roundings_below for t in later_totals) else 0.0,
        "rightmost": 1.0 if amount.rightmost else 0.0,
        "readings_differ": _readings_differ(doc, amount.row),
        "amounts_on_row": float(amount.on_row),
        "height": doc.heights[amount.row],
    })
    return features


def _among_totals(doc: Document, amount: Amount, amounts: list[Amount]) -> dict[str, float]:
    """How this amount compares with the other amounts labelled as a total: the strongest label, the last, the
    largest? (A tax summary's 'Total 6% supplies' is a total too, but a weaker, earlier or smaller one.)"""
    totals = [a for a in amounts if a.kind == "total" and a.rightmost and a.value > 0]
    if amount.kind != "total" or not totals:
        return {"total_strength_rank": MISSING, "last_total": MISSING, "largest_total": MISSING,
                "share_of_largest_total": float(amount.value / max(a.value for a in totals)) if totals else MISSING}
    stronger = {a.row for a in totals if a.strength > amount.strength}
    summary = 1.0 if re.search(r"%|@", doc.text(amount.row, amount.reading)) or \
        has_word(label_of(doc.text(amount.row, amount.reading)), *doc.lexicon.summary) else 0.0
    return {"total_strength_rank": float(len(stronger)),
            "last_total": 1.0 if amount.row == max(a.row for a in totals) else 0.0,
            "largest_total": 1.0 if amount.value == max(a.value for a in totals) else 0.0,
            "share_of_largest_total": float(amount.value / max(a.value for a in totals)),
            "summary_total": summary}


def total_candidates(doc: Document) -> list[Candidate]:
    """Every positive amount as a possible total, and the totals the sums of other amounts give."""
    amounts = amounts_of(doc)
    sums, added, rates = _sums(amounts), _adding_up(amounts), _tax_rates(doc)
    candidates = []
    for amount in amounts:
        if amount.value <= 0:
            continue
        row = doc.rows[amount.row]
        words = words_of(row, amount.raw, amount.reading)
        features = _row_features(doc, amount, amounts)
        features.update(_among_totals(doc, amount, amounts))
        features.update(_value_features(amount.value, amounts, sums, added, rates, amount.row))
        features.update(reading_features(words, amount.reading))
        features["derived"] = 0.0
        candidates.append(Candidate("total", format_amount(amount.value), doc.text(amount.row, amount.reading), words,
                                    row.page, amount.row, amount.reading, features))
    printed = {c.value for c in candidates}
    for value, parts, kind in sums:
        if format_amount(value) in printed or value <= 0:
            continue
        printed.add(format_amount(value))
        last = max(parts, key=lambda p: p.row)
        words = tuple(w for p in parts for w in words_of(doc.rows[p.row], p.raw, p.reading))
        features = {name: MISSING for name in candidates[0].features} if candidates else {}
        features.update(_value_features(value, amounts, sums, added, rates, last.row))
        features.update({"derived": DERIVED[kind], "position": doc.positions[last.row]})
        raw = " - ".join(p.raw for p in parts) if kind == "change" else " + ".join(p.raw for p in parts)
        candidates.append(Candidate("total", format_amount(value), raw, words, doc.rows[last.row].page, last.row,
                                    last.reading, features))
    return candidates
