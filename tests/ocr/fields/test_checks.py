"""ocr.fields.checks: the cross-field checks a reviewer sees, and an address too unsure to fill in."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from ocr.config import ExtractionConfig
from ocr.fields.checks import check_fields, filled_if_readable
from ocr.types import CONFIRMED, Field, Flag, LineItem

CONFIG = ExtractionConfig(today=date(2024, 6, 1))


def f(name, value, confidence=0.9):
    return Field(name, value, value, confidence)


def test_check_total_mismatch():
    fields = {n: f(n, v) for n, v in [("subtotal", "10.00"), ("tax", "0.60"), ("total", "11.60"),
                                      ("date", "2023-01-01"), ("vendor", "X")]}
    [flag] = check_fields(fields, config=CONFIG)
    assert flag.code == "total_mismatch" and flag.fields == ("subtotal", "tax", "total")
    fields["total"] = f("total", "10.60")
    assert check_fields(fields, config=CONFIG) == []


def test_a_failed_sum_names_the_parts_when_a_note_confirms_the_total():
    fields = {n: f(n, v) for n, v in [("subtotal", "10.00"), ("tax", "0.60"), ("total", "11.60"),
                                      ("date", "2023-01-01"), ("vendor", "X")]}
    note = Flag(CONFIRMED, "the total 11.60 agrees with CASH 20.00 - CHANGE 8.40", ("total",))
    mismatch, kept = check_fields(fields, config=CONFIG, notes=[note])
    assert mismatch.fields == ("subtotal", "tax") and kept == note


def test_check_items_mismatch():
    fields = {n: f(n, v) for n, v in [("subtotal", "10.00"), ("total", "10.00"), ("date", "2023-01-01"),
                                      ("vendor", "X")]}
    items = [LineItem("A", Decimal(1), Decimal("4.00"), Decimal("4.00"), 0.9),
             LineItem("B", Decimal(1), Decimal("5.00"), Decimal("5.00"), 0.9)]
    [flag] = check_fields(fields, items, CONFIG)
    assert flag.code == "items_mismatch" and flag.fields == ("line_items",)


@pytest.mark.parametrize("total, tax, rounding, flagged", [
    ("9.00", None, None, False), ("9.01", None, "0.01", False), ("9.55", "0.54", "0.01", False),
    ("9.05", None, "0.01", True)])
def test_line_items_are_priced_before_rounding_and_an_added_tax(total, tax, rounding, flagged):
    fields = {n: f(n, v) for n, v in [("total", total), ("tax", tax), ("rounding", rounding), ("date", "2023-01-01"),
                                      ("vendor", "X")] if v is not None}
    items = [LineItem("A", Decimal(1), Decimal("4.00"), Decimal("4.00"), 0.9),
             LineItem("B", Decimal(1), Decimal("5.00"), Decimal("5.00"), 0.9)]
    assert any(x.code == "items_mismatch" for x in check_fields(fields, items, CONFIG)) == flagged


def test_check_dates_missing_and_low_confidence():
    fields = {"date": f("date", "1999-12-31"), "total": f("total", "1.00", confidence=0.2)}
    flags = check_fields(fields, config=CONFIG)
    assert [x.code for x in flags] == ["implausible_date", "missing_vendor", "low_confidence"]
    assert flags[1].message == "no vendor found on the receipt."
    assert [x.code for x in check_fields({"date": f("date", "2024-06-02")}, config=CONFIG)][0] == "implausible_date"


def test_the_low_confidence_threshold_is_the_configs():
    fields = {"vendor": f("vendor", "X", 0.75), "date": f("date", "2023-01-01"), "total": f("total", "1.00")}
    assert check_fields(fields, config=replace(CONFIG, low_confidence=0.7)) == []
    [flag] = check_fields(fields, config=replace(CONFIG, low_confidence=0.8))
    assert flag.code == "low_confidence" and flag.fields == ("vendor",)


def test_fields_read_by_their_label_have_their_own_threshold():
    """The learned fields' confidence is a calibrated probability; a receipt number's is the OCR's times how sure its
    label makes it, on another scale."""
    fields = {"vendor": f("vendor", "X", 0.75), "receipt_number": f("receipt_number", "INV-1", 0.75),
              "date": f("date", "2023-01-01"), "total": f("total", "1.00")}
    [flag] = check_fields(fields, config=replace(CONFIG, low_confidence=0.8, low_label_confidence=0.7))
    assert flag.fields == ("vendor",)
    [flag] = check_fields(fields, config=replace(CONFIG, low_confidence=0.7, low_label_confidence=0.8))
    assert flag.fields == ("receipt_number",)


def test_a_field_with_a_reading_but_no_value_is_flagged_unreadable_not_low():
    fields = {"vendor": Field("vendor", "SHOP", "SHOP", 0.9),
              "vendor_address": Field("vendor_address", "", "l2 JA1AN C{ [ ~ee.", 0.1)}
    flags = check_fields(fields, config=CONFIG)
    [unreadable] = [flag for flag in flags if flag.code == "unreadable"]
    assert unreadable.fields == ("vendor_address",) and "l2 JA1AN" in unreadable.message
    assert unreadable.message.startswith("Address not filled in")  # the form's label, as reviewers see it
    assert not [flag for flag in flags if flag.code == "low_confidence"]


def test_only_a_vendor_or_address_read_too_unsurely_is_left_empty():
    unsure = Field("vendor_address", "12 JALAN X", "12 JALAN X", 0.2)
    assert filled_if_readable(unsure, 0.25).value == "" and filled_if_readable(unsure, 0.25).raw == "12 JALAN X"
    assert filled_if_readable(unsure, 0.0) == unsure
    assert filled_if_readable(replace(unsure, name="vendor"), 0.25).value == ""
    for name, value in (("total", "12.50"), ("date", "2024-03-14")):
        field = Field(name, value, value, 0.2)
        assert filled_if_readable(field, 0.25) == field


def test_the_uncertain_fields_are_named_by_their_form_labels():
    """The message is shown to reviewers beside the form: 'Address', not 'vendor_address'."""
    fields = {"vendor": f("vendor", "X"), "vendor_address": f("vendor_address", "1 JALAN", 0.5),
              "receipt_number": f("receipt_number", "INV-1", 0.5), "date": f("date", "2023-01-01"),
              "total": f("total", "1.00")}
    [flag] = check_fields(fields, config=CONFIG)
    assert flag.message == "check these fields, the reading is uncertain: Address, Receipt number"
    assert flag.fields == ("vendor_address", "receipt_number")
