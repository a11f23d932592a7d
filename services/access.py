"""Who may do what. Checked in every service call, not only by hiding buttons.

`user=None` means the local command line: whoever can run cli.py can already read the data folder.
Pages take the roles (`Role`) from here, never from storage.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator

from errors import ConflictError, PermissionDenied
from settings import Settings, get_settings
from storage import repository
from storage.db import Session, StaleDataError, session_factory
from storage.models import Role


class Permission(enum.StrEnum):
    UPLOAD = "upload"
    OWN_ACCOUNT = "own_account"  # change one's own password
    VIEW_OWN = "view_own"  # see the documents one uploaded
    VIEW_ALL = "view_all"  # documents page: everyone's documents
    REVIEW = "review"
    EXPORT = "export"
    MONITOR = "monitor"
    MANAGE_USERS = "manage_users"
    AUDIT = "audit"
    RETRAIN = "retrain"  # retrain the field model from approvals, or go back to the shipped one


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.UPLOADER: frozenset({Permission.OWN_ACCOUNT, Permission.UPLOAD, Permission.VIEW_OWN}),
    Role.REVIEWER: frozenset({Permission.OWN_ACCOUNT, Permission.VIEW_OWN, Permission.VIEW_ALL, Permission.REVIEW,
                              Permission.EXPORT}),
    Role.ADMIN: frozenset(Permission),
}


def allowed(role: str | None, permission: Permission) -> bool:
    return role is not None and permission in GRANTS.get(Role(role), frozenset())


def holds(session: Session, user: str | None, permission: Permission) -> bool:
    """Whether `user` (None: the command line) holds `permission`; for narrowing what a call shows."""
    if user is None:
        return True
    account = repository.user_by_name(session, user)
    return account is not None and account.active and allowed(account.role, permission)


def require(session: Session, user: str | None, permission: Permission) -> None:
    """Raise PermissionDenied unless `user` (an active account) holds `permission`."""
    if user is None:
        return
    account = repository.user_by_name(session, user)
    if account is None or not account.active:
        raise PermissionDenied("Your account is not active: sign in again or ask an admin.")
    if not allowed(account.role, permission):
        action = permission.value.replace("_", " ")
        raise PermissionDenied(f"A {account.role} may not {action}: ask an admin for access.")


CHANGED_MEANWHILE = ("Someone else changed this document at the same moment, so nothing was changed: look at it "
                     "again and repeat what you did if it is still needed.")


@contextlib.contextmanager
def use_case(user: str | None = None, permission: Permission | None = None, *,
             settings: Settings | None = None, conflict: str = CHANGED_MEANWHILE) -> Iterator[Session]:
    """One use case's transaction: commits when the block ends, rolls back if it raises. With a `permission`,
    `user` must hold it (checked first, so a refused call reads and writes nothing). A write that lost the race on a
    row's version column (someone saved it meanwhile) is a ConflictError saying `conflict`."""
    try:
        with session_factory(settings or get_settings()).begin() as session:
            if permission is not None:
                require(session, user, permission)
            yield session
    except StaleDataError:
        raise ConflictError(conflict) from None
