"""The audit trail: who did what and when (sign-in and out, uploads, corrections, approvals, exports,
user changes), filtered and paginated for the admins' audit page. Events are written where each action
happens (services.users, ingest, review, process, export); this module only reads them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.access import Permission, use_case
from settings import Settings
from storage import repository


@dataclass(frozen=True)
class AuditFilter:
    user: str = ""
    action: str = ""
    since: date | None = None  # inclusive, UTC days
    until: date | None = None  # inclusive


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    user: str | None
    action: str
    document_id: int | None
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    pages: int
    page_size: int
    actions: list[str] = field(default_factory=list)  # every action in the trail, to filter by
    users: list[str] = field(default_factory=list)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_events(filters: AuditFilter = AuditFilter(), *, page: int = 1, page_size: int = 50,
                user: str | None = None, settings: Settings | None = None) -> AuditPage:
    """One page (1-based, newest first) of the events matching `filters`."""
    page_size = max(1, min(page_size, 500))
    criteria = {"user": filters.user or None, "action": filters.action or None,
                "since": _day_start(filters.since) if filters.since else None,
                "before": _day_start(filters.until + timedelta(days=1)) if filters.until else None}
    with use_case(user, Permission.AUDIT, settings=settings) as session:
        page = max(1, page)
        events, total = repository.find_audit_events(session, **criteria, offset=(page - 1) * page_size,
                                                     limit=page_size)
        pages = max(1, math.ceil(total / page_size))
        if page > pages:
            page = pages
            events, total = repository.find_audit_events(session, **criteria, offset=(page - 1) * page_size,
                                                         limit=page_size)
        rows = [AuditRow(e.id, e.at, e.user, e.action, e.document_id, dict(e.details or {})) for e in events]
        return AuditPage(rows, total, page, pages, page_size, repository.audit_actions(session),
                         repository.audit_users(session))
