"""Adding a field is one catalogue entry plus its extraction (docs/architecture.md, "Adding a field").

A test-only entry, a tip, joins ocr.catalogue.FIELDS and nothing else changes: it reaches the review form (label,
widget, validation), the required-field checks, the CSV export (as a number column) and the evaluation's scores.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

import ui
from ocr import catalogue
from ocr.catalogue import FieldSpec, Kind
from ocr.evaluate import ReceiptResult, load_gold, summarize, summary_table
from services import export
from storage.db import session_factory
from storage.models import Status
from tests.seeding import FIELDS as SEEDED
from tests.seeding import make_document
from tests.signin import signed_in_app

TIP = FieldSpec("tip", "Tip", Kind.AMOUNT, required=True, scored_as="tip")


@pytest.fixture(autouse=True)
def with_a_tip(monkeypatch):
    monkeypatch.setattr(catalogue, "FIELDS", catalogue.FIELDS.with_field(TIP))


def test_the_csv_export_has_a_tip_column_that_keeps_numbers(migrated):
    with session_factory(migrated).begin() as session:
        make_document(session, status=Status.APPROVED, fields={**SEEDED, "tip": "-1.50"})
    batch = export.export_batch(settings=migrated)
    data = export.batch_file(batch.id, export.ExportFile.DOCUMENTS_CSV, settings=migrated)
    header, row = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    assert header[header.index("payment_method") + 1] == "tip"  # after the fields before it, before the status
    assert dict(zip(header, row, strict=True))["tip"] == "-1.50"  # a number column: no formula quote


def test_the_review_form_edits_validates_and_requires_it(migrated):
    with session_factory(migrated).begin() as session:
        document_id = make_document(session).id  # read without a tip
    app = signed_in_app(migrated, "reviewer")
    app.switch_page("pages/review.py").run()
    tip = next(t for t in app.text_input if t.label == "Tip")
    assert (tip.value, tip.placeholder) == ("", "e.g. 12.50")  # an amount's placeholder

    app.text_input(key=f"{document_id}-1-vendor").set_value("GREENLEAF HARDWARE")
    [b for b in app.button if b.label == "Save"][0].click().run()
    assert any("no tip found on the receipt" in t.value for t in app.text)  # required: a flag

    app.text_input(key=f"{document_id}-2-tip").set_value("2,5O")
    [b for b in app.button if b.label == "Save"][0].click().run()
    assert ui.plain("tip: '2,5O' is not an amount; write it like 12.50") in app.error[0].value

    app.switch_page("pages/review.py").run()
    app.text_input(key=f"{document_id}-2-tip").set_value("2.5")
    [b for b in app.button if b.label == "Save"][0].click().run()
    assert "Saved" in app.toast[0].value and "tip" in app.toast[0].value
    assert app.text_input(key=f"{document_id}-3-tip").value == "2.50"
    assert not any("no tip found" in t.value for t in app.text)


def test_the_evaluation_scores_it_from_the_labelled_key(tmp_path):
    key = tmp_path / "001.json"
    key.write_text(json.dumps({"company": "SHOP", "total": "9.90", "tip": "RM 1.00"}), encoding="utf-8")
    gold = load_gold(key)
    assert gold["tip"] == "RM 1.00"
    right = ReceiptResult("001", gold, {"vendor": "SHOP", "total": "9.90", "tip": "1.00"})
    wrong = ReceiptResult("002", gold, {"vendor": "SHOP", "total": "9.90", "tip": "10.00"})
    summary = summarize([right, wrong])
    assert summary.accuracy["tip"] == 0.5
    table = summary_table({"all": summary})
    assert "| accuracy tip | 0.500 |" in table and "F1 (5 fields)" in table
