"""ocr.fields.select: the subtotal, tax and rounding that go with the chosen total."""

from datetime import date

from ocr.config import ExtractionConfig
from ocr.fields.amounts import amounts_of, total_candidates
from ocr.fields.extract import document_of
from ocr.fields.select import LABEL_CONFIDENCE, parts_of
from tests.ocr.words import page, words_at

CONFIG = ExtractionConfig(today=date(2024, 6, 1))


def parts(rows, total):
    doc = document_of([page([words_at(20, (10, "KEDAI")), *rows])], CONFIG)
    chosen = next(c for c in total_candidates(doc) if c.value == total)
    return {name: (c.value, c.confidence) for name, c in parts_of(doc, chosen, amounts_of(doc)).items()}


def test_the_parts_that_add_up_to_the_total_are_chosen():
    rows = [words_at(60, (10, "SUBTOTAL"), (300, "10.03")), words_at(85, (10, "ROUNDING ADJ"), (300, "-0.03")),
            words_at(110, (10, "TOTAL"), (300, "10.00"))]
    assert parts(rows, "10.00") == {"subtotal": ("10.03", 0.9), "rounding": ("-0.03", 0.9)}


def test_the_rounding_of_a_total_to_the_rounded_total_is_chosen():
    rows = [words_at(60, (10, "TOTAL INCL GST"), (300, "48.16")), words_at(85, (10, "ROUNDING ADJ"), (300, "-0.01")),
            words_at(110, (10, "ROUNDING ADJ"), (300, "0.04")), words_at(135, (10, "NET TOTAL"), (300, "48.15"))]
    assert parts(rows, "48.15") == {"rounding": ("-0.01", 0.9)}
    assert parts(rows, "48.16") == {"rounding": ("0.04", LABEL_CONFIDENCE["rounding"])}  # none adds up: the lowest


def test_a_rounding_row_that_holds_the_rounded_total_is_no_rounding():
    rows = [words_at(60, (10, "TOTAL SALES"), (300, "22.91")),
            words_at(85, (10, "ROUNDING ADJUSTMENT"), (300, "-, 01")), words_at(110, (10, "ROUNDING"), (300, "22.90"))]
    assert parts(rows, "22.90") == {"rounding": ("-0.01", 0.9)}
    alone = [words_at(60, (10, "TOTAL SALES"), (300, "22.91")), words_at(110, (10, "ROUNDING"), (300, "22.90"))]
    assert parts(alone, "22.91") == {}


def test_the_best_labelled_part_is_as_sure_as_its_kind_measures():
    rows = [words_at(60, (10, "SUBTOTAL"), (300, "10.00")), words_at(85, (10, "SERVICE TAX"), (300, "0.60")),
            words_at(110, (10, "TOTAL"), (300, "12.00"))]  # nothing adds up to the total
    assert parts(rows, "12.00") == {"subtotal": ("10.00", LABEL_CONFIDENCE["subtotal"]),
                                    "tax": ("0.60", LABEL_CONFIDENCE["tax"])}
