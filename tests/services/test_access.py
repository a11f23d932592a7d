import pytest

from errors import PermissionDenied
from services import users
from services.access import GRANTS, Permission, allowed, require, use_case
from storage import repository
from storage.models import Role

EXPECTED = {
    Role.UPLOADER: {Permission.OWN_ACCOUNT, Permission.UPLOAD, Permission.VIEW_OWN},
    Role.REVIEWER: {Permission.OWN_ACCOUNT, Permission.VIEW_OWN, Permission.VIEW_ALL, Permission.REVIEW,
                    Permission.EXPORT},
    Role.ADMIN: set(Permission),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_access_matrix(session, role, permission):
    users.add_user(f"user-{role}", role, "a-long-password")
    session.expire_all()
    assert allowed(role, permission) == (permission in EXPECTED[role])
    if permission in EXPECTED[role]:
        require(session, f"user-{role}", permission)
    else:
        with pytest.raises(PermissionDenied):
            require(session, f"user-{role}", permission)


def test_grants_cover_every_role():
    assert set(GRANTS) == set(Role)


def test_unknown_and_disabled_users_are_refused(session):
    users.add_user("gone", "admin", "a-long-password")
    users.set_active("gone", False)
    with pytest.raises(PermissionDenied):
        require(session, "gone", Permission.UPLOAD)
    with pytest.raises(PermissionDenied):
        require(session, "nobody", Permission.UPLOAD)
    assert not allowed(None, Permission.UPLOAD)


def _actions(settings) -> list[str]:
    with use_case(settings=settings) as session:
        return repository.audit_actions(session)


def test_a_use_case_commits_when_its_block_ends(migrated):
    with use_case(settings=migrated) as session:
        repository.add_audit(session, "kept")
    assert _actions(migrated) == ["kept"]


def test_a_use_case_that_raises_writes_nothing(migrated):
    with pytest.raises(ZeroDivisionError), use_case(settings=migrated) as session:
        repository.add_audit(session, "undone")
        raise ZeroDivisionError
    assert _actions(migrated) == []


def test_a_use_case_checks_the_permission_before_its_block_runs(migrated):
    users.add_user("ulla", "uploader", "a-long-password", settings=migrated)
    ran = []
    with pytest.raises(PermissionDenied, match="uploader may not review"), use_case(
            "ulla", Permission.REVIEW, settings=migrated):
        ran.append(True)
    assert ran == []
    with use_case("ulla", Permission.UPLOAD, settings=migrated) as session:
        repository.add_audit(session, "allowed", user="ulla")
    with use_case(None, Permission.MANAGE_USERS, settings=migrated) as session:  # the command line
        repository.add_audit(session, "allowed")
    assert _actions(migrated) == ["allowed", "user_added"]
