"""Accounts: sign-in with argon2 hashes and a wait after repeated failures, and user administration."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from errors import DocDeskError, ErrorCode, PermissionDenied, SignInError
from services import sessions
from services.access import Permission, use_case
from services.names import name_key
from settings import Settings
from storage import repository
from storage.db import IntegrityError
from storage.models import Role, User, utcnow

FREE_ATTEMPTS = 5  # failures allowed for a name before each further try must wait
FIRST_WAIT_S = 30  # doubles with each further failure
MAX_WAIT_S = 15 * 60
SOURCE_ATTEMPTS = 30  # sign-in attempts one network address may make per window, over all names
SOURCE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
# Every refused sign-in gets this answer: a distinct one for a name that must wait told which names exist.
REFUSED = (f"Wrong name or password, a disabled account, or a name that must wait after {FREE_ATTEMPTS} failed "
           f"attempts ({FIRST_WAIT_S} s, doubling up to {MAX_WAIT_S // 60} minutes): check them and try again later.")

# A network address's limit says nothing about which names exist, so it may say what is going on.
SOURCE_REFUSED = (f"Too many sign-in attempts from your network address ({SOURCE_ATTEMPTS} in "
                  f"{SOURCE_WINDOW.seconds // 60} minutes): wait a quarter of an hour, or ask an admin.")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password")  # verified for unknown names so timing reveals nothing


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    active: bool
    last_sign_in_at: datetime | None
    must_change_password: bool = False  # a generated password someone else saw: to be changed before anything else


def _account(user: User) -> Account:
    return Account(user.name, user.role, user.active, user.last_sign_in_at, bool(user.must_change_password))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return password_hash is not None and _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def wait_seconds(failed_attempts: int, last_failed_at: datetime | None, now: datetime) -> float:
    """How long the next try for this name must wait: nothing for the first FREE_ATTEMPTS failures."""
    if failed_attempts < FREE_ATTEMPTS or last_failed_at is None:
        return 0.0
    wait = min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (failed_attempts - FREE_ATTEMPTS))
    return max(0.0, wait - (now - last_failed_at).total_seconds())


def sign_in(name: str, password: str, *, source: str | None = None, settings: Settings | None = None) -> Account:
    """Check a name and password. Raises SignInError with one message for every refusal (an unknown name, a wrong
    password, a disabled account, a name that must wait), after one password check on every path: neither the
    answer nor its time tells whether a name exists. Each attempt is counted as failed before the password is
    checked (and the count cleared when it was right), so parallel attempts cannot slip past the wait; failures are
    committed before the error is raised. `source` (the browser's network address, when known) may make
    SOURCE_ATTEMPTS attempts per SOURCE_WINDOW whatever the names; a right password gives its attempt back."""
    name = name.strip()
    if source:
        _count_source_attempt(source[:64], name, settings)
    account = _sign_in_by_password(name, password, settings)
    if source:
        with use_case(settings=settings) as session:
            repository.uncount_source_attempt(session, source[:64])
    return account


def _count_source_attempt(source: str, name: str, settings: Settings | None) -> None:
    while True:
        try:
            with use_case(settings=settings) as session:
                allowed = repository.count_source_attempt(session, source, now=utcnow(), window=SOURCE_WINDOW,
                                                          limit=SOURCE_ATTEMPTS)
                if not allowed:
                    repository.add_audit(session, "sign_in_refused", user=_as_recorded(name), reason="source",
                                         source=source)
            break
        except IntegrityError:  # a parallel first attempt from the same source made its row: count again
            continue
    if not allowed:
        raise SignInError(SOURCE_REFUSED, code=ErrorCode.LOCKED)


def _sign_in_by_password(name: str, password: str, settings: Settings | None) -> Account:
    try:
        user_id, password_hash = _count_attempt(name, settings) if _storable_name(name) else (None, None)
    except SignInError:  # the name must wait: answered after the same password check as every other answer
        verify_password(_DUMMY_HASH, password)
        raise
    right = verify_password(password_hash or _DUMMY_HASH, password) and password_hash is not None
    with use_case(settings=settings) as session:
        user = session.get(User, user_id) if user_id is not None else None
        if user is None or not user.active or not right:
            repository.add_audit(session, "sign_in_failed", user=_as_recorded(name))
            failure = SignInError(REFUSED)
        else:
            failure = None
            user.failed_attempts = 0
            user.last_sign_in_at = utcnow()
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            repository.add_audit(session, "sign_in", user=name)
            account = _account(user)
    if failure is not None:
        raise failure
    return account


def _as_recorded(name: str) -> str:
    """A typed name as the audit trail can keep it on every backend (no NUL, at most 64 characters)."""
    return name.replace("\x00", "\ufffd")[:64]


def _storable_name(name: str) -> bool:
    return bool(name) and _as_recorded(name) == name


def _count_attempt(name: str, settings: Settings | None) -> tuple[int | None, str | None]:
    """Count an attempt for `name`: (its user's id, password hash), (None, None) for an unknown name, or
    SignInError when the name must wait. The count is a compare-and-set, tried again when a parallel attempt
    counted first, so every attempt is counted and none gets past the wait."""
    while True:
        with use_case(settings=settings) as session:
            user = repository.user_by_name(session, name)
            if user is None:
                return None, None
            now = utcnow()
            wait = wait_seconds(user.failed_attempts, user.last_failed_at, now)
            if wait > 0:
                repository.add_audit(session, "sign_in_refused", user=name, reason="waiting", wait_s=round(wait))
            elif repository.count_failed_attempt(session, user.id, seen=user.failed_attempts, now=now):
                return user.id, user.password_hash
        if wait > 0:
            raise SignInError(REFUSED, code=ErrorCode.LOCKED)


def sign_in_external(claims: Mapping[str, Any], *, settings: Settings | None = None) -> Account:
    """Single sign-on: the provider's ID-token claims -> an active local account. The account is found by issuer and
    subject ('iss', 'sub'), which the provider never reuses for someone else; a display name ('name') is never used.
    The first time, the account whose name is the person's e-mail is bound to them, and only if the provider
    verified that e-mail ('email_verified'): whoever can set their display name or an unverified address to
    'admin' gets nothing."""
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject or "\x00" in issuer + subject:
        raise SignInError("The identity provider did not say who you are (no issuer and subject): ask an admin to "
                          "check the single sign-on settings.")
    email = str(claims.get("email") or "").strip()
    verified = bool(email) and claims.get("email_verified") in (True, "true")
    with use_case(settings=settings) as session:
        user = repository.user_by_identity(session, issuer, subject)
        if user is None and verified and _storable_name(email):
            user = _bind(session, email, issuer, subject)
        known = user is not None and user.active
        shown = user.name if user is not None else email or subject
        repository.add_audit(session, "sign_in" if known else "sign_in_failed", user=_as_recorded(shown), via="sso",
                             issuer=_as_recorded(issuer))
        if known:
            user.last_sign_in_at = utcnow()
            account = _account(user)
    if known:
        return account
    if email and not verified:
        raise SignInError(f"Your identity provider has not verified the e-mail address {email}: verify it there, "
                          "then sign in again (or ask an admin).")
    raise SignInError(f"{shown} has no active DocDesk account: ask an admin to add it.")


def _bind(session, email: str, issuer: str, subject: str) -> User | None:
    """Bind the active, not yet bound account named `email` to this provider's person (audited)."""
    user = repository.user_by_name(session, email)
    if user is None or not user.active or user.sso_subject is not None:
        return None
    user.sso_issuer, user.sso_subject = issuer, subject
    repository.add_audit(session, "sso_linked", user=user.name, issuer=issuer)
    return user


# --- administration: `user` is the admin acting (None: the command line) -----------------------

def parse_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        raise DocDeskError(f"Unknown role '{role}': use uploader, reviewer or admin.",
                           code=ErrorCode.BAD_ROLE) from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DocDeskError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", code=ErrorCode.WEAK_PASSWORD)


def add_user(name: str, role: str, password: str | None = None, *, user: str | None = None,
             settings: Settings | None = None) -> tuple[Account, str | None]:
    """Create an account; without a password one is generated and returned (shown once, never stored)."""
    name, role = name.strip(), parse_role(role)
    if not name or len(name) > 64 or not name.isprintable():
        raise DocDeskError("User names need 1 to 64 printable characters.", code=ErrorCode.BAD_NAME)
    generated = None
    if password is None:
        password = generated = generate_password()
    _check_password(password)
    with use_case(user, Permission.MANAGE_USERS, settings=settings) as session:
        if repository.user_by_name(session, name) is not None:
            raise DocDeskError(f"A user named {name} exists already.", code=ErrorCode.USER_EXISTS)
        key = name_key(name)
        twin = next((u.name for u in repository.all_users(session) if name_key(u.name) == key), None)
        if twin is not None:
            raise DocDeskError(f"{name} looks like the existing user {twin} (same letters, or letters of another "
                               "alphabet that look the same): choose a name that reads differently.",
                               code=ErrorCode.USER_EXISTS)
        row = User(name=name, role=role, password_hash=hash_password(password), must_change_password=bool(generated))
        session.add(row)
        repository.add_audit(session, "user_added", user=user, target=name, role=role.value)
        return _account(row), generated


def list_users(*, user: str | None = None, settings: Settings | None = None) -> list[Account]:
    with use_case(user, Permission.MANAGE_USERS, settings=settings) as session:
        return [_account(u) for u in repository.all_users(session)]


def _change(name: str, action: str, change, *, user: str | None, settings: Settings | None, **details) -> Account:
    with use_case(user, Permission.MANAGE_USERS, settings=settings) as session:
        # Locked first: two admins changing each other at the same moment take turns, the second sees the first.
        admins = repository.lock_active_admins(session)
        if user is not None and user not in {admin.name for admin in admins}:
            raise PermissionDenied("Your account is no longer an active admin: sign in again or ask an admin.")
        row = repository.user_by_name(session, name)
        if row is None:
            raise DocDeskError(f"No user named {name}.", code=ErrorCode.NO_SUCH_USER)
        was_admin = row in admins
        change(row)
        # In the app an admin could lock everyone out; the command line (user=None) can always repair it.
        if user is not None and was_admin and not any(admin.active and admin.role == Role.ADMIN for admin in admins):
            raise DocDeskError(f"{name} is the last active admin: make someone else admin first.",
                               code=ErrorCode.LAST_ADMIN)
        repository.add_audit(session, action, user=user, target=name, **details)
        return _account(row)


def set_role(name: str, role: str, *, user: str | None = None, settings: Settings | None = None) -> Account:
    """A new role; the user's sessions end, so the new role is theirs from their next sign-in."""
    role = parse_role(role)
    return _change(name, "role_changed", lambda u: setattr(u, "role", role), user=user, settings=settings,
                   role=role.value)


def set_active(name: str, active: bool, *, user: str | None = None, settings: Settings | None = None) -> Account:
    if user == name and not active:
        raise DocDeskError("You cannot disable your own account.", code=ErrorCode.SELF_DISABLE)
    return _change(name, "user_enabled" if active else "user_disabled", lambda u: setattr(u, "active", active),
                   user=user, settings=settings)


def reset_password(name: str, password: str | None = None, *, user: str | None = None,
                   settings: Settings | None = None) -> str | None:
    """Set a new password (generated when None, and returned), clear the failed-attempt count and end the user's
    sessions."""
    generated = None
    if password is None:
        password = generated = generate_password()
    _check_password(password)

    def apply(row: User) -> None:
        row.password_hash = hash_password(password)
        row.failed_attempts = 0
        row.last_failed_at = None
        row.must_change_password = generated is not None  # the admin saw it: the user picks their own

    _change(name, "password_reset", apply, user=user, settings=settings)
    return generated


def change_password(current: str, new: str, *, user: str | None, session_id: int | None = None,
                    settings: Settings | None = None) -> None:
    """The signed-in `user` sets their own password, giving the current one again (the command line, which has no
    own account, resets passwords instead: `cli.py users reset-password`). Their sessions end, except `session_id`,
    the one they changed it in (services.sessions)."""
    if user is None:
        raise DocDeskError("The command line has no password of its own: use `cli.py users reset-password NAME`.",
                           code=ErrorCode.NO_SUCH_USER)
    _check_password(new)
    if new == current:
        raise DocDeskError("Choose a new password, not the current one.", code=ErrorCode.WEAK_PASSWORD)
    with use_case(user, Permission.OWN_ACCOUNT, settings=settings) as session:
        row = repository.user_by_name(session, user)
        if row is None or not verify_password(row.password_hash, current):
            raise SignInError("The current password is wrong: type it again.")
        row.password_hash = hash_password(new)
        row.must_change_password = False
        if session_id is not None:
            sessions.carry_on(session, session_id, row)
        repository.add_audit(session, "password_changed", user=user)


def ensure_first_admin(*, settings: Settings | None = None) -> str | None:
    """On a database without users, create `admin` with a random password and return it (printed once); it must be
    changed at the first sign-in."""
    with use_case(settings=settings) as session:
        if repository.has_users(session):
            return None
    _, password = add_user("admin", Role.ADMIN, settings=settings)
    return password

