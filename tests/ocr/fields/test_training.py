"""ocr.fields.training: labelled receipts -> candidates with relevances -> LightGBM -> a calibrated ranker."""

from datetime import date

import numpy as np
import pytest

from ocr.config import ExtractionConfig
from ocr.fields.candidates import Candidate
from ocr.fields.extract import extract_fields
from ocr.fields.training import LabelledReceipt, calibrate, family_data, fit, grouped_folds, prepare, relevance, shop_of
from tests.ocr.words import SHOPS, shop_receipt

CONFIG = ExtractionConfig(today=date(2024, 6, 1))


def labelled(count: int) -> list[LabelledReceipt]:
    receipts = []
    for number in range(count):
        shop = number % len(SHOPS)
        pages, truth = shop_receipt(shop, f"{10 + number}.{number % 10}0", 1 + number % 28)
        receipts.append(LabelledReceipt(f"r{number}", shop_of(truth["vendor"]), (pages,), truth))
    return receipts


def test_relevance_is_3_for_the_value_and_graded_for_nearly_the_same_text():
    assert relevance("total", "12.50", "RM 12.50") == 3 and relevance("total", "12.05", "12.50") == 0
    assert relevance("date", "2024-03-14", "14/03/2024") == 3
    assert relevance("vendor", "GREENLEAF HARDWARE", "greenleaf  hardware") == 3
    assert relevance("vendor", "GREENLEAE HARDWARE", "GREENLEAF HARDWARE") == 2
    assert relevance("vendor", "GREENLEAF HARDWAR", "GREENLEAF HARDWARE SB") == 1
    assert relevance("vendor", "TAX INVOICE", "GREENLEAF HARDWARE") == 0 and relevance("vendor", "X", "") == 0


def test_a_shop_is_its_names_letters_and_digits():
    assert shop_of("Kedai Mawar (M) Sdn Bhd") == shop_of("KEDAI MAWAR (M) SDN. BHD.") == "KEDAIMAWARMSDNBHD"


def test_grouped_folds_never_split_a_shop():
    groups = ["a", "a", "b", "c", "c", "c", "d"]
    folds = grouped_folds(groups, 3, seed=0)
    assert sorted(i for _, test in folds for i in test) == list(range(len(groups)))
    for train, test in folds:
        assert not {groups[i] for i in train} & {groups[i] for i in test}
    assert folds == grouped_folds(groups, 3, seed=0) != grouped_folds(groups, 3, seed=1)


def test_every_receipt_is_read_cold_and_with_the_memory_of_its_shops_previous_one():
    prepared = prepare(labelled(6), CONFIG)
    data = family_data(prepared)
    assert len(data["total"].candidates) == 6 + 2  # shops 0 and 1 come twice: their second receipts read twice
    cold, remembered = data["vendor"].candidates[4], data["vendor"].candidates[5]
    assert np.isnan(cold[0].features["memory_vendor"]) and remembered[0].features["memory_vendor"] >= 0


def test_a_ranker_trained_on_a_few_receipts_reads_a_new_one_of_another_shop():
    ranker = fit(family_data(prepare(labelled(12), CONFIG)), seed=0, card={"seed": 0})
    pages, truth = shop_receipt(2, "77.70", 9)
    fields = extract_fields([pages], CONFIG, ranker).fields
    assert fields["total"].value == "77.70" and fields["date"].value == "2024-03-09"
    assert fields["vendor"].value == truth["vendor"]
    assert 0 <= fields["total"].confidence <= 1


def test_the_calibration_says_how_often_the_winner_is_right():
    def ranking(lead: float, agree: float) -> list[Candidate]:
        features = {"readings_agree": agree}
        return [Candidate("total", "9.00", "9.00", (), 0, 0, "tesseract", features, score=lead),
                Candidate("total", "1.00", "1.00", (), 0, 1, "tesseract", {}, score=0.0)]

    sure = [(ranking(5.0, 1.0), True)] * 40
    unsure = [(ranking(0.1, 1.0), ok) for ok in [True, False] * 20]
    misread = [(ranking(5.0, 0.0), ok) for ok in [True, False, False, False] * 5]  # the two readings disagree
    calibration = calibrate(sure + unsure + misread, ("ranking_lead", "readings_agree"))
    assert calibration.probability(ranking(5.0, 1.0)) > 0.9
    assert calibration.probability(ranking(0.1, 1.0)) == pytest.approx(0.5, abs=0.15)
    assert calibration.probability(ranking(5.0, 0.0)) < 0.4
    assert calibration.probability(ranking(5.0, float("nan"))) > calibration.probability(ranking(5.0, 0.0))
