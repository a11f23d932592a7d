"""The audit trail: one event per action, with who did it; listing, filtering and paging for admins."""

from datetime import date, timedelta

import pytest

from errors import PermissionDenied, SignInError
from services import audit, export, ingest, review, sessions, users
from storage import repository
from storage.db import session_factory
from storage.models import AuditEvent, Document, FieldRevision, utcnow
from tests.exported import csv_rows
from tests.receipts import encode, sample_receipt
from tests.seeding import make_document
from tests.signin import PASSWORD, add


def events(settings) -> list[tuple[str, str | None, int | None, dict]]:
    with session_factory(settings).begin() as session:
        events = session.query(AuditEvent).order_by(AuditEvent.id)
        return [(e.action, e.user, e.document_id, dict(e.details)) for e in events]


@pytest.fixture
def people(migrated, monkeypatch):
    from services import queue

    monkeypatch.setattr(queue, "enqueue", lambda *a, **k: None)
    add(migrated, "boss", "admin")
    add(migrated, "una", "uploader")
    add(migrated, "rita", "reviewer")
    return migrated


def test_every_action_leaves_one_event_with_its_user(people):
    settings = people
    start = len(events(settings))
    users.sign_in("rita", PASSWORD, settings=settings)
    with pytest.raises(SignInError):
        users.sign_in("rita", "wrong-password!", settings=settings)
    started, _ = sessions.start("rita", settings=settings)
    sessions.end(started.id, settings=settings)

    uploaded = ingest.ingest_file(encode(sample_receipt().image), "r.png", user="una", settings=settings)
    with session_factory(settings).begin() as session:
        assert session.get(Document, uploaded.document_id).uploaded_by == "una"
        first = make_document(session, settings).id
        second = make_document(session, settings).id
    saved = review.save(first, 1, {"total": "49.00"}, user="rita", settings=settings)
    review.approve(first, saved.version, {}, override="the shop's own sum", user="rita", settings=settings)
    review.reject(second, 1, "not a receipt", user="rita", settings=settings)
    review.reprocess(second, user="rita", settings=settings)
    batch = export.export_batch(export.ExportFilter(since=date(2024, 1, 1), until=None), user="rita",
                                settings=settings)
    export.batch_file(batch.id, export.ExportFile.XLSX, user="rita", settings=settings)
    users.add_user("newbie", "uploader", "a-long-password", user="boss", settings=settings)
    users.set_role("newbie", "reviewer", user="boss", settings=settings)
    users.set_active("newbie", False, user="boss", settings=settings)
    users.reset_password("newbie", user="boss", settings=settings)

    trail = events(settings)[start:]
    assert [(action, user) for action, user, _, _ in trail] == [
        ("sign_in", "rita"), ("sign_in_failed", "rita"), ("sign_out", "rita"), ("upload", "una"),
        ("review_save", "rita"), ("approve", "rita"), ("reject", "rita"), ("reprocess", "rita"), ("export", "rita"),
        ("export_download", "rita"), ("user_added", "boss"), ("role_changed", "boss"), ("user_disabled", "boss"),
        ("password_reset", "boss")]
    by_action = {action: (document_id, details) for action, _, document_id, details in trail}
    assert by_action["upload"][0] == uploaded.document_id
    assert by_action["review_save"] == (first, {"fields": ["total"],
                                                "changes": [{"field": "total", "old": "42.95", "new": "49.00"}]})
    assert by_action["approve"][1]["override"] == "the shop's own sum" and by_action["approve"][1]["problems"]
    assert by_action["reject"][1]["reason"] == "not a receipt"
    exported = by_action["export"][1]
    assert (exported["what"], exported["batch"], exported["documents"], exported["rows"]) == (
        "documents", batch.id, [first], 1)
    assert exported["columns"][:3] == ["id", "file", "vendor"] and exported["filters"]["statuses"] == ["approved"]
    assert exported["filters"]["since"] == "2024-01-01" and exported["filters"]["state"] == "not_exported"
    assert by_action["export_download"][1] | {} == {"what": "documents", "batch": batch.id, "file": "xlsx",
                                                    "documents": [first], "columns": exported["columns"],
                                                    "checksum": batch.files["xlsx"]}
    assert by_action["user_added"][1] == {"target": "newbie", "role": "uploader"}
    assert "password" not in str(trail).replace("password_reset", "")
    with session_factory(settings).begin() as session:
        assert [r.user for r in session.query(FieldRevision)] == ["rita"]


