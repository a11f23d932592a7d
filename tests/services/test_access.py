import pytest

from errors import PermissionDenied
from services import users
from services.access import GRANTS, Permission, allowed, require
from storage.models import Role

EXPECTED = {
    Role.UPLOADER: {Permission.UPLOAD, Permission.VIEW_OWN},
    Role.REVIEWER: {Permission.VIEW_OWN, Permission.VIEW_ALL, Permission.REVIEW, Permission.EXPORT},
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
