"""Cross-field checks a reviewer should see: totals that do not add up, line items that do not, odd dates, missing
or unsure fields; and the notes on where values came from."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Sequence

from ocr import catalogue
from ocr.config import ExtractionConfig
from ocr.parse import EARLIEST_RECEIPT_DATE
from ocr.types import CONFIRMED, LINE_ITEMS, Field, Flag, LineItem


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) < Decimal("0.005")


def check_fields(fields: dict[str, Field], line_items: Sequence[LineItem] = (),
                 config: ExtractionConfig = ExtractionConfig(), *, notes: Sequence[Flag] = ()) -> list[Flag]:
    """Cross-field checks a reviewer should see: totals that do not add up, odd dates, missing or weak fields;
    followed by the `notes` (NOTE_CODES) on where values came from. A total a note confirms is left out of the
    fields a failed sum names: the subtotal, tax or rounding read is what is off."""
    flags: list[Flag] = []
    confirmed = {name for note in notes if note.code == CONFIRMED for name in note.fields}
    today = config.today or date.today()

    def amount(name: str) -> Decimal | None:
        field = fields.get(name)
        try:
            return Decimal(field.value) if field and field.value else None
        except ArithmeticError:
            return None

    total, subtotal, tax, rounding = (amount(n) for n in ("total", "subtotal", "tax", "rounding"))
    if total is not None and subtotal is not None:
        expected = subtotal + (tax or 0) + (rounding or 0)
        inclusive = subtotal + (rounding or 0)
        if not _close(expected, total) and not _close(inclusive, total):
            named = [n for n in ("subtotal", "tax", "rounding", "total") if n in fields]
            flags.append(Flag("total_mismatch", f"subtotal {subtotal} + tax {tax or 0} + rounding {rounding or 0} "
                                                f"= {expected}, but the total reads {total}.",
                              tuple(n for n in named if n not in confirmed) or tuple(named)))
    if line_items and (subtotal is not None or total is not None):
        amounts = [item.amount for item in line_items if item.amount is not None]
        items_sum = sum(amounts, Decimal(0))
        targets = [v for v in (subtotal, total) if v is not None]
        if total is not None:  # items are priced before the rounding, and before a tax added at the end
            targets += [total - (rounding or 0), total - (rounding or 0) - (tax or 0)]
        if amounts and not any(_close(items_sum, t) for t in targets):
            target = subtotal if subtotal is not None else total
            # the line items are named, not the amount: a total that is itself unsure is flagged on its own
            flags.append(Flag("items_mismatch", f"line items add up to {items_sum}, not {target}.", (LINE_ITEMS,)))
    if "date" in fields:
        try:
            value = date.fromisoformat(fields["date"].value)
        except ValueError:
            value = None
        if value is None or value > today or value < EARLIEST_RECEIPT_DATE:
            flags.append(Flag("implausible_date", f"date {fields['date'].value} is in the future or before 2000.",
                              ("date",)))
    for name in catalogue.FIELDS.required:
        if name not in fields:
            flags.append(Flag(f"missing_{name}", f"no {_label(name).lower()} found on the receipt.", (name,)))
    unreadable = tuple(name for name, field in fields.items() if not field.value and field.raw)
    for name in unreadable:
        reading = _shortened(fields[name].raw)
        flags.append(Flag("unreadable", f"{_label(name)} not filled in: it read as \"{reading}\", too unsure "
                                        "to correct; type it from the image.", (name,)))
    weak = tuple(name for name, field in fields.items()
                 if field.confidence < config.flag_below(name) and name not in unreadable)
    if weak:
        labels = ", ".join(_label(name) for name in weak)
        flags.append(Flag("low_confidence", f"check these fields, the reading is uncertain: {labels}", weak))
    return flags + [note for note in notes if note.is_note]


def _label(name: str) -> str:
    """The form's label of a field ('Address' for vendor_address): the flags are read beside the form."""
    spec = catalogue.FIELDS.get(name)
    return spec.label if spec else name.replace("_", " ")


def _shortened(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


UNREADABLE_WHEN_UNSURE = ("vendor", "vendor_address")  # names a reviewer types from the image rather than mends


def filled_if_readable(field: Field, unreadable_below: float) -> Field:
    """The vendor or address, its value left empty when it was read too unsurely to be worth correcting; other
    fields as read."""
    unsure = field.name in UNREADABLE_WHEN_UNSURE and field.confidence < unreadable_below
    return replace(field, value="") if unsure else field
