"""Sign-in sessions kept on the server, so a reload or a link opened in a new tab stays signed in.

A sign-in is a row (`UserSession`). The browser gets a random token in an HttpOnly cookie (`COOKIE`): the app
cannot set a cookie over its WebSocket, so the signed-in page hands the browser a one-time claim code, which the
browser trades for the cookie at `serve.py`'s `/_docdesk/session` route within `CLAIM_SECONDS`. Only hashes of the
token and of the code are stored. A session ends on sign-out, after `DOCDESK_SESSION_IDLE_MINUTES` without activity in
any of its tabs, and when the user is disabled, their password changes or their role changes, whoever makes the
change and however (the Users page, the command line, the user themselves): a session holds the role and a mark of
the password hash it was started under and is checked against the account at every use. Every tab finds out at its
next click.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from errors import DocDeskError, ErrorCode
from services.access import use_case
from settings import Settings, get_settings
from storage import repository
from storage.db import Session
from storage.models import SessionEnd, User, UserSession, utcnow

COOKIE = "docdesk_session"
CLAIM_SECONDS = 60  # the claim code is good this long after sign-in, and once
TOUCH_SECONDS = 30  # last activity is written at most this often (a click is not a database write)

NOTICES = {
    SessionEnd.SIGN_OUT: "You signed out (in this or another tab).",
    SessionEnd.IDLE: "You were signed out after {minutes} minutes without activity.",
    SessionEnd.DISABLED: "Your account is disabled: ask an admin.",
    SessionEnd.PASSWORD_CHANGED: "Your password was changed: sign in with the new one.",
    SessionEnd.ROLE_CHANGED: "Your role was changed: sign in again to use it.",
}


@dataclass(frozen=True)
class Live:
    """A session in use: whose, with which role, how they signed in, and whether the browser holds its cookie."""

    id: int
    name: str
    role: str
    via: str
    claimed: bool
    must_change_password: bool = False  # a password someone else saw: to be replaced before anything else


@dataclass(frozen=True)
class Ended:
    reason: SessionEnd

    def notice(self, settings: Settings | None = None) -> str:
        """What the sign-in screen tells the user."""
        minutes = (settings or get_settings()).session_idle_minutes
        return NOTICES[self.reason].format(minutes=minutes)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def password_mark(account: User) -> str | None:
    """Changes whenever the account's password does (a new salt makes even the same password a new hash)."""
    return digest(account.password_hash) if account.password_hash else None


def start(name: str, *, via: str = "password", settings: Settings | None = None) -> tuple[Live, str]:
    """A new session for a user who has just proved who they are (services.users), and its one-time claim code."""
    code = secrets.token_urlsafe(32)
    with use_case(settings=settings) as session:
        user = repository.user_by_name(session, name)
        if user is None or not user.active:
            raise DocDeskError(f"{name} has no active account.", code=ErrorCode.NO_SUCH_USER)
        row = UserSession(user=user, claim_hash=digest(code), via=via, role=user.role,
                          password_mark=password_mark(user))
        session.add(row)
        session.flush()
        return _live(row), code


def claim(code: str, *, settings: Settings | None = None) -> str | None:
    """The cookie token for a claim code: once, within CLAIM_SECONDS, for a session still live. Else None."""
    token = secrets.token_urlsafe(32)
    with use_case(settings=settings) as session:
        row = repository.user_session(session, claim_hash=digest(code))
        if row is None or utcnow() - row.created_at > timedelta(seconds=CLAIM_SECONDS):
            return None
        if isinstance(_current(session, row, settings or get_settings()), Ended):
            return None
        row.claim_hash, row.token_hash = None, digest(token)
        return token


def resume(token: str, *, settings: Settings | None = None) -> Live | Ended | None:
    """The session a browser's cookie names (a reload, a new tab); None for a token we never issued."""
    settings = settings or get_settings()
    with use_case(settings=settings) as session:
        row = repository.user_session(session, token_hash=digest(token))
        return None if row is None else _current(session, row, settings)


def check(session_id: int, *, settings: Settings | None = None) -> Live | Ended:
    """The state of a tab's session, at each of its clicks: still live (and now active), or why it ended."""
    settings = settings or get_settings()
    with use_case(settings=settings) as session:
        row = repository.user_session(session, session_id=session_id)
        return Ended(SessionEnd.SIGN_OUT) if row is None else _current(session, row, settings)


def end(session_id: int, reason: SessionEnd = SessionEnd.SIGN_OUT, *, settings: Settings | None = None) -> None:
    """Sign out: the session ends in every tab (audited)."""
    with use_case(settings=settings) as session:
        row = repository.user_session(session, session_id=session_id)
        if row is not None and row.ended_at is None:
            _end(session, row, reason)


def carry_on(session: Session, session_id: int, account: User) -> None:
    """Inside the use case where the user of `account` changed their own password: the session they did it in
    carries on under the new one (their other sessions end at their next click, as after any password change)."""
    row = repository.user_session(session, session_id=session_id)
    if row is not None and row.user_id == account.id and row.ended_at is None:
        row.password_mark = password_mark(account)


def _current(session: Session, row: UserSession, settings: Settings) -> Live | Ended:
    if row.ended_at is not None:
        return Ended(SessionEnd(row.end_reason or SessionEnd.SIGN_OUT))
    now = utcnow()
    if not row.user.active:
        return _end(session, row, SessionEnd.DISABLED)
    if password_mark(row.user) != row.password_mark:
        return _end(session, row, SessionEnd.PASSWORD_CHANGED)
    if row.user.role != row.role:
        return _end(session, row, SessionEnd.ROLE_CHANGED)
    if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        return _end(session, row, SessionEnd.IDLE)
    if now - row.last_seen_at > timedelta(seconds=TOUCH_SECONDS):
        row.last_seen_at = now
    return _live(row)


def _end(session: Session, row: UserSession, reason: SessionEnd) -> Ended:
    row.ended_at, row.end_reason, row.claim_hash = utcnow(), reason, None
    repository.add_audit(session, "sign_out", user=row.user.name,
                         **({} if reason is SessionEnd.SIGN_OUT else {"reason": reason.value}))
    return Ended(reason)


def _live(row: UserSession) -> Live:
    return Live(row.id, row.user.name, row.user.role, row.via, claimed=row.token_hash is not None,
                must_change_password=bool(row.user.must_change_password))