def test_list_filters_by_user_action_and_dates_and_pages(people):
    settings = people
    for _ in range(3):
        users.sign_in("rita", PASSWORD, settings=settings)
    with session_factory(settings).begin() as session:
        old = repository.add_audit(session, "sign_in", user="una")
        old.at = utcnow() - timedelta(days=10)
    today = utcnow().date()

    rita = audit.list_events(audit.AuditFilter(user="rita"), user="boss", settings=settings)
    assert rita.total == 3 and {r.action for r in rita.rows} == {"sign_in"}
    people, actions = audit.filter_choices(user="boss", settings=settings)
    assert {"sign_in", "user_added"} <= set(actions) and set(people) == {"rita", "una"}
    sign_ins = audit.list_events(audit.AuditFilter(action="sign_in"), user="boss", settings=settings)
    assert sign_ins.total == 4 and sign_ins.rows[0].at >= sign_ins.rows[-1].at  # newest first
    recent = audit.list_events(audit.AuditFilter(action="sign_in", since=today - timedelta(days=1), until=today),
                               user="boss", settings=settings)
    assert recent.total == 3
    older = audit.list_events(audit.AuditFilter(until=today - timedelta(days=5)), user="boss", settings=settings)
    assert [(r.user, r.action) for r in older.rows] == [("una", "sign_in")]
    paged = audit.list_events(page=2, page_size=2, user="boss", settings=settings)
    assert (paged.page, paged.pages, len(paged.rows)) == (2, 4, 2)  # 3 users added, 4 sign-ins
    assert audit.list_events(page=99, page_size=2, user="boss", settings=settings).page == 4


def test_kinds_leave_out_sign_ins_by_default_and_a_correction_reads_old_to_new(people):
    settings = people
    users.sign_in("rita", PASSWORD, settings=settings)
    with session_factory(settings).begin() as session:
        document_id = make_document(session, settings).id
    review.save(document_id, 1, {"total": "49.00", "vendor": ""}, user="rita", settings=settings)

    shown = audit.list_events(audit.AuditFilter(kinds=audit.DEFAULT_KINDS), user="boss", settings=settings)
    assert "sign_in" not in {r.action for r in shown.rows}
    assert {r.action for r in shown.rows} == {"review_save", "user_added"}  # admin actions are the unlisted ones
    correction = next(r for r in shown.rows if r.action == "review_save")
    assert correction.kind is audit.AuditKind.REVIEW and correction.user == "rita"
    assert correction.summary == "total: 42.95 → 49.00; vendor: GREENLEAF HARDWARE SDN BHD → (empty)"
    only = lambda *kinds: {r.action for r in audit.list_events(  # noqa: E731
        audit.AuditFilter(kinds=kinds), user="boss", settings=settings).rows}
    assert only("sign_in") == {"sign_in"}
    assert only("admin") == {"user_added"}
    assert only("review", "sign_in") == {"review_save", "sign_in"}


def test_the_audit_csv_leaves_through_the_export_path(people):
    settings = people
    with pytest.raises(SignInError):  # a failed sign-in records the name as typed
        users.sign_in(" =HYPERLINK(\"http://x\")", "wrong-password!", settings=settings)
    with session_factory(settings).begin() as session:
        repository.add_audit(session, "reject", user="rita", document_id=7, reason="blurred")
    with pytest.raises(PermissionDenied):
        export.audit_csv(user="rita", settings=settings)
    data = export.audit_csv(audit.AuditFilter(kinds=("review", "sign_in")), bom=True, user="boss", settings=settings)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(data)
    assert [(r["action"], r["kind"], r["document_id"], r["summary"]) for r in rows] == [
        ("reject", "review", "7", "reason=blurred"), ("sign_in_failed", "sign_in", "", "")]
    assert rows[1]["user"].startswith("'")  # the name as typed, neutralised
    last = events(settings)[-1]
    assert last[:2] == ("export", "boss")
    assert last[3] | {} == {"what": "audit", "documents": [7], "columns": list(export.AUDIT_COLUMNS), "rows": 2,
                            "filters": {"user": None, "action": None, "since": None, "until": None,
                                        "kinds": ["review", "sign_in"]}}
