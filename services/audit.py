"""The audit trail: who did what and when (sign-in and out, uploads, corrections, approvals, exports,
user changes), filtered by kind, user, action and dates and paginated for the admins' audit page. Events are
written where each action happens (services.users, ingest, review, process, export); this module only reads
them (its CSV leaves through services.export, like every export)."""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.access import Permission, use_case
from settings import Settings
from storage import repository


class AuditKind(enum.StrEnum):
    SIGN_IN = "sign_in"
    UPLOAD = "upload"
    REVIEW = "review"
    EXPORT = "export"
    PROCESSING = "processing"
    ADMIN = "admin"


KIND_OF_ACTION: dict[str, AuditKind] = {
    "sign_in": AuditKind.SIGN_IN, "sign_in_failed": AuditKind.SIGN_IN, "sign_in_refused": AuditKind.SIGN_IN,
    "sign_out": AuditKind.SIGN_IN,
    "upload": AuditKind.UPLOAD, "upload_duplicate": AuditKind.UPLOAD, "upload_refused": AuditKind.UPLOAD,
    "review_save": AuditKind.REVIEW, "approve": AuditKind.REVIEW, "reject": AuditKind.REVIEW,
    "reprocess": AuditKind.REVIEW,
    "export": AuditKind.EXPORT, "export_download": AuditKind.EXPORT,
    "retry": AuditKind.PROCESSING, "recovered": AuditKind.PROCESSING,
}
# Sign-ins outnumber everything else: the audit page starts without them.
DEFAULT_KINDS = tuple(kind for kind in AuditKind if kind is not AuditKind.SIGN_IN)


def kind_of(action: str) -> AuditKind:
    """An action's kind; any action not listed (user changes and what comes next) is an admin's."""
    return KIND_OF_ACTION.get(action, AuditKind.ADMIN)


@dataclass(frozen=True)
class AuditFilter:
    user: str = ""
    action: str = ""
    since: date | None = None  # inclusive, UTC days
    until: date | None = None  # inclusive
    kinds: tuple[str, ...] = ()  # AuditKind values; empty: every kind

    def as_dict(self) -> dict[str, Any]:
        return {"user": self.user or None, "action": self.action or None,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None, "kinds": list(self.kinds) or None}


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    user: str | None
    action: str
    document_id: int | None
    details: dict[str, Any]

    @property
    def kind(self) -> AuditKind:
        return kind_of(self.action)

    @property
    def summary(self) -> str:
        return summarise(self.action, self.details)


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    pages: int
    page_size: int


def summarise(action: str, details: dict[str, Any]) -> str:
    """One line a person reads: a correction as `field: old → new` per field; otherwise the details."""
    changes = details.get("changes")
    if isinstance(changes, list) and changes:
        return "; ".join(f"{c.get('field')}: {_shown(c.get('old'))} → {_shown(c.get('new'))}" for c in changes)
    if action in ("export", "export_download"):
        what = f"batch {details['batch']}" if details.get("batch") else details.get("what", "")
        count = len(details.get("documents") or [])
        return f"{what}: {count} documents, {len(details.get('columns') or [])} columns" + (
            f", {details['file']}" if details.get("file") else "")
    return details_text({k: v for k, v in details.items() if k != "fields" or not changes})


def _shown(value: Any) -> str:
    return "(empty)" if value in (None, "") else str(value)


def details_text(details: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v}"
                     for k, v in details.items() if v is not None)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _criteria(filters: AuditFilter) -> dict[str, Any]:
    """The repository's criteria. Admin actions are the unlisted ones: with that kind, leave out the listed
    actions of the kinds not chosen; without it, keep the listed actions of the kinds chosen."""
    actions = excluded = None
    if filters.kinds:
        kinds = {AuditKind(k) for k in filters.kinds}
        if AuditKind.ADMIN in kinds:
            excluded = [a for a, k in KIND_OF_ACTION.items() if k not in kinds]
        else:
            actions = [a for a, k in KIND_OF_ACTION.items() if k in kinds]
    return {"user": filters.user or None, "action": filters.action or None, "actions": actions,
            "excluded_actions": excluded, "since": _day_start(filters.since) if filters.since else None,
            "before": _day_start(filters.until + timedelta(days=1)) if filters.until else None}


def matching_events(session, filters: AuditFilter) -> list[AuditRow]:
    """Every event matching `filters`, newest first (for the export; the caller checked the permission)."""
    events, _ = repository.find_audit_events(session, **_criteria(filters), limit=None)
    return [_row(e) for e in events]


def _row(e) -> AuditRow:
    return AuditRow(e.id, e.at, e.user, e.action, e.document_id, dict(e.details or {}))


def list_events(filters: AuditFilter = AuditFilter(), *, page: int = 1, page_size: int = 50,
                user: str | None = None, settings: Settings | None = None) -> AuditPage:
    """One page (1-based, newest first) of the events matching `filters`."""
    page_size = max(1, min(page_size, 500))
    criteria = _criteria(filters)
    with use_case(user, Permission.AUDIT, settings=settings) as session:
        page = max(1, page)
        events, total = repository.find_audit_events(session, **criteria, offset=(page - 1) * page_size,
                                                     limit=page_size)
        pages = max(1, math.ceil(total / page_size))
        if page > pages:
            page = pages
            events, total = repository.find_audit_events(session, **criteria, offset=(page - 1) * page_size,
                                                         limit=page_size)
        return AuditPage([_row(e) for e in events], total, page, pages, page_size)


def filter_choices(*, user: str | None = None, settings: Settings | None = None) -> tuple[list[str], list[str]]:
    """(users, actions) in the trail, to filter by. Asked before the list, so the page draws its filters once: a
    rerun to refresh them would swallow a click on the sidebar made meanwhile."""
    with use_case(user, Permission.AUDIT, settings=settings) as session:
        return repository.audit_users(session), repository.audit_actions(session)
