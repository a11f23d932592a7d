"""Invariants about accounts that must hold when requests race, enforced by the database on both backends."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, update

from errors import DocDeskError
from services import users
from storage import repository
from storage.db import session_factory
from storage.models import AuditEvent, Role, SignInSource, User, utcnow

ROUNDS = 20


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together; each one's result or the exception it raised."""
    start = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except Exception as error:  # noqa: BLE001 - returned for the test to look at
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def active_admins(settings) -> list[str]:
    with session_factory(settings).begin() as session:
        return [u.name for u in repository.all_users(session) if u.active and u.role == Role.ADMIN]


def test_two_admins_disabling_each_other_at_once_leave_one_admin(migrated):
    users.add_user("ada", "admin", "a-long-password", settings=migrated)
    users.add_user("bea", "admin", "a-long-password", settings=migrated)
    for _ in range(ROUNDS):
        results = at_once(lambda: users.set_active("bea", False, user="ada", settings=migrated),
                          lambda: users.set_active("ada", False, user="bea", settings=migrated))
        assert len(active_admins(migrated)) == 1
        refused = [r for r in results if isinstance(r, DocDeskError)]
        assert len(refused) == 1 and refused[0].code in ("last_admin", "forbidden"), results
        users.set_active("ada", True, settings=migrated)  # the command line repairs, for the next round
        users.set_active("bea", True, settings=migrated)


def test_demoting_each_other_at_once_leaves_one_admin(migrated):
    users.add_user("ada", "admin", "a-long-password", settings=migrated)
    users.add_user("bea", "admin", "a-long-password", settings=migrated)
    for _ in range(ROUNDS // 2):
        at_once(lambda: users.set_role("bea", "reviewer", user="ada", settings=migrated),
                lambda: users.set_role("ada", "reviewer", user="bea", settings=migrated))
        assert len(active_admins(migrated)) == 1
        users.set_role("ada", "admin", settings=migrated)
        users.set_role("bea", "admin", settings=migrated)


def test_parallel_wrong_passwords_are_all_counted_and_the_wait_holds(migrated):
    users.add_user("carl", "uploader", "the-right-password", settings=migrated)
    attempts = 3 * users.FREE_ATTEMPTS
    results = at_once(*[lambda: users.sign_in("carl", "a-wrong-password", settings=migrated)] * attempts)

    codes = Counter(getattr(r, "code", type(r).__name__) for r in results)
    assert codes == {"sign_in_failed": users.FREE_ATTEMPTS, "locked": attempts - users.FREE_ATTEMPTS}
    with session_factory(migrated).begin() as session:
        counted = session.scalar(select(User.failed_attempts).where(User.name == "carl"))
        audited = dict(session.execute(select(AuditEvent.action, func.count()).group_by(AuditEvent.action)).all())
    assert counted == audited["sign_in_failed"] == users.FREE_ATTEMPTS
    assert audited["sign_in_refused"] == attempts - users.FREE_ATTEMPTS
    try:
        users.sign_in("carl", "the-right-password", settings=migrated)
        raise AssertionError("signed in during the wait")
    except users.SignInError as error:
        assert error.code == "locked"


def test_parallel_right_passwords_all_sign_in_and_leave_no_count(migrated):
    """Attempts in flight count until they succeed: fewer than FREE_ATTEMPTS at once never wait."""
    users.add_user("dora", "uploader", "the-right-password", settings=migrated)
    tabs = users.FREE_ATTEMPTS - 1
    results = at_once(*[lambda: users.sign_in("dora", "the-right-password", settings=migrated)] * tabs)
    assert all(isinstance(r, users.Account) for r in results), results
    with session_factory(migrated).begin() as session:
        assert session.scalar(select(User.failed_attempts).where(User.name == "dora")) == 0


def test_guesses_spread_over_many_names_from_one_address_are_limited_too(migrated, monkeypatch):
    """The per-name wait does not slow a guesser who tries one password on many names: their network address
    may make SOURCE_ATTEMPTS attempts per window, counted atomically however many arrive at once."""
    monkeypatch.setattr(users, "SOURCE_ATTEMPTS", 6)
    users.add_user("erin", "uploader", "the-right-password", settings=migrated)
    guesser = "203.0.113.7"
    results = at_once(*[lambda i=i: users.sign_in(f"name-{i}", "a-guess", source=guesser, settings=migrated)
                        for i in range(15)])

    codes = Counter(getattr(r, "code", type(r).__name__) for r in results)
    assert codes == {"sign_in_failed": 6, "locked": 9}
    assert all("network address" in r.message for r in results if getattr(r, "code", "") == "locked")
    with pytest.raises(users.SignInError, match="network address"):  # the right password waits too
        users.sign_in("erin", "the-right-password", source=guesser, settings=migrated)
    assert users.sign_in("erin", "the-right-password", source="198.51.100.2", settings=migrated).name == "erin"
    assert users.sign_in("erin", "the-right-password", settings=migrated).name == "erin"  # no address known

    with session_factory(migrated).begin() as session:  # a quarter of an hour later
        session.execute(update(SignInSource).values(window_started_at=utcnow() - users.SOURCE_WINDOW))
    assert users.sign_in("erin", "the-right-password", source=guesser, settings=migrated).name == "erin"


def test_right_passwords_give_their_address_its_attempt_back(migrated, monkeypatch):
    """An office behind one address signs in all day: only failures use up the address's attempts."""
    monkeypatch.setattr(users, "SOURCE_ATTEMPTS", 3)
    users.add_user("finn", "uploader", "the-right-password", settings=migrated)
    for _ in range(10):
        users.sign_in("finn", "the-right-password", source="192.0.2.1", settings=migrated)
    with session_factory(migrated).begin() as session:
        assert session.get(SignInSource, "192.0.2.1").attempts == 0
