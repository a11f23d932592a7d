"""ocr.second_reading: which lines and spans are read again (chosen from Tesseract's words), word breaks carried
across readings (pure), and the real PP-OCRv6 recogniser putting back what Tesseract misread."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ocr.config import OcrConfig
from ocr.engine import TesseractEngine
from ocr.fields.lexicon import load_lexicon
from ocr.layout import group_rows
from ocr.pipeline import extract_document
from ocr.second_reading import digit_spans, header_rows, line_recogniser, read_page_again, respace, spans_to_read
from ocr.types import PageResult
from tests import receipts
from tests.ocr.words import page, receipt, words_at

LEXICON = load_lexicon()


@pytest.mark.parametrize("words, other, expected", [
    (["GREENLEAE", "HARDWARE"], "GREENLEAFHARDWARE", ["GREENLEAF", "HARDWARE"]),  # a letter fixed, no space
    (["GREENLEAF", "HARDWARE"], "GREEN LEAF HARDWARE", ["GREENLEAF", "HARDWARE"]),  # its own spaces ignored
    (["SDN", "BHO"], "SDNBHD", ["SDN", "BHD"]),
    (["14/03/2024", "14:32"], "14/03/202414:32", ["14/03/2024", "14:32"]),
    (["KEDAI", "RUNCIT", "|", "MAJU"], "KEDAIRUNCITMAJU", ["KEDAI", "RUNCIT", "", "MAJU"]),  # a smudge gone
    (["CO.", "(M)", "BHD"], "CO.(M)SDNBHD", ["CO.", "(M)", "SDNBHD"]),  # a missed word joins its neighbour
])
def test_respace_cuts_the_other_reading_at_tesseracts_word_breaks(words, other, expected):
    assert respace(words, other) == expected


def test_respace_never_loses_or_invents_letters():
    words, other = ["AB", "CDE", "F"], "XYABQCDF"
    assert "".join(respace(words, other)) == other


def test_the_header_is_read_down_to_the_first_phone_tax_or_date_label():
    rows = group_rows(receipt().words)
    assert [row.text for row in header_rows(rows, LEXICON)] == [
        "GREENLEAF HARDWARE SDN BHD", "(CO.REG: 123456-X)", "12 JALAN CEMPAKA, 47100 PUCHONG,", "SELANGOR"]


def test_a_date_printed_above_the_address_is_skipped_not_the_end_of_the_header():
    rows = group_rows(page([words_at(20, (60, "KEDAI MAJU")), words_at(45, (60, "10 Mar 2018 18:24")),
                            words_at(70, (30, "12 JALAN CEMPAKA")), words_at(95, (30, "TEL: 03-8061 2345"))]).words)
    assert [row.text for row in header_rows(rows, LEXICON)] == ["KEDAI MAJU", "12 JALAN CEMPAKA"]


def test_only_the_digits_of_labelled_amounts_and_dates_are_read_again():
    spans = digit_spans(group_rows(receipt().words), LEXICON)
    assert [" ".join(w.text for w in span) for span in spans] == [
        "14/03/2024", "40.50", "2.43", "0.02", "42.95", "50.00", "7.05"]  # not the unlabelled item prices


@pytest.mark.parametrize("printed", ["DATE: 17/84/2016", "Date: 1770472078", "Dater11/03/18", "11/0/2018 06:20"])
def test_what_looks_like_a_date_that_did_not_parse_is_read_again(printed):
    rows = group_rows(page([words_at(20, (10, printed))]).words)
    [span] = digit_spans(rows, LEXICON)
    assert any(ch.isdigit() for w in span for ch in w.text) and not any(w.text.lower() == "date:" for w in span)


def test_only_the_first_page_has_a_header():
    first = spans_to_read(receipt(), LEXICON, first=True)
    later = spans_to_read(receipt(), LEXICON, first=False)
    assert len(first) == len(later) + 4


def test_the_fast_reading_reads_only_the_shops_name_and_tesseract_nothing():
    fast = spans_to_read(receipt(), LEXICON, first=True, reading="fast")
    assert [" ".join(w.text for w in span) for span in fast] == ["GREENLEAF HARDWARE SDN BHD", "(CO.REG: 123456-X)"]
    assert spans_to_read(receipt(), LEXICON, first=False, reading="fast") == []
    assert spans_to_read(receipt(), LEXICON, first=True, reading="tesseract") == []


@pytest.fixture(scope="module")
def shop():
    """A rendered receipt and what Tesseract read of it."""
    rendered = receipts.render(["GREENLEAF HARDWARE SDN BHD", "12 JALAN CEMPAKA, 47100 PUCHONG", "",
                                "DATE: 17/04/2016", "", "TOTAL 42.95"])
    words = TesseractEngine().read_words(rendered.image)
    return rendered.image, PageResult(0, rendered.image.shape[1], rendered.image.shape[0], tuple(words))


def test_the_real_second_reader_puts_back_what_tesseract_got_wrong(shop):
    image, read = shop
    assert {"GREENLEAF", "CEMPAKA,", "17/04/2016"} <= {w.text for w in read.words}
    faults = {"GREENLEAF": "GREENLEAE", "CEMPAKA,": "CFMPAK4,", "17/04/2016": "17/84/2016"}
    misread = replace(read, words=tuple(replace(w, text=faults.get(w.text, w.text)) for w in read.words))

    again = read_page_again(misread, image, line_recogniser(), LEXICON)

    seconds = {w.text: w.second for w in again.words if w.second is not None}
    assert seconds["GREENLEAE"] == "GREENLEAF" and seconds["CFMPAK4,"] == "CEMPAKA,"
    assert seconds["17/84/2016"] == "17/04/2016" and seconds["42.95"] == "42.95"
    assert [w.text for w in again.words] == [w.text for w in misread.words]  # Tesseract's reading is kept beside
    assert all(0 < w.second_confidence <= 1 for w in again.words if w.second is not None)
    [trace] = [t for t in again.trace if t.name == "second_reading"]
    assert trace.details["crops"] == 4 and trace.details["words_changed"] == 3  # header 2 lines, date, total


def test_the_reading_setting_chooses_how_much_is_read_twice():
    data = receipts.encode(receipts.sample_receipt().image, "PNG")
    results = {reading: extract_document(data, config=OcrConfig(reading=reading), keep_images=False)
               for reading in ("tesseract", "fast", "accurate")}
    twice = {reading: {w.text for w in result.pages[0].words if w.second is not None}
             for reading, result in results.items()}
    assert "second_reading" not in results["tesseract"].timings and not twice["tesseract"]
    assert {"GREENLEAF", "HARDWARE"} <= twice["fast"] < twice["accurate"]
    assert not twice["fast"] & {"14/03/2024", "42.95"}  # the top lines only, not the date and the amounts
    for result in results.values():
        fields = result.receipts[0].extraction.fields
        assert (fields["vendor"].value, fields["date"].value, fields["total"].value) == (
            receipts.SAMPLE_FIELDS["vendor"], receipts.SAMPLE_FIELDS["date"], receipts.SAMPLE_FIELDS["total"])
