from datetime import timedelta

import pytest

from errors import DocDeskError, PermissionDenied, SignInError
from services import users
from storage.db import session_factory
from storage.models import AuditEvent, Role, utcnow
from tests.signin import account


def audit_actions(settings):
    with session_factory(settings).begin() as session:
        return [e.action for e in session.query(AuditEvent).order_by(AuditEvent.id)]


def test_passwords_are_hashed_with_argon2_and_verified():
    hashed = users.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$") and "correct" not in hashed
    assert users.verify_password(hashed, "correct horse battery")
    assert not users.verify_password(hashed, "wrong password!")
    assert not users.verify_password("not-a-hash", "anything at all")
    assert not users.verify_password(None, "anything at all")


def test_sign_in_success_and_failure_are_audited(migrated):
    users.add_user("alice", "reviewer", "s3cret-enough", settings=migrated)
    account = users.sign_in("alice", "s3cret-enough", settings=migrated)
    assert (account.name, account.role) == ("alice", "reviewer")
    with pytest.raises(SignInError, match="Wrong name or password"):
        users.sign_in("alice", "nope-nope-nope", settings=migrated)
    with pytest.raises(SignInError, match="Wrong name or password"):
        users.sign_in("mallory", "whatever-long", settings=migrated)
    assert audit_actions(migrated) == ["user_added", "sign_in", "sign_in_failed", "sign_in_failed"]


def test_after_five_failures_the_next_try_must_wait(migrated):
    users.add_user("bob", "uploader", "right-password", settings=migrated)
    for _ in range(users.FREE_ATTEMPTS):
        with pytest.raises(SignInError) as failure:
            users.sign_in("bob", "wrong-password", settings=migrated)
        assert failure.value.code == "sign_in_failed"
    with pytest.raises(SignInError) as locked:
        users.sign_in("bob", "right-password", settings=migrated)  # even the right one waits
    assert locked.value.code == "locked" and locked.value.message == users.REFUSED
    assert audit_actions(migrated)[-1] == "sign_in_refused"


@pytest.mark.parametrize("case", ["unknown", "disabled", "waiting", "no password (single sign-on only)", "wrong"])
def test_every_refusal_reads_and_takes_the_same_whether_the_name_exists_or_not(migrated, monkeypatch, case):
    """The lockout message named only existing accounts, and a disabled account answered in 1 ms (no password
    check) where others took 300 ms. Now one message, and exactly one password check (argon2) on every path."""
    from storage.models import User

    users.add_user("dora", "uploader", "right-password", settings=migrated)
    with session_factory(migrated).begin() as session:
        dora = session.query(User).filter_by(name="dora").one()
        dora.active = case != "disabled"
        dora.password_hash = None if case.startswith("no password") else dora.password_hash
        dora.failed_attempts = users.FREE_ATTEMPTS if case == "waiting" else 0
        dora.last_failed_at = utcnow()
    checks = []
    real_verify = users.verify_password
    monkeypatch.setattr(users, "verify_password",
                        lambda stored, typed: checks.append(stored.startswith("$argon2")) or real_verify(stored, typed))
    name, password = ("nobody", "right-password") if case == "unknown" else ("dora", "wrong-password")
    with pytest.raises(SignInError) as refused:
        users.sign_in(name, "right-password" if case == "waiting" else password, settings=migrated)
    assert refused.value.message == users.REFUSED and checks == [True]  # one argon2 check


def test_wait_grows_with_failures_and_runs_out():
    now = utcnow()
    assert users.wait_seconds(4, now, now) == 0
    assert users.wait_seconds(5, now, now) == 30
    assert users.wait_seconds(6, now, now) == 60
    assert users.wait_seconds(30, now, now) == users.MAX_WAIT_S
    assert users.wait_seconds(5, now - timedelta(seconds=31), now) == 0


def test_password_reset_clears_the_wait(migrated):
    users.add_user("carol", "uploader", "first-password", settings=migrated)
    for _ in range(users.FREE_ATTEMPTS):
        with pytest.raises(SignInError):
            users.sign_in("carol", "bad-password", settings=migrated)
    users.reset_password("carol", "second-password", settings=migrated)
    assert users.sign_in("carol", "second-password", settings=migrated).name == "carol"


def test_disabled_users_cannot_sign_in_and_lose_their_session(migrated):
    users.add_user("dave", "reviewer", "dave-password", settings=migrated)
    users.set_active("dave", False, settings=migrated)
    with pytest.raises(SignInError):
        users.sign_in("dave", "dave-password", settings=migrated)
    assert not account(migrated, "dave").active


def test_first_admin_is_created_once_with_a_random_password(migrated):
    password = users.ensure_first_admin(settings=migrated)
    assert password and len(password) >= users.MIN_PASSWORD_LENGTH
    assert users.sign_in("admin", password, settings=migrated).role == Role.ADMIN
    assert users.ensure_first_admin(settings=migrated) is None
    assert users.ensure_first_admin(settings=migrated) is None


