"""Field extraction from literal OCR output (hand-built words with boxes), checks, and one real OCR round trip."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import hypothesis
import pytest

from ocr.catalogue import FIELDS
from ocr.config import ExtractionConfig
from ocr.fields import amount_kind, check_fields, date_lookalikes, extract_fields
from ocr.parse import a_year_after
from ocr.types import BoundingBox, Field, LineItem, PageResult, Word
from tests.dates import todays

TODAY = date(2024, 6, 1)
CONFIG = ExtractionConfig(today=TODAY)
CHAR_W, ROW_H = 12, 20


def words_at(y: int, *segments: tuple[int, str], conf: float = 0.95, line: int | None = None) -> list[Word]:
    """Words for text segments starting at pixel x on the row at pixel y (split on spaces)."""
    words = []
    for x, text in segments:
        for token in text.split():
            words.append(Word(token, conf, BoundingBox(x, y, CHAR_W * len(token), ROW_H), line=line or y))
            x += CHAR_W * (len(token) + 1)
    return words


def page(rows: list[list[Word]], width: int = 480, height: int | None = None) -> PageResult:
    words = tuple(w for row in rows for w in row)
    return PageResult(index=0, width=width, height=height or max(w.box.bottom for w in words) + 40, words=words)


def receipt(total_label: str = "TOTAL", total: str = "42.95", date_text: str = "14/03/2024", conf: float = 0.95,
            extra: list[list[Word]] | None = None) -> PageResult:
    rows = [
        words_at(20, (60, "GREENLEAF HARDWARE SDN BHD")),
        words_at(45, (90, "(CO.REG: 123456-X)")),
        words_at(70, (30, "12 JALAN CEMPAKA, 47100 PUCHONG,")),
        words_at(95, (30, "SELANGOR")),
        words_at(120, (30, "TEL: 03-8061 2345")),
        words_at(145, (30, "GST ID: 001234567890")),
        words_at(190, (150, "TAX INVOICE")),
        words_at(215, (10, "INVOICE NO: INV-000482")),
        words_at(240, (10, f"DATE: {date_text}"), (250, "TIME: 14:32")),
        words_at(290, (10, "2 CABLE TIE 100PCS"), (400, "12.00")),
        words_at(315, (10, "1 SCREWDRIVER SET"), (400, "18.50")),
        words_at(340, (10, "4 WALL PLUG 6MM"), (400, "10.00")),
        words_at(390, (10, "SUBTOTAL"), (400, "40.50")),
        words_at(415, (10, "SST 6%"), (400, "2.43")),
        words_at(440, (10, "ROUNDING"), (400, "0.02")),
        words_at(465, (10, total_label), (400, total), conf=conf),
        words_at(490, (10, "CASH"), (400, "50.00")),
        words_at(515, (10, "CHANGE"), (400, "7.05")),
        words_at(560, (60, "THANK YOU, PLEASE COME AGAIN")),
    ]
    return page(rows + (extra or []))


def values(extraction):
    return {name: field.value for name, field in extraction.fields.items()}


def test_clean_receipt_all_fields():
    extraction = extract_fields([receipt()], CONFIG)
    got = values(extraction)
    assert got["vendor"] == "GREENLEAF HARDWARE SDN BHD"
    assert got["vendor_address"] == "12 JALAN CEMPAKA, 47100 PUCHONG, SELANGOR"
    assert got["vendor_phone"] == "03-8061 2345"
    assert got["vendor_tax_id"] == "001234567890"
    assert got["receipt_number"] == "INV-000482"
    assert got["date"] == "2024-03-14"
    assert got["time"] == "14:32"
    assert (got["subtotal"], got["tax"], got["rounding"], got["total"]) == ("40.50", "2.43", "0.02", "42.95")
    assert got["currency"] == "MYR"
    assert got["payment_method"] == "CASH"
    [note] = extraction.flags  # no check failed; a note says where the total's trust comes from
    assert note.code == "total_confirmed" and note.fields == ("total",)
    assert note.message == "the total 42.95 agrees with SUBTOTAL 40.50; SST 6% 2.43; ROUNDING 0.02"
    assert [(i.description, i.quantity, i.amount) for i in extraction.line_items] == [
        ("CABLE TIE 100PCS", Decimal(2), Decimal("12.00")), ("SCREWDRIVER SET", Decimal(1), Decimal("18.50")),
        ("WALL PLUG 6MM", Decimal(4), Decimal("10.00"))]
    assert extraction.line_items[2].unit_price == Decimal("2.50")


def test_the_extractor_emits_exactly_the_catalogues_fields():
    """Every field the extractor can emit is in the catalogue (so the form shows it and the CSV exports it); a
    catalogue entry without its extraction fails here too. The receipt prints every field."""
    extraction = extract_fields([receipt()], CONFIG)
    assert sorted(extraction.fields) == sorted(FIELDS.names)
    assert {name for flag in extraction.flags for name in flag.fields} <= set(FIELDS.names)


def test_the_catalogues_required_fields_are_flagged_when_missing():
    assert [f.code for f in check_fields({}, config=CONFIG)] == ["missing_vendor", "missing_date", "missing_total"]


def test_provenance_raw_box_page_confidence():
    field = extract_fields([receipt()], CONFIG).fields["total"]
    assert field.raw == "TOTAL 42.95"
    assert field.page == 0
    assert field.box.top == 465 and field.box.left <= 400 and field.box.right >= 400 + 5 * CHAR_W
    assert 0.8 < field.confidence <= 1.0


def test_a_weakly_read_total_the_other_amounts_add_up_to_is_not_flagged():
    """40.50 + 2.43 + 0.02 = 42.95 (and 50.00 - 7.05): for that to hold by chance, both readings would have had
    to be misread alike, so the total is trusted, and so are the amounts it agrees with."""
    extraction = extract_fields([receipt(conf=0.3)], CONFIG)
    assert extraction.fields["total"].value == "42.95" and extraction.fields["total"].confidence > 0.9
    assert not any(f.code == "low_confidence" for f in extraction.flags)


def test_low_ocr_confidence_lowers_field_confidence_and_flags_unless_cash_minus_change_vouches_for_it():
    rows = [words_at(20, (60, "GREENLEAF HARDWARE SDN BHD")), words_at(60, (10, "DATE: 14/03/2024")),
            words_at(120, (10, "TOTAL"), (400, "42.95"), conf=0.3),
            words_at(145, (10, "CASH"), (400, "50.00")), words_at(170, (10, "CHANGE"), (400, "7.05"))]
    alone = extract_fields([page(rows[:3])], CONFIG)
    vouched = extract_fields([page(rows)], CONFIG)
    assert alone.fields["total"].value == vouched.fields["total"].value == "42.95"
    assert alone.fields["total"].confidence < 0.6 < 0.9 < vouched.fields["total"].confidence
    assert any(f.code == "low_confidence" and "total" in f.fields for f in alone.flags)
    assert [(f.code, f.message) for f in vouched.flags if "total" in f.fields] == [
        ("total_confirmed", "the total 42.95 agrees with CASH 50.00; CHANGE 7.05")]


def test_a_sum_that_fails_names_the_parts_when_cash_minus_change_confirms_the_total():
    rows = [words_at(20, (60, "GREENLEAF HARDWARE SDN BHD")), words_at(60, (10, "DATE: 14/03/2024")),
            words_at(100, (10, "SUBTOTAL"), (400, "40.50")), words_at(125, (10, "SST 6%"), (400, "2.43")),
            words_at(150, (10, "TOTAL"), (400, "45.00")),
            words_at(175, (10, "CASH"), (400, "50.00")), words_at(200, (10, "CHANGE"), (400, "5.00"))]
    extraction = extract_fields([page(rows)], CONFIG)
    assert extraction.fields["total"].value == "45.00"
    [mismatch] = [f for f in extraction.flags if f.code == "total_mismatch"]
    assert mismatch.fields == ("subtotal", "tax")
    unconfirmed = extract_fields([page(rows[:5])], CONFIG)  # no cash and change to vouch for the total
    assert [f.fields for f in unconfirmed.flags if f.code == "total_mismatch"] == [("subtotal", "tax", "total")]


def test_the_low_confidence_threshold_is_a_parameter():
    """The pipeline passes its config's low_confidence (DOCDESK_LOW_CONFIDENCE) here."""
    confident = extract_fields([receipt()], CONFIG)
    assert not any(f.code == "low_confidence" for f in confident.flags)
    strict = extract_fields([receipt()], replace(CONFIG, low_confidence=0.999))
    assert any(f.code == "low_confidence" and "total" in f.fields for f in strict.flags)


