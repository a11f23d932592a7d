import csv
import io
from datetime import UTC, date, datetime

import hypothesis

from services import export
from storage.db import session_factory
from storage.models import AuditEvent, Status
from tests.dates import todays
from tests.seeding import make_document
from tests.signin import add


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def seed_mix(settings) -> dict[str, int]:
    with session_factory(settings).begin() as session:
        ids = {
            "march": make_document(session, status=Status.APPROVED, reviewed_by="rita").id,
            "april": make_document(session, status=Status.APPROVED,
                                   fields={"vendor": "=cmd|' /C calc'!A0", "date": "2024-04-02", "total": "-5.00"}).id,
            "no_date": make_document(session, status=Status.APPROVED, fields={"vendor": "X", "total": "1.00"},
                                     created_at=datetime(2024, 3, 20, 10, tzinfo=UTC)).id,
            "waiting": make_document(session, status=Status.NEEDS_REVIEW).id,
        }
    return ids


def test_approved_documents_in_the_date_range_fall_back_to_the_upload_day(migrated):
    ids = seed_mix(migrated)
    march = export.ExportFilter(since=date(2024, 3, 1), until=date(2024, 3, 31))
    rows, total = export.preview(march, settings=migrated)
    assert total == 2 and {r["id"] for r in rows} == {ids["march"], ids["no_date"]}
    both = export.ExportFilter(statuses=("approved", "needs_review"), since=date(2024, 3, 14), until=date(2024, 3, 14))
    assert {r["id"] for r in export.preview(both, settings=migrated)[0]} == {ids["march"], ids["waiting"]}
    assert export.preview(export.ExportFilter(statuses=()), settings=migrated) == ([], 0)


def test_export_csv_neutralises_formulas_and_is_audited(migrated):
    ids = seed_mix(migrated)
    files = export.export_csv(export.ExportFilter(since=date(2024, 1, 1), until=date(2024, 12, 31)),
                              with_items=True, user=add(migrated, "acc"), settings=migrated)
    assert files.rows == 3
    rows = {int(r["id"]): r for r in rows_of(files.documents_csv)}
    assert rows[ids["april"]]["vendor"] == "'=cmd|' /C calc'!A0"
    assert rows[ids["april"]]["total"] == "-5.00"  # a negative amount stays a number
    assert rows[ids["march"]]["total"] == "42.95" and rows[ids["march"]]["date"] == "2024-03-14"
    assert rows[ids["march"]]["reviewed_by"] == "rita"
    items = rows_of(files.items_csv)
    assert len(items) == 9 and items[0]["description"] == "CABLE TIE 100PCS" and items[0]["amount"] == "12.00"
    with session_factory(migrated).begin() as session:
        event = session.query(AuditEvent).filter_by(action="export").one()
        assert event.user == "acc" and event.details["rows"] == 3 and event.details["since"] == "2024-01-01"


def test_cli_export_writes_both_files(migrated, tmp_path):
    from typer.testing import CliRunner

    from cli import app

    seed_mix(migrated)
    out, items = tmp_path / "docs.csv", tmp_path / "items.csv"
    result = CliRunner().invoke(app, ["export", "--csv", str(out), "--status", "approved", "--since", "2024-03-01",
                                      "--until", "2024-03-31", "--items", str(items)])
    assert result.exit_code == 0, result.output
    assert "exported 2 documents" in result.output
    assert len(rows_of(out.read_bytes())) == 2 and len(rows_of(items.read_bytes())) == 6
    bad = CliRunner().invoke(app, ["export", "--csv", str(out), "--since", "14/03/2024"])
    assert bad.exit_code == 2


@hypothesis.settings(max_examples=100, deadline=None)
@hypothesis.given(todays())
def test_date_presets_end_today_whatever_today_is(today):
    presets = export.date_presets(today)
    for name, (since, until) in presets.items():
        if name != "All dates":
            assert since <= until == today and (today - since).days <= 366
