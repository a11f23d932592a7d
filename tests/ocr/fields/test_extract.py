"""ocr.fields.extract with the shipped model: hand-built OCR words of receipts nobody trained on -> fields, line
items, flags and notes."""

from dataclasses import replace
from datetime import date

import hypothesis
import pytest

from ocr import catalogue
from ocr.config import ExtractionConfig
from ocr.fields import check_fields, extract_fields
from ocr.parse import a_year_after
from ocr.types import Field, PageResult, Word
from tests.dates import todays
from tests.ocr.words import page, receipt, values, words_at

CONFIG = ExtractionConfig(today=date(2024, 6, 1))


def test_clean_receipt_all_fields():
    extraction = extract_fields([receipt()], CONFIG)
    got = values(extraction)
    assert got["vendor"] == "GREENLEAF HARDWARE SDN BHD"
    assert got["vendor_address"] == "12 JALAN CEMPAKA, 47100 PUCHONG, SELANGOR"
    assert got["vendor_phone"] == "03-8061 2345" and got["vendor_tax_id"] == "001234567890"
    assert got["receipt_number"] == "INV-000482"
    assert (got["date"], got["time"]) == ("2024-03-14", "14:32")
    assert (got["subtotal"], got["tax"], got["rounding"], got["total"]) == ("40.50", "2.43", "0.02", "42.95")
    assert (got["currency"], got["payment_method"]) == ("MYR", "CASH")
    assert not [flag for flag in extraction.flags if flag.code.endswith("mismatch") or flag.code.startswith("missing")]
    [note] = [flag for flag in extraction.flags if flag.is_note]  # where the total's trust comes from
    assert note.code == "total_confirmed" and note.fields == ("total",)
    assert note.message == "the total 42.95 agrees with SUBTOTAL 40.50 + SST 6% 2.43 + ROUNDING 0.02"
    assert [(i.description, i.quantity, i.amount) for i in extraction.line_items] == [
        ("CABLE TIE 100PCS", 2, 12), ("SCREWDRIVER SET", 1, 18.5), ("WALL PLUG 6MM", 4, 10)]


def test_a_receipt_read_with_malay_words_only_still_gives_its_fields():
    got = values(extract_fields([receipt()], replace(CONFIG, locales=("ms",))))
    assert (got["date"], got["total"], got["vendor_phone"]) == ("2024-03-14", "42.95", "03-8061 2345")
    assert got["vendor"].startswith("GREENLEAF HARDWARE")


def test_the_extractor_emits_exactly_the_catalogues_fields():
    """receipt() prints every field: a catalogue entry without its extraction, or an extraction the catalogue does
    not list (the form would not show it, the CSV would drop it), fails here."""
    assert set(extract_fields([receipt()], CONFIG).fields) == set(catalogue.FIELDS.names)


def test_provenance_raw_box_page_confidence():
    total = extract_fields([receipt()], CONFIG).fields["total"]
    assert total.raw == "TOTAL 42.95" and total.page == 0 and total.box.top == 465
    assert 0.8 < total.confidence <= 1.0
    vendor = extract_fields([receipt()], CONFIG).fields["vendor"]
    assert vendor.box.top == 20 and vendor.box.bottom == 40  # the name's line, not the registration under it


@pytest.mark.parametrize("label", ["T0TAL", "TOTAI", "GRAND TOTAL", "AMOUNT DUE", "NETT TOTAL", "TOTAL INCL GST"])
def test_noisy_total_labels(label):
    assert values(extract_fields([receipt(total_label=label)], CONFIG))["total"] == "42.95"


@pytest.mark.parametrize("printed", ["42.95", "42,95", "RM 42.95", "RM42.95"])
def test_noisy_total_amounts(printed):
    assert values(extract_fields([receipt(total=printed)], CONFIG))["total"] == "42.95"


def test_a_total_nothing_confirms_is_less_sure_than_one_the_other_amounts_add_up_to():
    confirmed = extract_fields([receipt()], CONFIG).fields["total"].confidence
    alone = page([words_at(20, (60, "GREENLEAF HARDWARE SDN BHD")), words_at(60, (10, "DATE: 14/03/2024")),
                  words_at(100, (10, "CABLE TIE"), (400, "12.00")), words_at(125, (10, "WALL PLUG"), (400, "30.95")),
                  words_at(150, (10, "TOTAL"), (400, "42.95"), conf=0.4)])
    unconfirmed = extract_fields([alone], CONFIG).fields["total"]
    assert unconfirmed.value == "42.95" and unconfirmed.confidence < confirmed


