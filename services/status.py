"""How many documents are where: for the sidebar, `cli.py status` and the monitor. Pages take the
document statuses (`Status`) from here, never from storage."""

from services.access import Permission, use_case
from settings import Settings, get_settings
from storage import repository
from storage.models import Status

__all__ = ["Status", "document_counts", "queue_depth"]


def document_counts(settings: Settings | None = None, *, user: str | None = None) -> dict[str, int]:
    with use_case(user, Permission.VIEW_ALL, settings=settings) as session:
        return repository.count_by_status(session)


def queue_depth(settings: Settings | None = None) -> int:
    """Jobs waiting on the queue (scheduled retries included)."""
    from services import queue

    return queue.depth(settings or get_settings())
