"""Scoring functions of the accuracy harness (pure), and the report, on a tiny hand-made folder."""

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from ocr import evaluate
from ocr.evaluate import (
    ReceiptResult,
    box_text,
    character_error_rate,
    field_correct,
    gold_amount,
    gold_date,
    load_gold,
    mistakes_table,
    percentile,
    render_report,
    summarize,
)
from ocr.types import RECALLED, Extraction, Flag


@pytest.mark.parametrize("name, gold, predicted, ok", [
    ("vendor", "ACME  TRADING SDN BHD", "Acme Trading Sdn Bhd", True),
    ("vendor", "ACME TRADING SDN BHD", "ACME TRADING SDN. BHD", False),
    ("vendor_address", "NO 1, JALAN SATU,\n40000 SHAH ALAM", "no 1, jalan satu, 40000 shah alam", True),
    ("date", "25/12/2018", "2018-12-25", True), ("date", "12-01-19", "2019-01-12", True),
    ("date", "02/13/2019", "2019-02-13", True), ("date", "20180304", "2018-03-04", True),
    ("date", "OCT 3, 2016", "2016-10-03", True), ("date", "12-01-19", "2019-12-01", False),
    ("total", "RM 8.60", "8.60", True), ("total", "$6.60", "6.60", True), ("total", "21.70", "21.7", True),
    ("total", "21.70", "21.72", False), ("total", "1,234.00", "1234.00", True), ("total", "9", "9.00", True),
    ("total", "21.70", None, False), ("vendor", "X", "", False),
])
def test_field_correct(name, gold, predicted, ok):
    assert field_correct(name, gold, predicted) is ok


def test_gold_parsers():
    assert gold_amount("RM3.00") == Decimal("3.00")
    assert gold_date("7/03/2018").isoformat() == "2018-03-07"


def test_cer_and_percentile():
    assert character_error_rate("abcd", "abcd") == 0
    assert character_error_rate("ab  cd", "ab cd") == 0
    assert character_error_rate("abcd", "abxd") == 0.25
    assert character_error_rate("", "x") == 1.0
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)


def result(name, vendor=None, date=None, total=None, gold_total="10.00", seconds=1.0):
    gold = {"vendor": "ACME SDN BHD", "vendor_address": "NO 1 JALAN", "date": "01/02/2019", "total": gold_total}
    return ReceiptResult(name, gold, {"vendor": vendor, "vendor_address": None, "date": date, "total": total},
                         raw={"total": f"TOTAL {total}"}, cer=0.1, seconds=seconds)


def test_summarize_precision_recall_f1():
    results = [result("a", vendor="ACME SDN BHD", date="2019-02-01", total="10.00"),
               result("b", vendor="WRONG", date=None, total="11.00", seconds=3.0)]
    summary = summarize(results)
    assert summary.accuracy == {"vendor": 0.5, "vendor_address": 0.0, "date": 0.5, "total": 0.5}
    # correct 3; predicted 5 (a: 3, b: vendor+total); gold 8
    assert summary.precision == pytest.approx(3 / 5)
    assert summary.recall == pytest.approx(3 / 8)
    assert summary.f1 == pytest.approx(2 * 0.6 * 0.375 / 0.975)
    assert summary.seconds_p50 == 2.0 and summary.cer == pytest.approx(0.1)


def test_summary_says_how_many_mistakes_and_correct_values_were_flagged():
    results = [replace(result("a", vendor="ACME SDN BHD", total="10.00"), flagged=frozenset({"total"})),
               replace(result("b", vendor="ACME SDN BHD", total="11.00"), flagged=frozenset({"total"})),
               replace(result("c", vendor="WRONG", total="12.00"), flagged=frozenset())]
    summary = summarize(results)
    assert summary.flags["total"] == (0.5, 1.0)  # mistakes b (flagged) and c (not); the right one, a, flagged
    assert summary.flags["vendor"] == (0.0, 0.0)
    # over every labelled field: 9 mistakes (no address or date read; b's total, c's vendor and total), b's total
    # flagged; 3 right values (a's vendor and total, b's vendor), a's total flagged
    assert summary.flags_overall == (pytest.approx(1 / 9), pytest.approx(1 / 3))
    report = render_report({"all": summary}, results)
    assert "flagged: mistakes / correct values, total | 0.50 / 1.00" in report
    assert "flagged: mistakes / correct values, all fields | 0.11 / 0.33" in report
    assert "| b | total | 10.00 | 11.00 | TOTAL 11.00 | yes |" in report and "| c | total | 10.00 | 12.00 |" in report