def test_a_vendor_and_address_read_too_unsurely_are_left_empty_and_their_readings_quoted_in_flags():
    clean = receipt()
    extraction = extract_fields([clean], replace(CONFIG, unreadable_below=1.0))  # nothing is sure enough
    vendor, address = extraction.fields["vendor"], extraction.fields["vendor_address"]
    assert address.value == "" and "JALAN CEMPAKA" in address.raw and address.box is not None
    assert vendor.value == "" and vendor.raw == "GREENLEAF HARDWARE SDN BHD" and vendor.box is not None
    unreadable = {flag.fields: flag.message for flag in extraction.flags if flag.code == "unreadable"}
    assert set(unreadable) == {("vendor",), ("vendor_address",)} and "JALAN CEMPAKA" in unreadable[("vendor_address",)]
    assert extraction.fields["total"].value == "42.95"  # an amount is filled in however unsure
    filled = extract_fields([clean], replace(CONFIG, unreadable_below=0)).fields
    assert filled["vendor_address"].value.startswith("12 JALAN CEMPAKA")
    assert filled["vendor"].value == "GREENLEAF HARDWARE SDN BHD"


def test_missing_fields_are_flagged_and_default_currency_used():
    extraction = extract_fields([page([words_at(20, (10, "THANK YOU"))])], replace(CONFIG, default_currency="SGD"))
    codes = {flag.code for flag in extraction.flags}
    assert {"missing_date", "missing_total"} <= codes and extraction.fields["currency"].value == "SGD"


def test_no_pages_or_words():
    for pages in ([], [PageResult(0, 100, 100, ())]):
        extraction = extract_fields(pages, CONFIG)
        assert set(extraction.fields) == {"currency"}
        assert {flag.code for flag in extraction.flags} == {"missing_vendor", "missing_date", "missing_total"}


def test_multi_page_vendor_from_first_total_from_last():
    first = page([words_at(20, (60, "GREENLEAF HARDWARE SDN BHD")), words_at(45, (30, "12 JALAN CEMPAKA")),
                  words_at(90, (10, "DATE: 14/03/2024")), words_at(130, (10, "1 CABLE TIE"), (400, "12.00"))])
    last = replace(page([words_at(20, (10, "2 WALL PLUG"), (400, "10.00")), words_at(60, (10, "TOTAL"), (400, "22.00")),
                         words_at(85, (10, "CASH"), (400, "50.00")), words_at(110, (10, "CHANGE"), (400, "28.00"))]),
                   index=1)
    got = values(extract_fields([first, last], CONFIG))
    assert (got["vendor"], got["date"], got["total"]) == ("GREENLEAF HARDWARE SDN BHD", "2024-03-14", "22.00")
    assert extract_fields([first, last], CONFIG).fields["total"].page == 1


def test_the_second_reading_of_a_misread_line_gives_the_value():
    misread = receipt(total="42.9S")
    read_twice = replace(misread, words=tuple(
        replace(w, second="42.95", second_confidence=0.99) if w.text == "42.9S" else w for w in misread.words))
    assert values(extract_fields([read_twice], CONFIG))["total"] == "42.95"
    name = [replace(w, text="GREENLEAE", second="GREENLEAF", second_confidence=0.99) if w.text == "GREENLEAF" else
            replace(w, second=w.text, second_confidence=0.99) if w.box.top == 20 else w for w in receipt().words]
    assert values(extract_fields([replace(receipt(), words=tuple(name))], CONFIG))["vendor"] == \
        "GREENLEAF HARDWARE SDN BHD"


def test_words_of_another_kind_are_no_field():
    speck = [Word("|", 0.2, w.box) for w in receipt().words[:1]]
    assert "vendor" in extract_fields([replace(receipt(), words=tuple(speck) + receipt().words)], CONFIG).fields


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(todays())
def test_a_receipt_dated_today_is_read_and_not_flagged_whatever_today_is(today):
    config = ExtractionConfig(today=today)
    extraction = extract_fields([receipt(date_text=today.strftime("%d/%m/%Y"))], config)
    assert extraction.fields["date"].value == today.isoformat()
    assert "implausible_date" not in {flag.code for flag in extraction.flags}
    assert "implausible_date" in {flag.code for flag in check_fields(
        {"date": Field("date", a_year_after(today).isoformat(), "", 0.9)}, config=config)}


def test_a_labelled_subtotal_nothing_adds_up_with_is_flagged_and_a_rounding_is_not():
    rows = [words_at(20, (10, "KEDAI MAJU")), words_at(45, (10, "DATE 14/03/2024 14:32")),
            words_at(70, (10, "SUBTOTAL"), (300, "10.00")), words_at(95, (10, "ROUNDING"), (300, "0.01")),
            words_at(120, (10, "TOTAL"), (300, "12.00")), words_at(145, (10, "CASH"), (300, "12.00"))]
    extraction = extract_fields([page(rows)], CONFIG)
    assert (extraction.fields["subtotal"].value, extraction.fields["rounding"].value) == ("10.00", "0.01")
    weak = {name for flag in extraction.flags if flag.code == "low_confidence" for name in flag.fields}
    assert "subtotal" in weak and "rounding" not in weak
