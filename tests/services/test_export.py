import io
from datetime import date, datetime

import hypothesis
import pytest
from openpyxl import load_workbook

from errors import InputError, PermissionDenied
from services import export, review
from services.export import ExportFile, ExportFilter, ExportState
from storage.db import session_factory
from storage.models import AuditEvent
from tests.dates import todays
from tests.exported import csv_rows
from tests.seeding import make_document, seed_export_mix
from tests.signin import add

EVERY_DATE = dict(since=None, until=None)


def test_approved_documents_in_the_date_range_fall_back_to_the_upload_day(migrated):
    ids = seed_export_mix(migrated)
    march = ExportFilter(since=date(2024, 3, 1), until=date(2024, 3, 31))
    shown = export.preview(march, settings=migrated)
    assert shown.total == 2 and {r["id"] for r in shown.rows} == {ids["march"], ids["no_date"]}
    both = ExportFilter(statuses=("approved", "needs_review"), since=date(2024, 3, 14), until=date(2024, 3, 14))
    assert {r["id"] for r in export.preview(both, settings=migrated).rows} == {ids["march"], ids["waiting"]}
    assert export.preview(ExportFilter(statuses=()), settings=migrated).total == 0


def test_a_batch_neutralises_formulas_records_what_left_and_downloads_again_byte_for_byte(migrated):
    ids = seed_export_mix(migrated)
    accountant = add(migrated, "acc")
    batch = export.export_batch(ExportFilter(), bom=True, user=accountant, settings=migrated)
    assert batch.rows == 3 and set(batch.document_ids) == {ids["march"], ids["april"], ids["no_date"]}
    assert batch.user == "acc" and batch.checksum == batch.files[ExportFile.DOCUMENTS_CSV]
    documents = export.batch_file(batch.id, ExportFile.DOCUMENTS_CSV, user=accountant, settings=migrated)
    assert documents.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = {int(r["id"]): r for r in csv_rows(documents)}
    assert rows[ids["april"]]["vendor"] == "'=cmd|' /C calc'!A0"
    assert rows[ids["april"]]["total"] == "-5.00"  # a negative amount stays a number
    assert rows[ids["march"]]["total"] == "42.95" and rows[ids["march"]]["date"] == "2024-03-14"
    assert rows[ids["march"]]["reviewed_by"] == "rita"
    items = csv_rows(export.batch_file(batch.id, ExportFile.ITEMS_CSV, user=accountant, settings=migrated))
    assert len(items) == 9 and items[0]["description"] == "CABLE TIE 100PCS" and items[0]["amount"] == "12.00"
    for kind in ExportFile:
        first = export.batch_file(batch.id, kind, user=accountant, settings=migrated)
        assert export.batch_file(batch.id, kind, user=accountant, settings=migrated) == first

    # Nothing new: the default selection is "approved and not yet exported".
    assert export.preview(settings=migrated).total == 0
    with pytest.raises(InputError) as nothing:
        export.export_batch(user=accountant, settings=migrated)
    assert nothing.value.code == "nothing_to_export"
    assert [b.id for b in export.list_batches(user=accountant, settings=migrated).rows] == [batch.id]
    with session_factory(migrated).begin() as session:
        event = session.query(AuditEvent).filter_by(action="export").one()
        assert event.user == "acc" and event.details["documents"] == batch.document_ids
        assert event.details["columns"] == batch.columns and "vendor" in batch.columns
        assert session.query(AuditEvent).filter_by(action="export_download").count() == 2 + 2 * len(ExportFile)


def test_the_xlsx_has_typed_dates_and_numbers_and_no_formula(migrated):
    ids = seed_export_mix(migrated)
    batch = export.export_batch(settings=migrated)
    book = load_workbook(io.BytesIO(export.batch_file(batch.id, ExportFile.XLSX, settings=migrated)))
    assert book.sheetnames == ["Documents", "Line items"]
    sheet = book["Documents"]
    header = [c.value for c in sheet[1]]
    rows = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    april = rows[ids["april"]]
    assert april["date"].value == datetime(2024, 4, 2) and april["date"].number_format == "yyyy-mm-dd"
    assert float(april["total"].value) == -5.0 and april["total"].data_type == "n"
    assert april["vendor"].value == "=cmd|' /C calc'!A0" and april["vendor"].data_type == "s"
    assert april["vendor"].quotePrefix  # text, and stays text when edited in Excel
    assert isinstance(rows[ids["march"]]["uploaded_at"].value, datetime)
    assert book["Line items"].max_row == 1 + 9


