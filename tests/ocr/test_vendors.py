"""ocr.vendors on literal OCR text: the same shop's header read with different slips matches; others do not."""

from dataclasses import replace

from ocr.config import ExtractionConfig
from ocr.fields import check_fields, extract_fields
from ocr.types import BoundingBox, Flag, PageResult, Word
from ocr.vendors import KnownVendor, best_match, header_text, house_spelling, recall_vendor

# How one shop's header read on an approved receipt, and on a new one with other OCR slips.
APPROVED_TEXT = """KEDAI RUNCIT SRI MAJU SDN BHD
(CO. REG: 123456-A)
N0 8, JALAN SEROJA RAYA 3,
TAMAN MELATI, 53100 KUALA LUMPUR
TEL: 03-4021 7788
GST ID: 000123456789
TAX INVOICE
INV NO: A1-0009"""
NEW_TEXT = """KEDAI RUNC1T SRI MAJU SDN BHO
(CO. REG: 123456-A)
NO 8, JALAN SEROJA RAYA 3,
TAMAN MELAT1, 53100 KUALA LUMPUR
TEL: 03-4021 7788
GST 1D: 000123456789
TAX INVOICE
INV NO: B7-1207"""
OTHER_SHOP_TEXT = """RESTORAN NASI KANDAR SENAWANG
LOT 22, PERSIARAN PERDANA,
40000 SHAH ALAM, SELANGOR
TEL: 03-5510 9090
RECEIPT: 000981
CASHIER: AMIN"""

APPROVED = KnownVendor(7, "KEDAI RUNCIT SRI MAJU SDN BHD",
                       "NO 8, JALAN SEROJA RAYA 3, TAMAN MELATI, 53100 KUALA LUMPUR", header_text(APPROVED_TEXT))


def page_of(text: str) -> PageResult:
    """Words laid out line by line, one Tesseract line per text line."""
    words = []
    for line_number, line in enumerate(text.splitlines()):
        left = 10
        for word in line.split():
            words.append(Word(word, 0.8, BoundingBox(left, 10 + 30 * line_number, 12 * len(word), 20),
                              block=1, paragraph=1, line=line_number + 1))
            left += 12 * len(word) + 12
    return PageResult(index=0, width=600, height=40 + 30 * len(text.splitlines()), words=tuple(words))


def test_header_text_is_the_first_non_empty_lines_upper_cased():
    assert header_text("  shop  name \n\n 12 jalan  x\nTEL 1\nline 4", lines=2) == "SHOP NAME 12 JALAN X"


def test_the_same_shop_read_with_other_slips_matches_and_brings_its_address():
    match = best_match(NEW_TEXT, [APPROVED], min_similarity=70)
    assert match is not None and match.known is APPROVED and 80 < match.similarity < 100
    assert match.address == APPROVED.address


def test_another_shop_does_not_match():
    assert best_match(OTHER_SHOP_TEXT, [APPROVED], min_similarity=70) is None
    assert best_match(NEW_TEXT, [], min_similarity=70) is None


def test_another_branch_gets_the_name_but_keeps_its_own_address():
    branch = NEW_TEXT.replace("NO 8, JALAN SEROJA RAYA 3,", "LOT 5, JALAN KENANGA,").replace(
        "TAMAN MELAT1, 53100 KUALA LUMPUR", "BANDAR BARU, 81200 JOHOR BAHRU")
    match = best_match(branch, [APPROVED], min_similarity=50)
    assert match is not None and match.known is APPROVED and match.address is None


def test_the_house_spelling_is_the_one_approved_most_often():
    approved = ["NO.2, JALAN BESAR", "NO. 2, JALAN BESAR", "NO.2, JALAN BESAR", "LOT 5, JALAN KENANGA"]
    assert house_spelling("NO. 2, JALAN BESAR", approved) == "NO.2, JALAN BESAR"
    assert house_spelling("NO.2,JALAN BESAR", ["NO.2,JALAN BESAR", "NO.2, JALAN BESAR"]) == "NO.2,JALAN BESAR"  # a tie
    assert house_spelling("LOT 6, JALAN KENANGA", approved) == "LOT 6, JALAN KENANGA"  # other digits: another place
    assert house_spelling("SHOP", []) == "SHOP"


def test_recall_brings_the_vendor_and_address_as_reviewers_most_often_wrote_them():
    matched = replace(APPROVED, document_id=8, vendor="KEDAI RUNCIT SRI MAJU SDN. BHD.",
                      address="NO 8, JALAN SEROJA RAYA 3 ,TAMAN MELATI, 53100 KUALA LUMPUR")
    other_header = replace(APPROVED, document_id=9, header=header_text(OTHER_SHOP_TEXT))
    page = page_of(NEW_TEXT)

    recalled = recall_vendor(extract_fields([page]), [page], [matched, other_header, APPROVED], ExtractionConfig())

    assert best_match(NEW_TEXT, [matched, other_header, APPROVED], min_similarity=70).known is matched
    assert recalled.fields["vendor"].value == APPROVED.vendor
    assert recalled.fields["vendor_address"].value == APPROVED.address


def test_recall_replaces_vendor_and_address_keeps_the_box_and_says_where_they_came_from():
    page = page_of(NEW_TEXT)
    read = extract_fields([page])
    assert read.fields["vendor"].value != APPROVED.vendor  # the slips are in the reading

    recalled = recall_vendor(read, [page], [APPROVED], ExtractionConfig())

    vendor, address = recalled.fields["vendor"], recalled.fields["vendor_address"]
    assert (vendor.value, address.value) == (APPROVED.vendor, APPROVED.address)
    assert vendor.raw == read.fields["vendor"].raw and vendor.box == read.fields["vendor"].box
    assert 0.7 <= vendor.confidence <= 1
    [flag] = [f for f in recalled.flags if f.code == "vendor_recalled"]
    assert "document #7" in flag.message and set(flag.fields) == {"vendor", "vendor_address"}
    assert {k: v for k, v in recalled.fields.items() if k not in flag.fields} == \
        {k: v for k, v in read.fields.items() if k not in flag.fields}


def test_recall_keeps_the_notes_already_there():
    page = page_of(NEW_TEXT)
    read = extract_fields([page])
    note = Flag("total_confirmed", "the total 42.95 agrees with CASH 50.00; CHANGE 7.05", ("total",))
    recalled = recall_vendor(replace(read, flags=(*read.flags, note)), [page], [APPROVED], ExtractionConfig())
    assert note in recalled.flags and any(f.code == "vendor_recalled" for f in recalled.flags)


def test_recall_without_a_match_changes_nothing():
    page = page_of(OTHER_SHOP_TEXT)
    read = extract_fields([page])
    assert recall_vendor(read, [page], [APPROVED], ExtractionConfig()) == read


def test_a_recalled_vendor_clears_the_missing_vendor_flag():
    page = page_of(NEW_TEXT)
    read = extract_fields([page])
    fields = {name: field for name, field in read.fields.items() if name != "vendor"}
    unread = replace(read, fields=fields, flags=tuple(check_fields(fields, read.line_items)))
    assert "missing_vendor" in {f.code for f in unread.flags}

    recalled = recall_vendor(unread, [page], [APPROVED], ExtractionConfig())

    assert recalled.fields["vendor"].value == APPROVED.vendor
    assert recalled.fields["vendor"].box is not None  # the header's box stands in for a reading
    assert "missing_vendor" not in {f.code for f in recalled.flags}
