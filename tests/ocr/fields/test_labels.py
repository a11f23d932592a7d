"""ocr.fields.labels: labels read the way OCR prints them, and what a row's label says its amount is."""

import pytest

from ocr.fields.labels import amount_kind, count_words, has_phrase, has_word, is_heading, label_tokens
from ocr.fields.lexicon import load_lexicon

LEXICON = load_lexicon()


def test_label_tokens_turn_digits_ocr_put_in_words_back_into_letters():
    assert label_tokens("T0TAL: RM 42.95") == ("TOTAL", "RM", "42", "95")
    assert label_tokens("SUB-TOTAL (incl.)") == ("SUB", "TOTAL", "INCL")


@pytest.mark.parametrize("tokens, phrase, found", [
    (("TOTAI",), "TOTAL", True), (("SUBTOTAL",), "SUB TOTAL", True), (("SUB", "T0TAL"), "SUB TOTAL", True),
    (("TAXI",), "TAX", False), (("NETT",), "NET", False),  # words of three letters match exactly or not at all
    (("AMOUNT", "DUE"), "AMOUNT DUE", True), (("AMOUNT",), "AMOUNT DUE", False),
])
def test_phrases_match_fuzzily_and_run_together(tokens, phrase, found):
    assert has_phrase(tokens, phrase) is found
    assert has_word(tokens, "NOTHING", phrase) is found


def test_amount_kinds():
    assert amount_kind("SUB TOTAL 10.00", LEXICON) == ("subtotal", 1.0)
    assert amount_kind("TOTAL QTY: 4", LEXICON) is None
    assert amount_kind("ROUNDING ADJ -0.02", LEXICON)[0] == "rounding"
    assert amount_kind("TOTAL ROUNDED 21.70", LEXICON)[0] == "total"
    assert amount_kind("Total Sales (Excluding GST) 10.00", LEXICON)[0] == "subtotal"
    assert amount_kind("Total Inclusive of Tax 13.45", LEXICON)[0] == "total"
    assert amount_kind("GST 6% 0.60", LEXICON)[0] == "tax"
    assert amount_kind("CHANGE 7.05", LEXICON)[0] == "change"
    assert amount_kind("JUMLAH 7.05", LEXICON)[0] == "total"  # Malay, from the ms word list
    assert amount_kind("12.00", LEXICON) is None


@pytest.mark.parametrize("text, kind", [
    ("GST @6% INCLUDED IN TOTAL 0.30", "tax"), ("SST 6% INCL. IN TOTAL 0.30", "tax"),
    ("TOTAL PAID RM50.00", "paid"), ("ACCEPTED TOTAL 10.00", "paid"), ("TOTAL TENDERED 20.00", "paid"),
    ("AMOUNT INCL. GST 5.00", "total"), ("TOTAL AFTER ROUNDING 15.40", "total"),
    ("ictal After Rounding 41.30", "total"),  # 'Total' misread: still no rounding of 41.30
    ("Total 6% supplies (Inc. GST): 42.35", "summary"),  # a tax summary table's row, not the amount due
])
def test_amount_kinds_of_tax_payment_summary_and_amount_labels(text, kind):
    assert amount_kind(text, LEXICON)[0] == kind


def test_headings_and_word_counts():
    assert is_heading("SIMPLIFIED TAX INVOICE", LEXICON) and is_heading("TAX INV0ICE", LEXICON)
    assert not is_heading("GREENLEAF HARDWARE", LEXICON)
    assert count_words(("NO", "12", "JALAN", "CEMPAKA", "TAMAN", "JAYA"), LEXICON.address_words) == 3


@pytest.mark.parametrize("text", ["SERVICE CHARGE 1.20", "Service Charge 10% 2.50", "SVC CHARGES 0.80"])
def test_a_service_charge_is_not_the_change_though_one_letter_apart(text):
    kind = amount_kind(text, LEXICON)
    assert kind is None or kind[0] != "change"
    assert amount_kind("CHANGE 7.05", LEXICON) == ("change", 1.0)
    assert amount_kind("CHANCE 7.05", LEXICON) == ("change", 1.0)  # a misread CHANGE still is


def test_an_address_on_the_ground_floor_is_not_a_rounding():
    assert amount_kind("LOT 12 GROUND FLOOR 47100", LEXICON) is None
    assert amount_kind("ROUNDING -0.02", LEXICON) == ("rounding", 1.0)
    assert amount_kind("ROUNDLNG -0.02", LEXICON) == ("rounding", 1.0)  # a misread ROUNDING still is