@pytest.mark.parametrize("label", ["T0TAL", "TOTAI", "GRAND TOTAL", "AMOUNT DUE", "NETT TOTAL", "TOTAL INCL GST",
                                   "Tota1", "TOTAL (INCLUSIVE OF GST)", "TOTAL ROUNDED"])
def test_noisy_total_labels(label):
    assert values(extract_fields([receipt(total_label=label)], CONFIG))["total"] == "42.95"


@pytest.mark.parametrize("printed, expected", [("42.95", "42.95"), ("42,95", "42.95"), ("RM 42.95", "42.95"),
                                               ("4Z.95", "42.95"), ("42. 95", "42.95")])
def test_noisy_total_amounts(printed, expected):
    assert values(extract_fields([receipt(total=printed)], CONFIG))["total"] == expected


def test_label_and_amount_split_into_separate_tesseract_lines_share_a_row():
    rows = [words_at(20, (60, "SHOP ENTERPRISE")), words_at(60, (10, "DATE: 01/02/2023")),
            words_at(100, (10, "TOTAL"), line=1) + words_at(103, (400, "1O.5O"), line=2)]
    assert values(extract_fields([page(rows)], CONFIG))["total"] == "10.50"


def test_amount_on_the_row_below_the_label():
    rows = [words_at(20, (60, "SHOP ENTERPRISE")), words_at(60, (10, "DATE: 01/02/2023")),
            words_at(100, (10, "AMOUNT DUE")), words_at(125, (400, "S5.00"))]
    assert values(extract_fields([page(rows)], CONFIG))["total"] == "55.00"


