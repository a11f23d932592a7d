"""ocr.fields.amounts: every amount a candidate total, with what its label says and how the other amounts agree."""

import math
from dataclasses import replace
from datetime import date

from ocr.config import ExtractionConfig
from ocr.fields.amounts import amounts_of, total_candidates
from ocr.fields.extract import document_of
from tests.ocr.words import page, receipt, words_at

CONFIG = ExtractionConfig(today=date(2024, 6, 1))


def candidates(pages):
    return total_candidates(document_of(pages, CONFIG))


def by_value(found):
    return {c.value: c for c in found if not c.features["derived"]}


def test_every_amount_is_a_candidate_with_its_labels_kind():
    found = by_value(candidates([receipt()]))
    assert {"12.00", "40.50", "2.43", "0.02", "42.95", "50.00", "7.05"} <= set(found)
    total, subtotal = found["42.95"], found["40.50"]
    assert total.features["kind_total"] == 1.0 and subtotal.features["kind_subtotal"] == 1.0
    assert total.features["sum_agrees"] == 1.0 and total.features["change_agrees"] == 1.0
    assert total.features["last_total"] == 1.0 and subtotal.features["sum_agrees"] == 0.0
    assert total.raw == "TOTAL 42.95" and [w.text for w in total.words] == ["42.95"]


def test_an_amount_under_its_label_takes_the_label():
    found = by_value(candidates([page([words_at(20, (10, "KEDAI")), words_at(60, (10, "GRAND TOTAL")),
                                      words_at(85, (300, "15.40"))])]))
    assert found["15.40"].features["kind_total"] == 1.0 and found["15.40"].features["label_above"] == 1.0


def test_a_rounding_only_its_label_lets_read_takes_part_in_the_sums():
    rows = [words_at(20, (10, "KEDAI")), words_at(60, (10, "SUBTOTAL"), (300, "10.03")),
            words_at(85, (10, "ROUNDING ADJ"), (300, "-, 03")), words_at(110, (10, "TOTAL"), (300, "10.00"))]
    rounding = [a for a in amounts_of(document_of([page(rows)], CONFIG)) if a.kind == "rounding"]
    assert [(str(a.value), a.raw) for a in rounding] == [("-0.03", "-, 03")]
    assert by_value(candidates([page(rows)]))["10.00"].features["sum_agrees"] == 1.0
    under = [*rows[:3], words_at(110, (300, "10.00"))]  # the rounded total's label lost: it takes no 'rounding'
    assert by_value(candidates([page(under)]))["10.00"].features["kind_rounding"] == 0.0
    no_label = [words_at(20, (10, "KEDAI")), words_at(60, (10, "TABLE"), (300, "-, 03"))]
    assert not amounts_of(document_of([page(no_label)], CONFIG))  # only a rounding's label says it is one


def test_sums_of_other_amounts_are_candidates_too():
    rows = [words_at(20, (10, "KEDAI")), words_at(60, (10, "SUBTOTAL"), (300, "10.00")),
            words_at(85, (10, "GST 6%"), (300, "0.60")), words_at(110, (10, "CASH"), (300, "20.00")),
            words_at(135, (10, "CHANGE"), (300, "9.40"))]
    derived = {c.value: c for c in candidates([page(rows)]) if c.features["derived"]}
    assert derived["10.60"].features["derived"] == 1.0 and derived["10.60"].raw == "10.00 + 0.60"
    assert derived["10.60"].features["change_agrees"] == 1.0  # the sum and cash - change agree


