"""The error classes every layer raises. Each carries a stable `code` and a message a person can act on."""


class DocDeskError(Exception):
    """Base class: `code` is stable (stored, tested, shown); `message` says what to do."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class InputError(DocDeskError):
    """The file itself is the problem (damaged, encrypted, too large, not an image). Never retried."""

    code = "bad_input"


class TransientError(DocDeskError):
    """Something that may work next time (a timeout, a locked database). Retried with backoff."""

    code = "transient"


class ConflictError(DocDeskError):
    """Someone else changed the record first (optimistic locking)."""

    code = "conflict"


class PermissionDenied(DocDeskError):
    """The signed-in user's role does not allow this action."""

    code = "forbidden"
