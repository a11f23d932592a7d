"""How many documents are where: for the sidebar, `cli.py status` and the monitor."""

from services.access import Permission, require
from settings import Settings, get_settings
from storage import repository
from storage.db import session_factory


def document_counts(settings: Settings | None = None, *, user: str | None = None) -> dict[str, int]:
    with session_factory(settings or get_settings()).begin() as session:
        require(session, user, Permission.VIEW_ALL)
        return repository.count_by_status(session)


def queue_depth(settings: Settings | None = None) -> int:
    """Jobs waiting on the queue (scheduled retries included)."""
    from services import queue

    return queue.depth(settings or get_settings())