def test_tax_summary_rows_do_not_win_over_the_total():
    summary = [words_at(600, (10, "GST SUMMARY AMOUNT TAX")), words_at(625, (10, "TOTAL"), (250, "40.52"),
                                                                      (400, "2.43"))]
    assert values(extract_fields([receipt(extra=summary)], CONFIG))["total"] == "42.95"


def test_total_from_cash_minus_change_when_no_total_label():
    rows = [words_at(20, (60, "KEDAI RUNCIT ENTERPRISE")), words_at(60, (10, "15/05/2019")),
            words_at(100, (10, "NASI LEMAK"), (400, "6.50")), words_at(140, (10, "CASH"), (400, "10.00")),
            words_at(165, (10, "CHANGE"), (400, "3.50"))]
    extraction = extract_fields([page(rows)], CONFIG)
    assert values(extraction)["total"] == "6.50"
    assert extraction.fields["total"].confidence < 0.7


def test_next_candidate_used_when_the_first_does_not_add_up():
    # two TOTAL rows; only the upper one agrees with subtotal + tax
    rows = [words_at(20, (60, "CAFE ENTERPRISE")), words_at(60, (10, "DATE 01/02/2023")),
            words_at(100, (10, "SUBTOTAL"), (400, "10.00")), words_at(125, (10, "GST"), (400, "0.60")),
            words_at(150, (10, "TOTAL"), (400, "10.60")), words_at(200, (10, "TOTAL"), (400, "1O0.00"))]
    assert values(extract_fields([page(rows)], CONFIG))["total"] == "10.60"


@pytest.mark.parametrize("text, order, expected", [
    ("DATE: 12-01-19", "DMY", "2019-01-12"), ("Date: 2019-01-12", "DMY", "2019-01-12"),
    ("12 Jan 2019 10:15", "DMY", "2019-01-12"), ("Jan 12, 2019", "DMY", "2019-01-12"),
    ("20180304", "DMY", "2018-03-04"), ("OCT 3, 2016", "DMY", "2016-10-03"), ("03/04/2019", "MDY", "2019-03-04"),
    ("DATE: 1O/O3/2018", "DMY", "2018-03-10"),
])
def test_dates(text, order, expected):
    rows = [words_at(20, (60, "SHOP ENTERPRISE")), words_at(60, (10, text)),
            words_at(100, (10, "TOTAL"), (400, "5.00"))]
    assert values(extract_fields([page(rows)], replace(CONFIG, date_order=order)))["date"] == expected


def test_date_next_to_a_label_beats_an_expiry_date():
    rows = [words_at(20, (60, "SHOP ENTERPRISE")), words_at(60, (10, "VALID UNTIL 01/01/2023")),
            words_at(85, (10, "DATE: 05/06/2022")), words_at(120, (10, "TOTAL"), (400, "5.00"))]
    assert values(extract_fields([page(rows)], CONFIG))["date"] == "2022-06-05"


def test_text_that_looks_like_a_date_but_does_not_parse_is_found_for_a_second_reading():
    number_then_label = "INV NO: K4-TB-0012345 Date: "
    rows = [words_at(20, (30, "KEDAI RUNCIT MAJU")),
            words_at(60, (10, number_then_label + "17/84/2016")),
            words_at(100, (10, "Doc No. KS00024680 Date: 1580362016")),
            words_at(140, (10, "39 Mar 2016 11:05")),
            words_at(160, (10, "CE : 4816239047 Oq/Mar/e0l6 09:12:41")),
            words_at(180, (10, "TOTAL 12.50 CASH 20.00"))]
    found = date_lookalikes([page(rows)], limit=5)
    assert [(p, box.top) for p, box in found] == [(0, 60), (0, 100), (0, 140), (0, 160)]
    assert found[0][1].left == 10 + CHAR_W * len(number_then_label)  # just the date's word, not the number's
    assert date_lookalikes([page(rows[:1] + rows[5:])]) == []  # amounts and names are no dates


def test_future_date_is_flagged():
    extraction = extract_fields([receipt(date_text="14/03/2025")], CONFIG)
    assert extraction.fields["date"].value == "2025-03-14"
    assert "implausible_date" in {f.code for f in extraction.flags}


