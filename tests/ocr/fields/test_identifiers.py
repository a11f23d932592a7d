"""ocr.fields.identifiers: the fields read by their labels (no labelled data to learn them from yet)."""

from datetime import date

from ocr.config import ExtractionConfig
from ocr.fields import identifiers
from ocr.fields.extract import document_of
from tests.ocr.words import page, receipt, words_at

CONFIG = ExtractionConfig(today=date(2024, 6, 1))


def doc(*rows):
    return document_of([page([words_at(20 + 25 * n, (10, text)) for n, text in enumerate(rows)])], CONFIG)


def test_the_sample_receipts_identifiers():
    read = document_of([receipt()], CONFIG)
    assert identifiers.phone(read).value == "03-8061 2345"
    assert identifiers.tax_id(read).value == "001234567890"
    assert identifiers.receipt_number(read).value == "INV-000482"
    assert identifiers.payment(read, total_row=15).value == "CASH"
    assert identifiers.currency(read, "MYR").value == "MYR"
    assert all(0 < c.confidence <= 1 for c in (identifiers.phone(read), identifiers.tax_id(read)))


def test_an_unlabelled_phone_is_never_the_tax_number_printed_in_the_header():
    header = ("KEDAI RUNCIT MAJU", "LOT 5, JALAN CEMPAKA,", "47100 PUCHONG")
    assert identifiers.phone(doc(*header, "SST Reg No. : 000123456789")) is None
    assert identifiers.tax_id(doc(*header, "SST Reg No. : 000123456789")).value == "000123456789"
    assert identifiers.phone(doc(*header, "03-5566 7788")).value == "03-5566 7788"
    assert identifiers.phone(doc(*header, "000123456789")) is None  # no phone number starts 00 after its trunk 0


def test_a_date_after_an_unreadable_document_number_is_not_the_receipt_number():
    assert identifiers.receipt_number(doc("CORNER SHOP", "Doc No * ©S§00024680 Date: 14/03/2024")).value == "00024680"


def test_currency_and_card_payment():
    read = document_of([page([words_at(20, (60, "CORNER SHOP LTD")), words_at(100, (10, "TOTAL"), (400, "€5.00")),
                              words_at(125, (10, "VISA"), (400, "€5.00"))])], CONFIG)
    assert identifiers.currency(read, "MYR").value == "EUR" and identifiers.payment(read, 0).value == "VISA"


def test_a_dollar_sign_is_the_installations_dollar_or_a_question_for_the_reviewer():
    dollars = ("CORNER SHOP", "Total Amount: $7.60", "CASH $7.60", "Change $0.00")
    sure = identifiers.currency(doc(*dollars), "SGD")
    assert (sure.value, sure.raw) == ("SGD", "$7.60") and sure.confidence >= 0.8
    unsaid = identifiers.currency(doc(*dollars), "MYR")  # a foreign dollar, or ringgit printed as '$'
    assert (unsaid.value, unsaid.raw) == ("MYR", "$7.60") and unsaid.confidence < 0.8
    assert identifiers.currency(doc("CORNER SHOP", "TOTAL US$7.60", "CASH US$10.00"), "MYR").value == "USD"


def test_the_currency_is_shown_by_its_clearest_sign():
    signs = page([words_at(20, (60, "CORNER SHOP")), words_at(60, (10, "TOTAL"), (400, "€5.00"), conf=0.3),
                  words_at(85, (10, "CASH"), (400, "€5.00"), conf=0.97)])
    found = identifiers.currency(document_of([signs], CONFIG), "MYR")
    assert found.value == "EUR" and found.words[0].box.top == 85 and found.confidence > 0.8


def test_one_stray_currency_sign_does_not_make_a_foreign_receipt_and_a_refund_is_no_payment():
    assert identifiers.currency(doc("CORNER SHOP", "¥", "TOTAL 5.00"), "MYR").value == "MYR"
    assert identifiers.currency(doc("CORNER SHOP"), "SGD").value == "SGD"
    assert identifiers.payment(doc("CASH REFUND 5.00"), 0) is None
    assert identifiers.payment(doc("TUNAI 5.00"), 0).value == "CASH"  # Malay, from the ms word list


def test_a_tax_id_keeps_its_own_capitals_and_drops_the_label_and_specks_beside_it():
    def tax_id(row):
        return identifiers.tax_id(doc("KEDAI RUNCIT MAJU", row)).value

    assert tax_id("GST ID 001806213696") == "001806213696"  # no colon: the label ran into the number
    assert tax_id("GST REG 000856195594") == "000856195594"
    assert tax_id("GST ID. NO s 000181747712") == "000181747712"  # a lower-case speck
    assert tax_id("GST ID No s000473792512") == "000473792512"
    assert tax_id("SST No: W10-1808-32000011") == "W10-1808-32000011"  # capitals against the digits are its own
    assert tax_id("VAT DE123456789") == "DE123456789"


def test_an_unlabelled_phone_is_printed_as_one_and_is_no_invoice_number():
    header = ("KEDAI RUNCIT MAJU", "LOT 5, JALAN CEMPAKA,")
    assert identifiers.phone(doc(*header, "Invoice # : OR18041002160370")) is None
    assert identifiers.phone(doc(*header, "6909906163102 1X 3.30 3.30")) is None  # a barcode
    assert identifiers.phone(doc(*header, "Receipt No. :G03-1220615")) is None
    assert identifiers.phone(doc(*header, "03-5566 7788")).value == "03-5566 7788"
    assert identifiers.phone(doc(*header, "TEL 0355667788")).value == "0355667788"  # labelled: bare digits do
