"""How many documents are where: for the sidebar, `cli.py status` and the monitor."""

from services.access import Permission, use_case
from settings import Settings, get_settings
from storage import repository


def document_counts(settings: Settings | None = None, *, user: str | None = None) -> dict[str, int]:
    with use_case(user, Permission.VIEW_ALL, settings=settings) as session:
        return repository.count_by_status(session)


def queue_depth(settings: Settings | None = None) -> int:
    """Jobs waiting on the queue (scheduled retries included)."""
    from services import queue

    return queue.depth(settings or get_settings())