def test_generated_passwords_differ():
    assert users.generate_password() != users.generate_password()


def test_only_admins_manage_users(migrated):
    users.add_user("root", "admin", "admin-password", settings=migrated)
    users.add_user("rita", "reviewer", "rita-password", user="root", settings=migrated)
    with pytest.raises(PermissionDenied):
        users.add_user("eve", "admin", "eve-password", user="rita", settings=migrated)
    with pytest.raises(PermissionDenied):
        users.set_role("rita", "admin", user="rita", settings=migrated)
    assert users.set_role("rita", "admin", user="root", settings=migrated).role == "admin"
    assert [a.name for a in users.list_users(user="root", settings=migrated)] == ["rita", "root"]


@pytest.mark.parametrize("name, password, code", [("", "long-enough-pw", "bad_name"),
                                                   ("x" * 65, "long-enough-pw", "bad_name"),
                                                   ("ok", "short", "weak_password")])
def test_bad_names_and_weak_passwords_are_refused(migrated, name, password, code):
    with pytest.raises(DocDeskError) as error:
        users.add_user(name, "uploader", password, settings=migrated)
    assert error.value.code == code


def test_duplicate_names_and_self_disable_are_refused(migrated):
    users.add_user("root", "admin", "admin-password", settings=migrated)
    with pytest.raises(DocDeskError, match="exists already"):
        users.add_user("root", "uploader", "another-password", settings=migrated)
    with pytest.raises(DocDeskError, match="your own account"):
        users.set_active("root", False, user="root", settings=migrated)


def test_unknown_roles_are_refused_with_the_choices(migrated):
    with pytest.raises(DocDeskError, match="use uploader, reviewer or admin"):
        users.add_user("zed", "boss", "a-long-password", settings=migrated)


def test_in_the_app_the_last_active_admin_cannot_be_demoted_or_disabled(migrated):
    users.add_user("root", "admin", "a-long-password", settings=migrated)
    with pytest.raises(DocDeskError, match="last active admin"):
        users.set_role("root", "reviewer", user="root", settings=migrated)
    assert account(migrated, "root").role == "admin"
    users.add_user("second", "admin", "a-long-password", settings=migrated)
    users.set_active("second", False, user="root", settings=migrated)
    with pytest.raises(DocDeskError, match="last active admin"):
        users.set_role("root", "uploader", user="root", settings=migrated)
    users.set_active("second", True, user="root", settings=migrated)
    assert users.set_role("root", "reviewer", user="root", settings=migrated).role == "reviewer"
    assert users.set_role("second", "reviewer", settings=migrated).role == "reviewer"  # the command line may


@pytest.mark.parametrize("lookalike", ["Admin", "ADMIN", "\u0430dmin", "\uff41dmin", "adm\u00edn", " admin "])
def test_a_name_that_looks_like_an_existing_one_is_refused(migrated, lookalike):
    """'Admin' and Cyrillic 'аdmin' were accepted beside 'admin': on screen (the audit trail, the users table) one
    could pass for the other."""
    users.add_user("admin", "admin", "a-long-password", settings=migrated)
    with pytest.raises(DocDeskError) as refused:
        users.add_user(lookalike, "reviewer", "a-long-password", settings=migrated)
    assert refused.value.code == "user_exists" and "admin" in refused.value.message
    assert users.add_user("admiral", "reviewer", "a-long-password", settings=migrated)[0].name == "admiral"


def test_users_change_their_own_password_giving_the_current_one(migrated):
    users.add_user("ann", "uploader", "a-long-password", settings=migrated)
    with pytest.raises(SignInError, match="current password is wrong"):
        users.change_password("not-it-at-all", "a-new-long-password", user="ann", settings=migrated)
    with pytest.raises(DocDeskError, match="not the current one"):
        users.change_password("a-long-password", "a-long-password", user="ann", settings=migrated)
    users.change_password("a-long-password", "a-new-long-password", user="ann", settings=migrated)
    assert users.sign_in("ann", "a-new-long-password", settings=migrated).name == "ann"


def test_a_password_someone_else_saw_must_be_changed_at_sign_in(migrated):
    printed = users.ensure_first_admin(settings=migrated)
    assert users.sign_in("admin", printed, settings=migrated).must_change_password
    _, generated = users.add_user("bob", "reviewer", settings=migrated)
    assert users.sign_in("bob", generated, settings=migrated).must_change_password
    users.change_password(generated, "bobs-own-password", user="bob", settings=migrated)
    assert not users.sign_in("bob", "bobs-own-password", settings=migrated).must_change_password
    reset = users.reset_password("bob", settings=migrated)
    assert users.sign_in("bob", reset, settings=migrated).must_change_password
    users.reset_password("bob", "typed-by-bob-himself", settings=migrated)  # at the terminal, with bob
    assert not users.sign_in("bob", "typed-by-bob-himself", settings=migrated).must_change_password