def test_vendor_spanning_two_rows_and_registration_number_dropped():
    rows = [words_at(20, (60, "AIK SENG HARDWARE ENTERPRISE")), words_at(45, (80, "(TAMAN JAYA) SDN BHD (12345-K)")),
            words_at(70, (30, "NO. 3, JALAN SATU, 40000 SHAH ALAM")), words_at(95, (30, "TEL: 03-5555 1234")),
            words_at(140, (10, "DATE 01/02/2023")), words_at(180, (10, "TOTAL"), (400, "5.00"))]
    got = values(extract_fields([page(rows)], CONFIG))
    assert got["vendor"] == "AIK SENG HARDWARE ENTERPRISE (TAMAN JAYA) SDN BHD"
    assert got["vendor_address"] == "NO. 3, JALAN SATU, 40000 SHAH ALAM"


def test_vendor_ocr_slip_in_legal_suffix_is_normalized():
    rows = [words_at(20, (60, "ACME TRADING SON BHD")), words_at(60, (10, "01/02/2023")),
            words_at(100, (10, "TOTAL"), (400, "5.00"))]
    assert values(extract_fields([page(rows)], CONFIG))["vendor"] == "ACME TRADING SDN BHD"


@pytest.mark.parametrize("printed", ["ACME TRADING SUN' BHO", 'ACME TRADING SON" BHL', "ACME TRADING SLI BHD"])
def test_more_ocr_slips_in_sdn_bhd(printed):
    rows = [words_at(20, (60, printed)), words_at(60, (10, "01/02/2023")), words_at(100, (10, "TOTAL"), (400, "5.00"))]
    assert values(extract_fields([page(rows)], CONFIG))["vendor"] == "ACME TRADING SDN BHD"


def test_a_name_over_three_rows_held_together_by_its_brackets():
    fields = values(extract_fields([header("GREENLEAF HARDWARE", "ENTERPRISE (TAMAN", "JAYA) SDN BHD", "(123456-A)",
                                          "NO. 5-G, JALAN CEMPAKA, 40400 SHAH ALAM")], CONFIG))
    assert fields["vendor"] == "GREENLEAF HARDWARE ENTERPRISE (TAMAN JAYA) SDN BHD"
    assert fields["vendor_address"] == "NO. 5-G, JALAN CEMPAKA, 40400 SHAH ALAM"


def test_the_end_of_a_name_whose_start_was_not_read_is_no_vendor():
    fields = values(extract_fields([header("GREENLEAF HARDWARE", "~~ ,, ~~", "JAYA) SDN BHD",
                                          "NO. 5-G, JALAN CEMPAKA, 40400 SHAH ALAM")], CONFIG))
    assert fields["vendor"] == "GREENLEAF HARDWARE"


def header(*lines: str) -> PageResult:
    """A receipt whose first rows are `lines`, then a date and a total."""
    rows = [words_at(20 + 25 * i, (30, line)) for i, line in enumerate(lines)]
    y = 40 + 25 * len(lines)
    return page(rows + [words_at(y, (10, "DATE: 14/03/2024")), words_at(y + 200, (10, "TOTAL"), (400, "9.90"))],
                height=y + 900)


def test_a_registration_number_whose_bracket_was_read_as_a_brace_does_not_hide_the_name():
    fields = values(extract_fields([header("12 MINI MART S/B {204517-K)", "LOT 5, JALAN CEMPAKA,", "47100 PUCHONG")],
                                   CONFIG))
    assert fields["vendor"] == "12 MINI MART S/B"


def test_a_title_whose_dot_was_read_as_a_comma_gets_its_dot_back():
    fields = values(extract_fields([header("MR, TOY (M) SDN BHD", "LOT 5, JALAN CEMPAKA,", "47100 PUCHONG")],
                                   CONFIG))
    assert fields["vendor"] == "MR. TOY (M) SDN BHD"
    fields = values(extract_fields([header("MRS LEE'S KITCHEN, PUCHONG", "LOT 5, JALAN CEMPAKA,", "47100 PUCHONG")],
                                   CONFIG))
    assert fields["vendor"].startswith("MRS LEE'S KITCHEN")  # a comma later in the name stays


def test_an_unlabelled_phone_is_never_the_tax_number_printed_in_the_header():
    fields = values(extract_fields([header("KEDAI RUNCIT MAJU", "LOT 5, JALAN CEMPAKA,", "47100 PUCHONG",
                                          "SST Reg No. : 000123456789")], CONFIG))
    assert "vendor_phone" not in fields and fields["vendor_tax_id"] == "000123456789"
    fields = values(extract_fields([header("KEDAI RUNCIT MAJU", "LOT 5, JALAN CEMPAKA,", "47100 PUCHONG",
                                          "03-5566 7788")], CONFIG))
    assert fields["vendor_phone"] == "03-5566 7788"
    fields = values(extract_fields([header("KEDAI RUNCIT MAJU", "LOT 5, JALAN CEMPAKA,", "47100 PUCHONG",
                                          "000123456789")], CONFIG))
    assert "vendor_phone" not in fields  # no phone number starts 00 after its trunk 0


