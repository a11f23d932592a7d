"""How many documents are where: for the sidebar, `cli.py status` and the monitor. Pages take the
document statuses (`Status`) from here, never from storage."""

from errors import ErrorCode, TransientError
from services.access import Permission, use_case
from settings import Settings, get_settings
from storage import jobs, repository
from storage.models import Status

__all__ = ["Status", "document_counts", "queue_depth"]


def document_counts(settings: Settings | None = None, *, user: str | None = None) -> dict[str, int]:
    """Documents per status; TransientError with what to do when the database cannot be reached."""
    try:
        with use_case(user, Permission.VIEW_ALL, settings=settings) as session:
            return repository.count_by_status(session)
    except Exception as error:
        if not jobs.is_transient_db_error(error):
            raise
        reason = str(error.orig).strip().splitlines()[0]  # type: ignore[attr-defined]  # a DBAPIError's
        raise TransientError(f"The database cannot be reached ({reason}). Check that it runs and that "
                             "DOCDESK_DATABASE_URL points at it.", code=ErrorCode.DATABASE_UNAVAILABLE) from error


def queue_depth(settings: Settings | None = None) -> int:
    """Jobs waiting on the queue (scheduled retries included); QueueUnavailable when it cannot be read."""
    from services import queue

    return queue.depth(settings or get_settings())
