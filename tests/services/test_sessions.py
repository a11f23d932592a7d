"""Server-side sign-in sessions: the claim code that sets the cookie, resuming by the cookie's token, idle expiry,
and every way a session ends."""

from datetime import timedelta

import pytest

from services import sessions, users
from services.sessions import Ended, Live, SessionEnd
from storage import repository
from storage.db import session_factory
from storage.models import AuditEvent, UserSession
from tests.signin import PASSWORD, add


@pytest.fixture
def rita(migrated) -> str:
    return add(migrated, "rita", "reviewer")


def shift(settings, session_id: int, **delta) -> None:
    """Move a session's start and last activity into the past."""
    with session_factory(settings).begin() as session:
        row = session.get(UserSession, session_id)
        row.created_at -= timedelta(**delta)
        row.last_seen_at -= timedelta(**delta)


def test_a_claim_code_sets_the_cookie_once_and_the_token_resumes_the_session(migrated, rita):
    live, code = sessions.start(rita, settings=migrated)
    assert not live.claimed
    token = sessions.claim(code, settings=migrated)
    assert token and token != code
    assert sessions.claim(code, settings=migrated) is None  # once
    resumed = sessions.resume(token, settings=migrated)
    assert isinstance(resumed, Live) and (resumed.id, resumed.name, resumed.role) == (live.id, "rita", "reviewer")
    assert resumed.claimed
    assert sessions.resume("a-token-never-issued", settings=migrated) is None


def test_only_hashes_of_the_secrets_are_stored(migrated, rita):
    live, code = sessions.start(rita, settings=migrated)
    token = sessions.claim(code, settings=migrated)
    with session_factory(migrated).begin() as session:
        row = session.get(UserSession, live.id)
        stored = (row.token_hash, row.claim_hash)
    assert token not in stored and code not in stored
    assert stored == (sessions.digest(token), None)


def test_a_claim_code_expires(migrated, rita):
    live, code = sessions.start(rita, settings=migrated)
    shift(migrated, live.id, seconds=sessions.CLAIM_SECONDS + 1)
    assert sessions.claim(code, settings=migrated) is None


def test_an_idle_session_ends_and_activity_keeps_it(migrated, rita):
    live, code = sessions.start(rita, settings=migrated)
    token = sessions.claim(code, settings=migrated)
    shift(migrated, live.id, minutes=migrated.session_idle_minutes - 1)
    assert isinstance(sessions.check(live.id, settings=migrated), Live)  # and counts as activity
    shift(migrated, live.id, minutes=migrated.session_idle_minutes - 1)
    assert isinstance(sessions.resume(token, settings=migrated), Live)
    shift(migrated, live.id, minutes=migrated.session_idle_minutes + 1)
    ended = sessions.resume(token, settings=migrated)
    assert ended == Ended(SessionEnd.IDLE)
    assert "60 minutes without activity" in ended.notice(migrated)
    assert sessions.check(live.id, settings=migrated) == Ended(SessionEnd.IDLE)  # stays ended


def test_sign_out_ends_the_session_for_every_tab_and_is_audited(migrated, rita):
    live, code = sessions.start(rita, settings=migrated)
    token = sessions.claim(code, settings=migrated)
    sessions.end(live.id, settings=migrated)
    assert sessions.resume(token, settings=migrated) == Ended(SessionEnd.SIGN_OUT)
    assert sessions.check(live.id, settings=migrated) == Ended(SessionEnd.SIGN_OUT)
    with session_factory(migrated).begin() as session:
        assert [(e.user, e.details) for e in session.query(AuditEvent).filter_by(action="sign_out")] == [("rita", {})]


@pytest.mark.parametrize("change, reason", [
    (lambda s: users.set_active("rita", False, settings=s), SessionEnd.DISABLED),
    (lambda s: users.reset_password("rita", settings=s), SessionEnd.PASSWORD_CHANGED),
    (lambda s: users.set_role("rita", "uploader", settings=s), SessionEnd.ROLE_CHANGED),
])
def test_an_admins_change_ends_every_session_of_the_user_and_no_one_elses(migrated, rita, change, reason):
    first, first_code = sessions.start(rita, settings=migrated)
    second, _ = sessions.start(rita, via="sso", settings=migrated)
    other, _ = sessions.start(add(migrated, "omar", "reviewer"), settings=migrated)
    change(migrated)
    assert sessions.check(first.id, settings=migrated) == Ended(reason)
    assert sessions.check(second.id, settings=migrated) == Ended(reason)
    assert sessions.claim(first_code, settings=migrated) is None  # no cookie for an ended session
    assert isinstance(sessions.check(other.id, settings=migrated), Live)
    with session_factory(migrated).begin() as session:
        ends = [e.details for e in session.query(AuditEvent).filter_by(action="sign_out", user="rita")]
    assert ends == [{"reason": reason.value}] * 2


def test_a_session_starts_only_for_an_active_user(migrated, rita):
    users.set_active("rita", False, settings=migrated)
    with pytest.raises(Exception, match="no active account"):
        sessions.start(rita, settings=migrated)


@pytest.mark.parametrize("change, reason", [
    (lambda user: setattr(user, "password_hash", users.hash_password("changed-elsewhere")),
     SessionEnd.PASSWORD_CHANGED),
    (lambda user: setattr(user, "role", "admin"), SessionEnd.ROLE_CHANGED),
    (lambda user: setattr(user, "active", False), SessionEnd.DISABLED),
])
def test_a_change_made_any_other_way_ends_the_sessions_too(migrated, rita, change, reason):
    """Not only the admin's calls: the user changing their own password, a script, a future code path."""
    live, code = sessions.start(rita, settings=migrated)
    with session_factory(migrated).begin() as session:
        change(repository.user_by_name(session, rita))
    assert sessions.claim(code, settings=migrated) is None
    assert sessions.check(live.id, settings=migrated) == Ended(reason)


def test_changing_ones_own_password_ends_the_other_sessions_not_this_one(migrated, rita):
    here, _ = sessions.start(rita, settings=migrated)
    elsewhere, _ = sessions.start(rita, settings=migrated)
    users.change_password(PASSWORD, "a-brand-new-password", user=rita, session_id=here.id, settings=migrated)
    assert isinstance(sessions.check(here.id, settings=migrated), Live)
    assert sessions.check(elsewhere.id, settings=migrated) == Ended(SessionEnd.PASSWORD_CHANGED)