def test_a_recalled_vendor_note_is_not_a_warning():
    extraction = Extraction({}, flags=(Flag(RECALLED, "vendor as approved on document #3", ("vendor",)),
                                       Flag("low_confidence", "check these fields", ("total",))))
    assert evaluate.flagged_fields(extraction) == {"total"}


def test_unlabelled_field_is_not_scored():
    results = [result("a", total="5.00", gold_total="")]
    assert results[0].correct("total") is None
    assert summarize(results).accuracy["total"] == 0.0


def test_report_lists_mistakes_with_raw_text():
    results = [result("a", vendor="ACME SDN BHD", date="2019-02-01", total="10.00"),
               result("b", vendor="ACME SDN BHD", date="2019-02-01", total="11.00")]
    table = mistakes_table(results)
    assert "| b | total | 10.00 | 11.00 | TOTAL 11.00 | no |" in table
    report = render_report({"all": summarize(results), "first": summarize(results[:1])}, results,
                           command="python cli.py eval X", notes=["How the figures were made."])
    assert "python cli.py eval X" in report and "| metric | all | first |" in report and "F1" in report
    assert "How the figures were made." in report


def test_folder_helpers(tmp_path):
    (tmp_path / "key").mkdir()
    (tmp_path / "box").mkdir()
    (tmp_path / "img").mkdir()
    (tmp_path / "key" / "001.json").write_text(json.dumps({"company": "A", "date": "01/02/2019", "address": "B",
                                                           "total": "1.00"}))
    (tmp_path / "box" / "001.csv").write_text("1,2,3,4,5,6,7,8,HELLO, WORLD\n1,2,3,4,5,6,7,8,TOTAL 1.00\n")
    for name in ("002.jpg", "001.jpg", "notes.txt"):
        (tmp_path / "img" / name).write_bytes(b"")
    assert load_gold(tmp_path / "key" / "001.json") == {"vendor": "A", "vendor_address": "B", "date": "01/02/2019",
                                                        "total": "1.00"}
    assert box_text(tmp_path / "box" / "001.csv") == "HELLO, WORLD\nTOTAL 1.00"
    assert [p.name for p in evaluate.list_receipts(tmp_path)] == ["001.jpg", "002.jpg"]
    assert [p.name for p in evaluate.list_receipts(tmp_path, start=1, limit=5)] == ["002.jpg"]


def test_reading_scores_give_the_cer_against_the_box_text_and_the_ceiling():
    cer, in_text = evaluate.reading_scores({"vendor": "ACME", "total": "9.90"}, "ACME\nTOTAL 9.90", "ACME\nTOTAL 9.99")
    assert cer == pytest.approx(1 / 15) and in_text["vendor"] and in_text["total"] and not in_text["date"]
    assert evaluate.reading_scores({}, "ACME", "")[0] is None  # no box text: no CER


def test_readable_is_the_ocr_ceiling():
    text = "ACME  SDN BHD\nNO 1 JALAN\nDATE 01/02/2019\nTOTAL RM 10.00"
    assert evaluate.readable("vendor", "acme sdn bhd", text)
    assert evaluate.readable("date", "01/02/2019", text)
    assert evaluate.readable("total", "RM10.00", text)
    assert not evaluate.readable("total", "11.00", text)
    assert not evaluate.readable("vendor", "", text)
    results = [result("a", vendor="ACME SDN BHD")]
    results[0].in_text = {"vendor": True, "total": False}
    assert summarize(results).ceiling["vendor"] == 1.0 and summarize(results).ceiling["total"] == 0.0
