"""The error classes every layer raises, and the one list of their codes. Each error carries a stable `code` and a
message a person can act on."""

import enum


class ErrorCode(enum.StrEnum):
    """Every stable code: stored with a failed document and its runs, shown to users, logged, tested. A code is
    never renamed (stored rows keep it); docs/operations.md explains each one."""

    # The file is the problem (InputError): never retried, the same file fails the same way.
    BAD_INPUT = "bad_input"
    EMPTY_FILE = "empty_file"
    UNREADABLE = "unreadable"
    UNSUPPORTED_TYPE = "unsupported_type"
    TOO_LARGE = "too_large"
    TOO_MANY_PAGES = "too_many_pages"
    PAGE_TOO_LARGE = "page_too_large"
    PAGE_TOO_SMALL = "page_too_small"
    DAMAGED_FILE = "damaged_file"
    ENCRYPTED_PDF = "encrypted_pdf"
    TOO_COMPLEX = "too_complex"
    TOO_SLOW = "too_slow"
    ANIMATED_IMAGE = "animated_image"
    # A value or request a reviewer sent is refused (InputError too: sent again, it fails again).
    INVALID_AMOUNT = "invalid_amount"
    INVALID_DATE = "invalid_date"
    INVALID_CURRENCY = "invalid_currency"
    NOT_FOUND = "not_found"
    NOT_REVIEWABLE = "not_reviewable"
    NOT_READ = "not_read"
    REASON_REQUIRED = "reason_required"
    APPROVAL_BLOCKED = "approval_blocked"
    INVALID_TEXT = "invalid_text"
    TOO_LONG = "too_long"
    OUT_OF_RANGE = "out_of_range"
    NOTHING_TO_EXPORT = "nothing_to_export"
    EXPORT_FILE_MISSING = "export_file_missing"
    # Passing trouble (TransientError): retried with backoff up to DOCDESK_MAX_ATTEMPTS times, then failed.
    TRANSIENT = "transient"
    OCR_TIMEOUT = "ocr_timeout"
    DOCUMENT_TIMEOUT = "document_timeout"
    WORKER_CRASHED = "worker_crashed"
    DATABASE_BUSY = "database_busy"
    DISK_FULL = "disk_full"  # not even retried: the document waits, its attempts unused
    # The installation, a bug, or a worker gone: not the file's fault.
    ENGINE_UNAVAILABLE = "engine_unavailable"
    WORKER_NOT_READY = "worker_not_ready"
    OCR_FAILED = "ocr_failed"
    INTERNAL = "internal"
    WORKER_LOST = "worker_lost"
    QUEUE_UNAVAILABLE = "queue_unavailable"
    DATABASE_UNAVAILABLE = "database_unavailable"
    # People and permissions.
    ERROR = "error"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    SIGN_IN_FAILED = "sign_in_failed"
    LOCKED = "locked"
    BAD_NAME = "bad_name"
    BAD_ROLE = "bad_role"
    WEAK_PASSWORD = "weak_password"
    USER_EXISTS = "user_exists"
    NO_SUCH_USER = "no_such_user"
    LAST_ADMIN = "last_admin"
    SELF_DISABLE = "self_disable"


# The codes of InputError: the request itself is the problem. docs/operations.md's failure table lists each.
INPUT_CODES = frozenset({
    ErrorCode.BAD_INPUT, ErrorCode.EMPTY_FILE, ErrorCode.UNREADABLE, ErrorCode.UNSUPPORTED_TYPE, ErrorCode.TOO_LARGE,
    ErrorCode.TOO_MANY_PAGES, ErrorCode.PAGE_TOO_LARGE, ErrorCode.PAGE_TOO_SMALL, ErrorCode.DAMAGED_FILE,
    ErrorCode.ENCRYPTED_PDF, ErrorCode.TOO_COMPLEX, ErrorCode.TOO_SLOW, ErrorCode.ANIMATED_IMAGE,
    ErrorCode.INVALID_AMOUNT, ErrorCode.INVALID_DATE, ErrorCode.INVALID_CURRENCY, ErrorCode.NOT_FOUND,
    ErrorCode.NOT_REVIEWABLE, ErrorCode.REASON_REQUIRED, ErrorCode.INVALID_TEXT, ErrorCode.TOO_LONG,
    ErrorCode.OUT_OF_RANGE, ErrorCode.APPROVAL_BLOCKED,
    ErrorCode.NOTHING_TO_EXPORT, ErrorCode.EXPORT_FILE_MISSING, ErrorCode.NOT_READ,
})


class DocDeskError(Exception):
    """Base class: `code` is stable (stored, tested, shown); `message` says what to do."""

    code: str = ErrorCode.ERROR

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, str]:
        return {"code": str(self.code), "message": self.message}


class InputError(DocDeskError):
    """The file itself is the problem (damaged, encrypted, too large, not an image). Never retried."""

    code = ErrorCode.BAD_INPUT


class ApprovalBlocked(InputError):
    """Approve refused: the sums do not add up or a required field is empty, and no reason was given to approve
    anyway. `problems` lists what is wrong."""

    code = ErrorCode.APPROVAL_BLOCKED

    def __init__(self, problems: list[str]):
        super().__init__("Not approved: " + " ".join(problems) + " Correct the values, or give a reason to approve "
                         "anyway.")
        self.problems = problems


class TransientError(DocDeskError):
    """Something that may work next time (a timeout, a locked database). Retried with backoff."""

    code = ErrorCode.TRANSIENT


class ChildCrashed(TransientError):
    """The child process reading a document died of a signal (a decoder crash, the kernel's OOM killer)."""

    code = ErrorCode.WORKER_CRASHED


class DiskFull(TransientError):
    """The disk holding the data folder has no room: nothing was stored. Uploads are refused and processing waits
    for space (the document's attempts are not used up)."""

    code = ErrorCode.DISK_FULL


class ConflictError(DocDeskError):
    """Someone else changed the record first (optimistic locking)."""

    code = ErrorCode.CONFLICT


class PermissionDenied(DocDeskError):
    """The signed-in user's role does not allow this action."""

    code = ErrorCode.FORBIDDEN


class SignInError(DocDeskError):
    """A refused sign-in; the message is safe to show (it never says which part was wrong)."""

    code = ErrorCode.SIGN_IN_FAILED


class QueueUnavailable(TransientError):
    """The queue (Redis, or the SQLite queue file) cannot be read: it is down or DOCDESK_QUEUE_URL is wrong."""

    code = ErrorCode.QUEUE_UNAVAILABLE


class EngineUnavailable(DocDeskError):
    """Tesseract, a language pack or Poppler is missing: an installation problem, not the file's fault."""

    code = ErrorCode.ENGINE_UNAVAILABLE


class WorkerNotReady(DocDeskError):
    """The worker cannot start (database not migrated, an OCR engine missing): the message says what to do."""

    code = ErrorCode.WORKER_NOT_READY
