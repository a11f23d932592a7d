from datetime import timedelta

from services import monitor
from storage import repository
from storage.db import session_factory
from storage.models import FieldRevision, ProcessingRun, utcnow
from tests.seeding import make_document


def test_health_summarises_runs_uploads_corrections_and_confidence(migrated):
    now = utcnow()
    with session_factory(migrated).begin() as session:
        document = make_document(session)
        for total, outcome, code in ((1000, "ok", None), (2000, "ok", None), (3000, "ok", None),
                                     (500, "failed", "damaged_file")):
            session.add(ProcessingRun(document_id=document.id, started_at=now, finished_at=now, outcome=outcome,
                                      error_code=code, total_ms=total, pages=1,
                                      step_ms={"ocr": total * 0.8, "deskew": total * 0.1}))
        for _ in range(3):
            repository.add_audit(session, "upload")
        repository.add_audit(session, "upload_refused")
        total_field = document.field("total")
        total_field.revisions.append(FieldRevision(old="42.95", new="42.90", user="rita", at=now))
        total_field.revisions.append(FieldRevision(old="1", new="2", user="rita", at=now - timedelta(days=400)))
    health = monitor.health(days=28, settings=migrated)
    assert health.success_rate == 0.75 and health.runs == 4
    assert health.failure_codes == {"damaged_file": 1}
    assert health.page_ms_p50 == 2000
    assert {s["step"] for s in health.steps} == {"ocr", "deskew"}
    assert health.refused_share == 0.25
    assert [c["field"] for c in health.corrections] == ["total"] and health.corrections[0]["corrections"] == 1
    assert health.confidence_by_day[0]["mean_confidence"] == 0.85
    assert health.queue_depth >= 0


def test_percentile():
    assert monitor.percentile([], 50) is None
    assert monitor.percentile([5], 95) == 5
    assert monitor.percentile(list(range(1, 101)), 50) == 50.5