def test_a_company_number_row_is_not_the_vendor_and_ends_the_address():
    fields = values(extract_fields([header("KEDAI RUNCIT MAJU", "12 JALAN CEMPAKA, 47100 PUCHONG,", "SELANGOR.",
                                          "(CO. NO. 123456-D)")], CONFIG))
    assert fields["vendor"] == "KEDAI RUNCIT MAJU"
    assert fields["vendor_address"] == "12 JALAN CEMPAKA, 47100 PUCHONG, SELANGOR."


def test_the_owner_under_owned_by_is_not_the_shop():
    fields = values(extract_fields([header("GREENLEAF STATIONERY SHOP", "NO. 7, JALAN CEMPAKA 3, 47100 PUCHONG",
                                          "OWNED BY :", "GREENLEAF SUPPLY SDN BHD (123456-K)")], CONFIG))
    assert fields["vendor"] == "GREENLEAF STATIONERY SHOP"
    assert fields["vendor_address"] == "NO. 7, JALAN CEMPAKA 3, 47100 PUCHONG"


@pytest.mark.parametrize("note", ["FRANCHISEE: MAJU JAYA TRADING SDN BHD", "OPERATED BY MAJU JAYA TRADING SDN BHD",
                                  "LICENSEE OF GREENLEAF MART SDN BHD"])
def test_a_note_on_who_runs_the_shop_is_neither_its_name_nor_its_address(note):
    fields = values(extract_fields([header("GREENLEAF MINI MART", note, "NO. 7, JALAN CEMPAKA 3, 47100 PUCHONG")],
                                   CONFIG))
    assert fields["vendor"] == "GREENLEAF MINI MART"
    assert fields["vendor_address"] == "NO. 7, JALAN CEMPAKA 3, 47100 PUCHONG"


def test_no_vendor_from_a_street_or_from_below_the_address():
    fields = values(extract_fields([header("~ ~~ ~", "NO. 8, JALAN BESAR, 43500 SEMENYIH", "SELANGOR DARUL EHSAN",
                                          "TEL: 03-5566 7788")], CONFIG))
    assert "vendor" not in fields  # better none than the state: the name was a logo
    fields = values(extract_fields([header("GREENLEAF GRAND MALL", "(GREENLEAF SHOP (41236))",
                                          "UNIT G2-017A, JALAN MERBAU, 50200 KUALA LUMPUR")], CONFIG))
    assert fields["vendor"] == "GREENLEAF GRAND MALL"
    assert fields["vendor_address"] == "UNIT G2-017A, JALAN MERBAU, 50200 KUALA LUMPUR"


def test_misread_logo_rows_before_the_house_number_are_not_address():
    rows = [words_at(20, (30, "GREENLEAF HARDWARE SDN BHD")),
            words_at(45, (30, "ENTERR EG) SE"), conf=0.4), words_at(70, (30, "popann Bon"), conf=0.5),
            words_at(95, (30, "NO. 5-G, JALAN CEMPAKA,")), words_at(120, (30, "40400 SHAH ALAM")),
            words_at(160, (10, "DATE: 14/03/2024")), words_at(360, (10, "TOTAL"), (400, "9.90"))]
    fields = values(extract_fields([page(rows, height=1000)], CONFIG))
    assert fields["vendor_address"] == "NO. 5-G, JALAN CEMPAKA, 40400 SHAH ALAM"


def test_address_keeps_a_printed_space_before_a_comma_but_not_ocr_split_punctuation():
    fields = values(extract_fields([header("KEDAI RUNCIT MAJU", "NO. 7, JALAN CEMPAKA Y ,U4/Y", "KAWASAN SEMENYIH ,",
                                          "47100 PUCHONG")], CONFIG))
    assert fields["vendor_address"] == "NO. 7, JALAN CEMPAKA Y ,U4/Y KAWASAN SEMENYIH, 47100 PUCHONG"


def test_a_doubtful_single_character_at_the_end_of_an_address_row_is_a_speck():
    rows = [words_at(20, (30, "KEDAI RUNCIT MAJU")),
            words_at(45, (30, "12 JALAN CEMPAKA,")) + [Word("7", 0.4, BoundingBox(300, 45, 12, 20))],
            words_at(70, (30, "47100 PUCHONG 6")),
            words_at(110, (10, "DATE: 14/03/2024")), words_at(300, (10, "TOTAL"), (400, "9.90"))]
    fields = values(extract_fields([page(rows, height=1000)], CONFIG))
    assert fields["vendor_address"] == "12 JALAN CEMPAKA, 47100 PUCHONG 6"  # the sure '6' stays


