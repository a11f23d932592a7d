"""ocr.fields.header: vendor and address candidates as spans of header lines, in either reading."""

import math
from dataclasses import replace
from datetime import date

from ocr.config import ExtractionConfig
from ocr.fields.extract import document_of
from ocr.fields.header import header_candidates, header_lines
from tests.ocr.words import page, receipt, words_at

CONFIG = ExtractionConfig(today=date(2024, 6, 1))


def test_spans_of_header_lines_with_their_features():
    doc = document_of([receipt()], CONFIG)
    found = header_candidates(doc)
    name = next(c for c in found["vendor"] if c.raw == "GREENLEAF HARDWARE SDN BHD")
    assert name.rows == (0,) and name.features["first_legal"] == 1.0 and name.features["start_rank"] == 0.0
    assert name.features["below_registration"] == 1.0 and name.features["read_twice"] == 0.0
    # the name and its registration number: the value drops the number, the box keeps to the name's line
    both = next(c for c in found["vendor"] if len(c.raw.split("(CO.REG")) == 2 and c.raw.startswith("GREENLEAF"))
    assert both.value == "GREENLEAF HARDWARE SDN BHD" and both.rows == (0,)
    addresses = {c.value for c in found["vendor_address"]}
    assert "12 JALAN CEMPAKA, 47100 PUCHONG, SELANGOR" in addresses
    address = next(c for c in found["vendor_address"] if c.value == "12 JALAN CEMPAKA, 47100 PUCHONG, SELANGOR")
    assert address.features["sum_address_words"] >= 1 and address.features["value_postcode"] == 1.0


def test_specks_are_no_header_lines_and_the_header_ends_where_lines_run_out():
    doc = document_of([page([words_at(20, (10, "|")), words_at(45, (10, "KEDAI MAJU")), words_at(70, (10, "~ ."))])],
                      CONFIG)
    assert [doc.rows[i].text for i in header_lines(doc)] == ["KEDAI MAJU"]


def _read_twice(misread: dict[str, tuple[str, str]]):
    """The generated receipt with the words of `misread` (printed -> Tesseract's, the second reader's) read twice."""
    read = receipt()
    words = tuple(replace(w, text=misread[w.text][0], second=misread[w.text][1], second_confidence=0.97)
                  if w.text in misread else w for w in read.words)
    return header_candidates(document_of([replace(read, words=words)], CONFIG))


def test_a_line_read_twice_gives_a_candidate_in_each_reading():
    found = _read_twice({"GREENLEAF": ("GREENLEAE", "GREENLEAF")})
    by_reading = {c.reading: c.value for c in found["vendor"] if c.rows == (0,)}
    assert by_reading == {"tesseract": "GREENLEAE HARDWARE SDN BHD", "second": "GREENLEAF HARDWARE SDN BHD"}


def test_a_name_takes_tesseracts_word_where_only_the_second_reading_shows_a_slip():
    found = _read_twice({"GREENLEAF": ("GREENLEAE", "GREENLEAF"), "HARDWARE": ("HARDWARE", "HARDW4RE")})
    by_reading = {c.reading: c.value for c in found["vendor"] if c.rows == (0,)}
    assert by_reading == {"tesseract": "GREENLEAE HARDWARE SDN BHD", "second": "GREENLEAF HARDWARE SDN BHD"}
    # an address keeps each reading's own words
    assert any("HARDW4RE" in c.value for c in found["vendor_address"] if c.reading == "second")


def test_each_reading_of_a_span_is_compared_with_its_twin():
    found = _read_twice({"SDN": ("SDN", ""), "BHD": ("BHD", "")})  # the second reader saw no letters there
    first = {c.reading: c.features for c in found["vendor"] if c.rows == (0,) and c.features["rows"] == 1.0}
    assert first["second"]["twin_differs"] == 1.0 and first["second"]["twin_legal_end"] == 1.0
    assert first["second"]["twin_letters"] == 6.0 and first["second"]["twin_slips"] == 0.0
    assert first["second"]["twin_looks_better"] == 1.0 and first["tesseract"]["twin_looks_better"] == 0.0
    once = next(c for c in found["vendor"] if c.rows and c.rows[0] > 0 and c.reading == "tesseract"
                and not any(w.second for w in c.words))
    assert math.isnan(once.features["twin_differs"])
