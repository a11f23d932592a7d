"""ocr.fields.memory: what an approved receipt teaches about its supplier, and the features it gives the next."""

import math
from datetime import date

from ocr.config import ExtractionConfig
from ocr.fields.extract import candidates_of, document_of
from ocr.fields.memory import FEATURES, Remembered, remember, with_memory
from tests.ocr.words import receipt, shop_receipt

CONFIG = ExtractionConfig(today=date(2024, 6, 1))


def test_an_approved_receipt_says_where_its_total_and_date_were_and_how_they_were_printed():
    doc = document_of([receipt()], CONFIG)
    truth = {"vendor": "GREENLEAF HARDWARE SDN BHD", "vendor_address": "12 JALAN CEMPAKA", "date": "14/03/2024",
             "total": "42.95"}
    known = remember(doc, truth, CONFIG.today)
    assert (known.vendor, known.address) == ("GREENLEAF HARDWARE SDN BHD", "12 JALAN CEMPAKA")
    assert known.total_label == "TOTAL" and 0.7 < known.total_position < 0.9  # the labelled row, not CASH - CHANGE
    assert known.date_shape == "99/99/9999" and known.date_position < 0.5
    nothing = remember(doc, {"vendor": "X", "total": "1.23"}, CONFIG.today)  # the approved total is not printed
    assert nothing.total_label is None and nothing.date_shape is None


def test_the_memory_gives_every_candidate_its_features_and_none_without_it():
    pages, truth = shop_receipt(0, "42.00", 3)
    doc = document_of([pages], CONFIG)
    found = candidates_of(doc, CONFIG)
    cold = with_memory(found, doc, None)
    assert all(math.isnan(c.features[name]) for cs in cold.values() for c in cs for name in FEATURES)
    known = Remembered(truth["vendor"], truth["vendor_address"], "TOTAL", 0.7, "99/99/9999", 0.3)
    warm = with_memory(found, doc, known)
    vendor = max(warm["vendor"], key=lambda c: c.features["memory_vendor"])
    assert vendor.value == truth["vendor"] and vendor.features["memory_vendor"] == 1.0
    total = max(warm["total"], key=lambda c: c.features["memory_total_label"])
    assert total.value == "42.00"
    assert all(c.features["memory_date_shape"] == 1.0 for c in warm["date"])
    assert found["total"][0].features.get("memory_total_label") is None  # the families' own candidates unchanged