def test_a_total_with_the_rounding_printed_below_it_gives_the_rounded_total():
    rows = [words_at(20, (10, "KEDAI")), words_at(60, (10, "TOTAL INCL GST"), (300, "48.16")),
            words_at(85, (10, "ROUNDING ADJ"), (300, "-0.01")), words_at(110, (10, "NET TOTAL"), (300, "4#.##"))]
    derived = {c.value: c for c in candidates([page(rows)]) if c.features["derived"]}
    assert derived["48.15"].features["derived"] == 3.0 and derived["48.15"].raw == "48.16 + -0.01"
    assert derived["48.15"].features["rounding_agrees"] == 1.0
    printed = [words_at(20, (10, "KEDAI")), *rows[1:3], words_at(110, (10, "ROUNDED TOTAL"), (300, "48.15"))]
    found = candidates([page(printed)])
    assert by_value(found)["48.15"].features["rounding_agrees"] == 1.0
    assert by_value(found)["48.16"].features["rounding_agrees"] == 0.0
    assert not [c for c in found if c.features["derived"] == 3.0]  # printed already: not derived again
    above = [rows[0], rows[2], words_at(110, (10, "TOTAL"), (300, "48.16"))]  # a rounding above the total
    assert not [c for c in candidates([page(above)]) if c.features["derived"] == 3.0]


def test_a_tax_summary_row_is_no_total():
    rows = [words_at(20, (10, "KEDAI")), words_at(60, (10, "Total 6% supplies:"), (300, "18.40")),
            words_at(85, (10, "Total Payable:"), (300, "23.77"))]
    found = by_value(candidates([page(rows)]))
    assert found["18.40"].features["kind_summary"] == 1.0 and found["18.40"].features["kind_total"] == 0.0
    assert found["23.77"].features["kind_total"] == 1.0


def test_each_reading_gives_its_amounts():
    misread = receipt(total="42.96")
    read_twice = replace(misread, words=tuple(replace(w, second="42.95", second_confidence=0.98) if w.text == "42.96"
                                              else w for w in misread.words))
    doc = document_of([read_twice], CONFIG)
    totals = {str(a.value): a.reading for a in amounts_of(doc) if a.kind == "total"}
    assert totals == {"42.96": "tesseract", "42.95": "second"}
    found = by_value(total_candidates(doc))
    assert found["42.95"].features["from_second"] == 1.0 and found["42.95"].words[0].text == "42.96"
    assert found["42.95"].features["sum_agrees"] == 1.0 and found["42.96"].features["sum_agrees"] == 0.0


def test_how_an_amount_adds_up_with_the_others():
    rows = [words_at(20, (10, "KEDAI")), words_at(50, (10, "ROTI"), (300, "3.10")),
            words_at(75, (10, "KOPI"), (300, "2.20")), words_at(100, (10, "Total 0% supplies:"), (300, "5.30")),
            words_at(125, (10, "Total 6% supplies:"), (300, "11.70")),
            words_at(150, (10, "Total Due:"), (300, "17.00")),
            words_at(175, (10, "Paud"), (300, "20.00")), words_at(200, (10, "CHANGE"), (300, "3.00"))]
    found = by_value(candidates([page(rows)]))
    due, summary, paid = found["17.00"], found["5.30"], found["20.00"]
    assert due.features["sum_of_above"] == 1.0 and due.features["part_of_below"] == 0.0
    assert summary.features["part_of_below"] == 1.0 and summary.features["items_sum"] == 1.0
    assert due.features["change_completes"] == 1.0 and due.features["less_change_printed"] == 0.0
    assert paid.features["less_change_printed"] == 1.0 and paid.features["change_completes"] == 0.0
    assert found["2.20"].features["items_sum"] == 0.0 and found["2.20"].features["sum_of_above"] == 0.0


def test_an_amount_the_two_readings_read_differently_says_so():
    misread = receipt(total="42.96")
    read_twice = replace(misread, words=tuple(replace(w, second="42.95", second_confidence=0.98) if w.text == "42.96"
                                              else w for w in misread.words))
    found = by_value(candidates([read_twice]))
    assert found["42.95"].features["readings_differ"] == 1.0 and found["42.96"].features["readings_differ"] == 1.0
    assert math.isnan(found["40.50"].features["readings_differ"])  # read once
