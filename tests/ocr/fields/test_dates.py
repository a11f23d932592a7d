"""ocr.fields.dates: every date a candidate, with its label, shape and how often the day is printed."""

from datetime import date

import pytest

from ocr.config import ExtractionConfig
from ocr.fields.dates import TIME_BY_DATE_OR_LABEL, TIME_ELSEWHERE, date_candidates, shape, time_candidate
from ocr.fields.extract import document_of
from tests.ocr.words import page, words_at

CONFIG = ExtractionConfig(today=date(2024, 6, 1))


@pytest.mark.parametrize("raw, expected", [("25/12/2018", "99/99/9999"), ("12 Jan 2019", "99AAA9999"),
                                           ("2024-03-14", "9999-99-99")])
def test_the_shape_of_a_printed_date(raw, expected):
    assert shape(raw) == expected


def test_dates_with_their_labels_and_plausibility():
    doc = document_of([page([words_at(20, (10, "KEDAI")), words_at(60, (10, "DATE: 14/03/2024 TIME: 14:32")),
                             words_at(85, (10, "BEST BEFORE 01/05/2024")), words_at(110, (10, "14/03/2024"))])],
                      CONFIG)
    found = date_candidates(doc, "DMY", CONFIG.today)
    assert [c.value for c in found] == ["2024-03-14", "2024-05-01", "2024-03-14"]
    labelled, expiry, repeat = found
    assert labelled.features["date_label"] == 1.0 and labelled.features["time_on_row"] == 1.0
    assert labelled.features["same_day"] == 2.0 and repeat.features["date_label"] == 0.0
    assert expiry.features["not_date_label"] == 1.0 and expiry.features["plausible"] == 1.0
    time = time_candidate(doc, labelled.row)
    assert time.value == "14:32" and time.row == labelled.row and time.confidence == TIME_BY_DATE_OR_LABEL


def test_a_time_is_as_sure_as_where_it_was_printed():
    def time(*rows):
        doc = document_of([page([words_at(20 + 25 * n, (10, text)) for n, text in enumerate(rows)])], CONFIG)
        dated = date_candidates(doc, "DMY", CONFIG.today)
        return time_candidate(doc, dated[0].row if dated else None)

    assert time("KEDAI", "14/03/2024 14:32").confidence == TIME_BY_DATE_OR_LABEL  # on the date's row
    assert time("KEDAI", "14/03/2024", "TIME 14:32").confidence == TIME_BY_DATE_OR_LABEL
    assert time("KEDAI", "14/03/2024", "CASHIER 3 14:32").confidence == TIME_ELSEWHERE
    assert time("KEDAI", "14/03/2024", "PARKING DURATION 2:30").confidence < 0.7  # flagged for a check


def test_the_date_order_reads_ambiguous_dates():
    doc = document_of([page([words_at(20, (10, "DATE: 03/04/2019"))])], CONFIG)
    assert date_candidates(doc, "DMY", CONFIG.today)[0].value == "2019-04-03"
    assert date_candidates(doc, "MDY", CONFIG.today)[0].value == "2019-03-04"
    assert date_candidates(doc, "DMY", CONFIG.today)[0].features["ambiguous"] == 1.0