def test_address_ends_at_a_phone_printed_after_the_postcode_or_on_its_own_mostly_digit_row():
    fields = values(extract_fields([header("KEDAI RUNCIT MAJU", "12 JALAN CEMPAKA,",
                                           "47100 PUCHONG. TEL NO.: 03-555 2468", "Qty Description Amount")], CONFIG))
    assert fields["vendor_address"] == "12 JALAN CEMPAKA, 47100 PUCHONG."
    fields = values(extract_fields([header("KEDAI RUNCIT MAJU", "1, JALAN CEMPAKA 8/4, 71800 NILAI, N9.",
                                          "Tel : 607-555 1357", "Qty Description Amount")], CONFIG))
    assert fields["vendor_address"] == "1, JALAN CEMPAKA 8/4, 71800 NILAI, N9."


def test_a_house_number_alone_on_the_first_address_row_is_kept():
    fields = values(extract_fields([header("KEDAI RUNCIT MAJU", "(CO NO. 204517-K)", "No.1,", "JALAN CEMPAKA 1/6,",
                                          "47100 PUCHONG")], CONFIG))
    assert fields["vendor_address"] == "No.1, JALAN CEMPAKA 1/6, 47100 PUCHONG"


def test_currency_and_card_payment():
    rows = [words_at(20, (60, "CORNER SHOP LTD")), words_at(60, (10, "01/02/2023")),
            words_at(100, (10, "TOTAL"), (400, "€5.00")), words_at(125, (10, "VISA"), (400, "€5.00"))]
    got = values(extract_fields([page(rows)], replace(CONFIG, default_currency="MYR")))
    assert got["currency"] == "EUR"
    assert got["payment_method"] == "VISA"


def test_a_date_after_an_unreadable_document_number_is_not_the_receipt_number():
    rows = [words_at(20, (60, "CORNER SHOP LTD")), words_at(60, (10, "Doc No * ©S§00024680 Date: 14/03/2024")),
            words_at(100, (10, "TOTAL"), (400, "5.00"))]
    got = values(extract_fields([page(rows)], CONFIG))
    assert got["receipt_number"] == "00024680" and got["date"] == "2024-03-14"


def test_one_stray_currency_sign_does_not_make_a_foreign_receipt():
    rows = [words_at(20, (60, "CORNER SHOP LTD")), words_at(45, (10, "¥")), words_at(60, (10, "01/02/2023")),
            words_at(100, (10, "TOTAL"), (400, "5.00"))]
    assert values(extract_fields([page(rows)], replace(CONFIG, default_currency="MYR")))["currency"] == "MYR"


def test_missing_fields_are_flagged_and_default_currency_used():
    extraction = extract_fields([page([words_at(20, (10, "hello"))])], replace(CONFIG, default_currency="SGD"))
    codes = {f.code for f in extraction.flags}
    assert {"missing_total", "missing_date"} <= codes
    assert extraction.fields["currency"].value == "SGD"


def test_no_pages_or_words():
    extraction = extract_fields([], CONFIG)
    assert "total" not in extraction.fields and "missing_total" in {f.code for f in extraction.flags}


def test_multi_page_vendor_from_first_total_from_last():
    first = page([words_at(20, (60, "BIG STORE SDN BHD")), words_at(60, (10, "DATE 01/02/2023")),
                  words_at(100, (10, "ITEM A"), (400, "3.00"))])
    second = PageResult(1, 480, 200, tuple(words_at(40, (10, "TOTAL"), (400, "3.00"))))
    extraction = extract_fields([first, second], CONFIG)
    assert extraction.fields["vendor"].page == 0 and extraction.fields["total"].page == 1


def test_amount_kinds():
    assert amount_kind("SUB TOTAL 10.00") == ("subtotal", 1.0)
    assert amount_kind("TOTAL QTY: 4") is None
    assert amount_kind("ROUNDING ADJ -0.02")[0] == "rounding"
    assert amount_kind("TOTAL ROUNDED 21.70")[0] == "total"
    assert amount_kind("Total Sales (Excluding GST) 10.00")[0] == "subtotal"
    assert amount_kind("Total Inclusive of Tax 13.45")[0] == "total"
    assert amount_kind("GST 6% 0.60")[0] == "tax"
    assert amount_kind("CHANGE 7.05")[0] == "change"


@pytest.mark.parametrize("text, kind", [
    ("GST @6% INCLUDED IN TOTAL 0.30", "tax"), ("SST 6% INCL. IN TOTAL 0.30", "tax"),
    ("TOTAL PAID RM50.00", "paid"), ("ACCEPTED TOTAL 10.00", "paid"), ("TOTAL TENDERED 20.00", "paid"),
    ("AMOUNT INCL. GST 5.00", "total"), ("TOTAL AFTER ROUNDING 15.40", "total"),
    ("ictal After Rounding 41.30", "total"),  # 'Total' misread: still no rounding of 41.30
])
def test_amount_kinds_of_tax_payment_and_amount_labels(text, kind):
    assert amount_kind(text)[0] == kind


