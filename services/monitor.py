"""Monitor: how healthy processing and review are, from ProcessingRun, AuditEvent and FieldRevision rows."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ocr.evaluate import percentile  # the one percentile helper (linear interpolation)
from services.access import Permission, use_case
from settings import Settings, get_settings
from storage import repository, space
from storage.models import RunOutcome, utcnow

log = logging.getLogger("docdesk.monitor")


@dataclass(frozen=True)
class Health:
    days: int
    runs: int
    success_rate: float | None  # ok / finished runs (retries count as not ok)
    outcomes: dict[str, int]
    failure_codes: dict[str, int]  # error code -> runs that ended failed or retried with it, most frequent first
    page_ms_p50: float | None
    page_ms_p95: float | None
    steps: list[dict[str, Any]]  # [{"step", "p50_ms", "p95_ms", "runs"}]
    queue_depth: int | None  # None: the queue could not be read
    uploads: int
    refused: int
    refused_share: float | None
    corrections: list[dict[str, Any]]  # [{"week": "2026-11-23", "field": "total", "corrections": 3}]
    confidence_by_day: list[dict[str, Any]]  # [{"day": "2026-11-28", "mean_confidence": 0.81, "documents": 4}]
    counts: dict[str, int] = field(default_factory=dict)
    disk_free_mb: int | None = None  # free space on the data folder's disk
    disk_full: bool = False  # below DOCDESK_MIN_FREE_MB: uploads are refused and processing waits


def _week(at: datetime) -> str:
    return (at.date() - timedelta(days=at.weekday())).isoformat()


def health(*, days: int = 28, user: str | None = None, settings: Settings | None = None) -> Health:
    settings = settings or get_settings()
    since = utcnow() - timedelta(days=days)
    with use_case(user, Permission.MONITOR, settings=settings) as session:
        rows = repository.processing_runs_since(session, since)
        runs = [(r.outcome, r.total_ms, r.pages, dict(r.step_ms or {})) for r in rows]
        failure_codes = Counter(r.error_code or "unknown" for r in rows
                                if r.outcome in (RunOutcome.FAILED, RunOutcome.RETRY, RunOutcome.PAUSED))
        audits = repository.audit_counts_since(session, since, ("upload", "upload_refused"))
        corrections = repository.corrections_since(session, since)
        confidences = repository.ocr_confidence_since(session, since)
        counts = repository.count_by_status(session)
    outcomes = Counter(outcome for outcome, *_ in runs)
    finished = sum(n for outcome, n in outcomes.items() if outcome != RunOutcome.RUNNING)
    per_page = [total / max(1, pages or 1) for outcome, total, pages, _ in runs
                if outcome == RunOutcome.OK and total is not None]
    by_step: dict[str, list[float]] = defaultdict(list)
    for outcome, _, pages, steps in runs:
        if outcome != RunOutcome.OK:
            continue
        for step, ms in steps.items():
            if isinstance(ms, (int, float)):
                by_step[step].append(float(ms) / max(1, pages or 1))
    steps = [{"step": step, "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95), "runs": len(values)}
             for step, values in by_step.items()]
    per_week: Counter[tuple[str, str]] = Counter((_week(at), name) for name, at in corrections)
    by_day: dict[str, list[float]] = defaultdict(list)
    for at, confidence in confidences:
        by_day[at.date().isoformat()].append(confidence)
    uploads, refused = audits.get("upload", 0), audits.get("upload_refused", 0)
    return Health(
        days=days, runs=len(runs), success_rate=outcomes.get(RunOutcome.OK, 0) / finished if finished else None,
        outcomes=dict(outcomes), failure_codes=dict(failure_codes.most_common()),
        page_ms_p50=percentile(per_page, 50), page_ms_p95=percentile(per_page, 95),
        steps=steps, queue_depth=_queue_depth(settings), uploads=uploads, refused=refused,
        refused_share=refused / (uploads + refused) if uploads + refused else None,
        corrections=[{"week": week, "field": name, "corrections": n} for (week, name), n in sorted(per_week.items())],
        confidence_by_day=[{"day": day, "mean_confidence": sum(v) / len(v), "documents": len(v)}
                           for day, v in sorted(by_day.items())],
        counts=counts, disk_free_mb=space.free_bytes(settings) // 2**20, disk_full=not space.has_room(settings))


def _queue_depth(settings: Settings) -> int | None:
    """Jobs waiting on the queue; None when the queue cannot be read (e.g. Redis is down), so the
    health page still shows everything the database knows."""
    from services import status

    try:
        return status.queue_depth(settings)
    except Exception:
        log.exception("monitor: cannot read the queue depth")
        return None