def test_changes_after_an_export_mark_the_document_until_it_is_exported_again(migrated):
    ids = seed_export_mix(migrated)
    add(migrated, "rita")
    first = export.export_batch(settings=migrated)
    view = review.open_document(ids["march"], settings=migrated)
    assert (view.export_batch, view.changed_since_export) == (first.id, False)

    saved = review.save(ids["march"], view.version, {"total": "43.00"}, user="rita", settings=migrated)
    assert saved.exported_in == first.id
    again = review.approve(ids["march"], saved.version, override="the shop charged 43.00", user="rita",
                           settings=migrated)  # 43.00 breaks the sum: approved with a reason
    assert again.exported_in == first.id
    assert review.open_document(ids["march"], settings=migrated).changed_since_export
    changed = ExportFilter(state=ExportState.CHANGED)
    shown = export.preview(changed, settings=migrated)
    assert [r["id"] for r in shown.rows] == [ids["march"]] and shown.changed == 1
    assert export.preview(settings=migrated).total == 0  # not "new"

    second = export.export_batch(changed, settings=migrated)
    assert second.document_ids == [ids["march"]]
    assert csv_rows(export.batch_file(second.id, ExportFile.DOCUMENTS_CSV, settings=migrated))[0]["total"] == "43.00"
    assert export.preview(changed, settings=migrated).changed == 0
    # The first batch still holds what was delivered then.
    assert {r["total"] for r in csv_rows(export.batch_file(first.id, ExportFile.DOCUMENTS_CSV, settings=migrated))
            } == {"42.95", "-5.00", "1.00"}
    every = export.preview(ExportFilter(state=None, **EVERY_DATE), settings=migrated)
    assert every.total == 3


def test_a_selection_exports_exactly_those_documents(migrated):
    ids = seed_export_mix(migrated)
    chosen = ExportFilter(state=None, document_ids=(ids["april"], ids["waiting"]))
    assert export.export_batch(chosen, settings=migrated).document_ids == [ids["april"]]  # approved ones only
    assert export.preview(ExportFilter(document_ids=()), settings=migrated).total == 0


def test_only_roles_that_may_export_can(migrated):
    seed_export_mix(migrated)
    uploader = add(migrated, "una", "uploader")
    for call in (lambda: export.preview(user=uploader, settings=migrated),
                 lambda: export.export_batch(user=uploader, settings=migrated),
                 lambda: export.list_batches(user=uploader, settings=migrated)):
        with pytest.raises(PermissionDenied):
            call()
    batch = export.export_batch(settings=migrated)
    with pytest.raises(PermissionDenied):
        export.batch_file(batch.id, ExportFile.DOCUMENTS_CSV, user=uploader, settings=migrated)
    with session_factory(migrated).begin() as session:
        assert session.query(AuditEvent).filter_by(user=uploader).count() == 0


def test_a_batch_whose_file_is_gone_says_so(migrated):
    seed_export_mix(migrated)
    batch = export.export_batch(settings=migrated)
    (migrated.blob_dir / batch.checksum[:2] / batch.checksum[2:4] / batch.checksum).unlink()
    with pytest.raises(InputError) as missing:
        export.batch_file(batch.id, ExportFile.DOCUMENTS_CSV, settings=migrated)
    assert missing.value.code == "export_file_missing" and "restore the data folder" in missing.value.message


@hypothesis.settings(max_examples=100, deadline=None)
@hypothesis.given(todays())
def test_date_presets_end_by_today_whatever_today_is(today):
    for name, (since, until) in export.date_presets(today).items():
        if name != "All dates":
            assert since <= until <= today and (today - since).days <= 366


def test_an_approval_override_and_its_reason_are_exported(migrated):
    add(migrated, "rita")
    with session_factory(migrated).begin() as session:
        document_id = make_document(session, fields={"vendor": "SHOP", "total": "1.00"}, items=False).id
    review.approve(document_id, 1, {}, override="date torn off; total checked by phone", user="rita",
                   settings=migrated)
    batch = export.export_batch(settings=migrated)
    [row] = csv_rows(export.batch_file(batch.id, ExportFile.DOCUMENTS_CSV, settings=migrated))
    assert row["approval_override"] == "date torn off; total checked by phone"