def small_receipt(*amount_rows: tuple[str, str]) -> PageResult:
    """A shop header and date, then one labelled amount per row, top to bottom."""
    rows = [words_at(20, (60, "KEDAI RUNCIT ENTERPRISE")), words_at(60, (10, "DATE: 15/05/2019"))]
    rows += [words_at(100 + 25 * n, (10, label), (400, amount)) for n, (label, amount) in enumerate(amount_rows)]
    return page(rows)


def total_of(*amount_rows: tuple[str, str]) -> str:
    return values(extract_fields([small_receipt(*amount_rows)], CONFIG))["total"]


def test_tax_included_in_total_is_not_the_total():
    # the TOTAL row lost its amount; the GST line below says 'included in total' and is only the tax
    rows = [("TOTAL INCL. GST", ""), ("CASH", "10.00"), ("CHANGE", "3.60"), ("GST @6% INCLUDED IN TOTAL", "0.36")]
    assert total_of(*rows) == "6.40"


def test_total_paid_is_the_payment_not_the_total():
    assert total_of(("GRAND TOTAL", "15.40"), ("TOTAL PAID", "50.00"), ("CHANGE", "34.60")) == "15.40"


def test_amount_including_tax_is_the_total_and_accepted_total_the_payment():
    # parking-machine style: what was inserted is 'accepted', the fee is the amount incl. GST
    assert total_of(("AMOUNT INCL. GST", "5.00"), ("ACCEPTED TOTAL", "10.00"), ("CHANGE", "5.00")) == "5.00"


def test_amount_with_the_decimal_point_read_as_a_space_after_rm():
    assert total_of(("GRAND TOTALRM15 40", ""), ("CASH", "RM20.00"), ("CHANGE", "RM4 60")) == "15.40"


@pytest.mark.parametrize("printed", ["RH15.40", "RN15.40", "FM15.40", "PM15.40"])
def test_total_after_a_misread_ringgit_sign(printed):
    assert total_of(("TOTAL", printed), ("CASH", "20.00")) == "15.40"


def test_total_after_rounding_beats_the_total_before_it():
    rows = [("SUBTOTAL", "15.39"), ("TOTAL (INCL GST)", "15.39"), ("ROUNDING ADJ", "0.01"), ("GRAND TOTAL", "15.40")]
    assert total_of(*rows) == "15.40"


def test_total_after_unreadable_rounding_beats_the_total_before_it():
    rows = [("SUB-TOTAL", "243.17"), ("TOTAL SALES INCL GST", "243.17"), ("ROUNDING ADJ", "~(),02"),
            ("TOTAL AFTER ADJ INCL GST", "243.15")]
    assert total_of(*rows) == "243.15"


def test_total_after_rounding_wins_even_when_the_rounding_was_misread_as_zero():
    # subtotal + tax agree with the total before rounding; the label below says that one was rounded
    rows = [("SUB TOTAL", "38.94"), ("GST 6%", "2.34"), ("TOTAL", "41.28"), ("ROUNDING ADJ", "0.00"),
            ("ictal After Rounding", "41.30")]
    assert total_of(*rows) == "41.30"


def test_zero_rounding_leaves_the_choice_to_cash_minus_change():
    rows = [("TOTAL (INCLUDING GST)", "64.35"), ("ROUNDING", "0.00"), ("NET", "64.36"), ("TENDER", "100.00"),
            ("CHANGE", "35.65")]
    assert total_of(*rows) == "64.35"


def test_total_above_the_payment_with_an_inserted_digit_is_repaired_from_cash_minus_change():
    rows = [("SUB-TOTAL", "54.06"), ("TOTAL", "573.30"), ("DEBIT CARD", "57.30"), ("CHANGE", "0.00")]
    extraction = extract_fields([small_receipt(*rows)], CONFIG)
    assert extraction.fields["total"].value == "57.30"
    assert extraction.fields["total"].confidence < 0.7


def test_total_above_the_payment_with_a_misread_digit_is_kept():
    # 16.00 vs cash 14.00: either reading may be the slip, so the labelled total stays
    assert total_of(("TOTAL", "16.00"), ("CASH", "14.00"), ("CHANGE", "0.00")) == "16.00"


def test_total_with_a_misread_digit_is_repaired_when_the_tax_fits_cash_minus_change():
    # 6% GST included: 8.60 * 6 / 106 = 0.49, while 8.40 would carry 0.48
    rows = [("TOTAL", "8.40"), ("CASH", "20.00"), ("CHANGE", "11.40"), ("GST @6% INCLUDED IN TOTAL", "0.49")]
    assert total_of(*rows) == "8.60"


def test_total_with_a_misread_digit_is_repaired_when_the_tax_fits_the_subtotal():
    rows = [("SUB-TOTAL (GST)", "2.50"), ("TOTAL", "2.30"), ("TAX TOTAL:", "0.14"), ("SR @ 6%", "")]
    assert total_of(*rows) == "2.50"


@pytest.mark.parametrize("tax_row", [("GST @6% INCLUDED IN TOTAL", "0.75"), ("GST INCLUDED IN TOTAL", "0.49")])
def test_total_one_digit_off_cash_minus_change_stays_without_a_tax_and_rate_that_fit(tax_row):
    assert total_of(("TOTAL", "8.40"), ("CASH", "20.00"), ("CHANGE", "11.40"), tax_row) == "8.40"


# --- cross-field checks -------------------------------------------------------------------------

def f(name, value, confidence=0.9):
    return Field(name, value, value, confidence)


def test_check_total_mismatch():
    fields = {n: f(n, v) for n, v in [("subtotal", "10.00"), ("tax", "0.60"), ("total", "11.60"),
                                      ("date", "2023-01-01"), ("vendor", "X")]}
    assert [x.code for x in check_fields(fields, config=CONFIG)] == ["total_mismatch"]
    fields["total"] = f("total", "10.60")
    assert check_fields(fields, config=CONFIG) == []


def test_check_items_mismatch():
    fields = {n: f(n, v) for n, v in [("subtotal", "10.00"), ("total", "10.00"), ("date", "2023-01-01"),
                                      ("vendor", "X")]}
    items = [LineItem("A", Decimal(1), Decimal("4.00"), Decimal("4.00"), 0.9),
             LineItem("B", Decimal(1), Decimal("5.00"), Decimal("5.00"), 0.9)]
    [flag] = check_fields(fields, items, CONFIG)
    # the items are what to check: on the tuning receipts, 23 of 24 totals the items disagreed with were right
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
    codes = [x.code for x in check_fields(fields, config=CONFIG)]
    assert codes == ["implausible_date", "missing_vendor", "low_confidence"]


# --- end to end through real Tesseract ----------------------------------------------------------

def test_generated_receipt_end_to_end():
    from ocr.engine import TesseractEngine
    from tests.receipts import sample_receipt

    generated = sample_receipt()
    words = TesseractEngine().read_words(generated.image)
    height, width = generated.image.shape[:2]
    extraction = extract_fields([PageResult(0, width, height, tuple(words))], CONFIG)
    got = values(extraction)
    truth = generated.fields
    for name in ("vendor", "date", "total", "subtotal", "tax"):
        assert got.get(name) == truth[name], name


def test_an_address_read_too_unsurely_is_left_empty_and_its_reading_quoted_in_a_flag():
    clean = receipt()
    address_rows = {70, 95}
    blurred = PageResult(index=0, width=clean.width, height=clean.height, words=tuple(
        Word(w.text, 0.15, w.box, line=w.line) if w.box.top in address_rows else w for w in clean.words))
    extraction = extract_fields([blurred], CONFIG)
    address = extraction.fields["vendor_address"]
    assert address.value == "" and "JALAN CEMPAKA" in address.raw and address.box is not None
    [unreadable] = [f for f in extraction.flags if f.code == "unreadable"]
    assert unreadable.fields == ("vendor_address",) and "JALAN CEMPAKA" in unreadable.message
    assert all("vendor_address" not in f.fields for f in extraction.flags if f.code == "low_confidence")
    assert extraction.fields["vendor"].value == "GREENLEAF HARDWARE SDN BHD"  # only the address is held back

    filled = extract_fields([blurred], replace(CONFIG, unreadable_address_below=0)).fields["vendor_address"]
    assert filled.value.startswith("12 JALAN CEMPAKA") and filled.confidence < 0.25
    assert extract_fields([clean], CONFIG).fields["vendor_address"].value.startswith("12 JALAN CEMPAKA")


def test_a_field_with_a_reading_but_no_value_is_flagged_unreadable_not_low():
    fields = {"vendor": Field("vendor", "SHOP", "SHOP", 0.9),
              "vendor_address": Field("vendor_address", "", "l2 JA1AN C{ [ ~ee.", 0.1)}
    flags = check_fields(fields, config=CONFIG)
    assert [f.fields for f in flags if f.code == "unreadable"] == [("vendor_address",)]
    assert not [f for f in flags if f.code == "low_confidence"]


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(todays())
def test_a_receipt_dated_today_is_read_and_not_flagged_whatever_today_is(today):
    config = ExtractionConfig(today=today)
    extraction = extract_fields([receipt(date_text=today.strftime("%d/%m/%Y"))], config)
    assert extraction.fields["date"].value == today.isoformat()
    assert "implausible_date" not in {flag.code for flag in extraction.flags}
    assert "implausible_date" in {flag.code for flag in check_fields(
        {"date": Field("date", a_year_after(today).isoformat(), "", 0.9)}, config=config)}
