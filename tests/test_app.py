"""The sign-in gate (app.py + ui.py) through AppTest: what a visitor, each role and an expired session see."""

from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui
from services import users
from storage.db import session_factory
from storage.models import AuditEvent, UserSession
from tests.seeding import make_document
from tests.signin import PASSWORD, add, sign_in, signed_in_app

ROOT = Path(__file__).resolve().parents[1]
PAGE_TITLES = {"pages/overview.py": "DocDesk", "pages/upload.py": "Upload", "pages/review.py": "Review",
               "pages/documents.py": "Documents", "pages/export.py": "Export", "pages/monitor.py": "Monitor",
               "pages/users.py": "Users", "pages/audit.py": "Audit"}
ALLOWED = {
    "uploader": {"pages/upload.py", "pages/documents.py"},
    "reviewer": {"pages/overview.py", "pages/review.py", "pages/documents.py", "pages/export.py"},
    "admin": set(PAGE_TITLES),
}


def everything_shown(app: AppTest) -> str:
    """All text the app rendered, main area and sidebar."""
    return repr(app.main) + repr(app.sidebar)


def actions(settings) -> list[tuple[str, str | None]]:
    with session_factory(settings).begin() as session:
        return [(e.action, e.user) for e in session.query(AuditEvent).order_by(AuditEvent.id)]



def test_a_visitor_sees_only_the_sign_in_form_and_no_data(migrated):
    with session_factory(migrated).begin() as session:
        make_document(session, migrated, fields={"vendor": "SECRET VENDOR"}, text="SECRET TEXT")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not app.exception
    assert [b.label for b in app.button] == ["Sign in"]
    assert [t.label for t in app.text_input] == ["Name", "Password"]
    shown = everything_shown(app)
    assert "SECRET" not in shown and "receipt-" not in shown and "needs review" not in shown
    assert not app.metric and not app.dataframe and not app.sidebar.button
    with pytest.raises(ValueError):  # no data page is registered in the navigation
        app.switch_page("pages/documents.py")


def test_wrong_password_is_refused_without_saying_which_part(migrated):
    add(migrated, "ann", "uploader")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    sign_in(app, "ann", "not-the-password")
    assert "Wrong name or password" in app.error[0].value
    assert "user" not in app.session_state
    assert ("sign_in_failed", "ann") in actions(migrated)


def test_the_wait_after_repeated_failures_is_shown_in_the_form(migrated):
    add(migrated, "ann", "uploader")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    for _ in range(users.FREE_ATTEMPTS):
        sign_in(app, "ann", "not-the-password")
    sign_in(app, "ann", PASSWORD)  # even the right password waits now
    assert app.error[0].value == ui.plain(users.REFUSED)  # the same as for a wrong password: names stay unknown
    assert "user" not in app.session_state


@pytest.mark.slow
@pytest.mark.parametrize("role", ["uploader", "reviewer", "admin"])
def test_each_role_sees_only_its_pages_and_is_refused_the_others(migrated, role):
    with session_factory(migrated).begin() as session:
        make_document(session, migrated, fields={"vendor": "SECRET VENDOR"}, text="SECRET TEXT", uploaded_by="x")
    app = signed_in_app(migrated, role)
    assert f"**{ui.plain(role + '-user')}** · {role}" in [m.value for m in app.sidebar.markdown]
    assert [b.label for b in app.sidebar.button][:1] == ["Sign out"]
    for path in set(PAGE_TITLES) - ALLOWED[role]:
        with pytest.raises(ValueError):  # not in this role's navigation
            app.switch_page(path)
    for path in ALLOWED[role]:
        app.switch_page(path).run()
        assert not app.exception, (path, app.exception)
        assert app.title[0].value.startswith(PAGE_TITLES[path])  # Review adds the document: "Review #1 · ..."
    for path in set(PAGE_TITLES) - ALLOWED[role]:
        # a deep link run as a legacy page (no app.py) in this signed-in session: the page's guard refuses
        direct = AppTest.from_file(str(ROOT / path), default_timeout=30)
        for key in ("user", "session_id", "entered_through_app"):
            direct.session_state[key] = app.session_state[key]
        direct.run()
        assert not direct.exception, (path, direct.exception)
        assert "Not allowed" in direct.error[0].value
        assert not direct.title and not direct.dataframe and not direct.metric
        assert "SECRET" not in everything_shown(direct)


@pytest.mark.parametrize("path", list(PAGE_TITLES))
def test_a_page_opened_without_a_session_shows_no_data(migrated, path):
    with session_factory(migrated).begin() as session:
        make_document(session, migrated, fields={"vendor": "SECRET VENDOR"}, text="SECRET TEXT")
    direct = AppTest.from_file(str(ROOT / path), default_timeout=30)
    direct.session_state["entered_through_app"] = True  # even with the flag, no user means no page
    direct.run()
    assert not direct.exception, direct.exception
    assert not direct.title and not direct.dataframe and not direct.metric
    assert "SECRET" not in everything_shown(direct)


def test_uploader_sees_only_their_own_documents(migrated):
    with session_factory(migrated).begin() as session:
        mine = make_document(session, migrated, uploaded_by="uploader-user").id
        make_document(session, migrated, uploaded_by="someone-else")
    app = signed_in_app(migrated, "uploader")
    app.switch_page("pages/documents.py").run()
    assert list(app.dataframe[0].value["id"]) == [mine]
    assert not app.selectbox  # no "uploaded by" filter
    assert "receipt" not in repr(app.sidebar)  # no counts over everyone's documents


def idle_for(settings, app: AppTest, minutes: float) -> None:
    """Move the app's session's last activity `minutes` into the past."""
    with session_factory(settings).begin() as session:
        row = session.get(UserSession, app.session_state["session_id"])
        row.last_seen_at -= timedelta(minutes=minutes)


def test_session_expires_after_inactivity(migrated):
    app = signed_in_app(migrated, "reviewer")
    idle_for(migrated, app, migrated.session_idle_minutes + 0.1)
    app.run()
    assert [b.label for b in app.button] == ["Sign in"]
    assert f"signed out after {migrated.session_idle_minutes} minutes without activity" in app.info[0].value
    assert ("sign_out", "reviewer-user") in actions(migrated)


def test_activity_keeps_the_session(migrated):
    app = signed_in_app(migrated, "reviewer")
    idle_for(migrated, app, migrated.session_idle_minutes - 0.5)
    app.run()
    assert app.title[0].value == "DocDesk" and "user" in app.session_state
    idle_for(migrated, app, migrated.session_idle_minutes - 0.5)  # the click above counted as activity
    app.run()
    assert app.title[0].value == "DocDesk" and "user" in app.session_state


def test_sign_out_forgets_the_session_and_is_audited(migrated):
    app = signed_in_app(migrated, "admin")
    app.session_state["export_files"] = {"filters": None, "files": "private"}
    [b for b in app.sidebar.button if b.label == "Sign out"][0].click().run()
    assert [b.label for b in app.button] == ["Sign in"]
    assert "user" not in app.session_state and "export_files" not in app.session_state
    assert actions(migrated)[-2:] == [("sign_in", "admin-user"), ("sign_out", "admin-user")]


@pytest.mark.parametrize("change, notice", [
    (lambda settings: users.set_role("reviewer-user", "uploader", settings=settings), "role was changed"),
    (lambda settings: users.reset_password("reviewer-user", settings=settings), "password was changed"),
    (lambda settings: users.set_active("reviewer-user", False, settings=settings), "disabled"),
])
def test_an_admins_change_to_the_account_ends_its_sessions_in_every_tab(migrated, change, notice):
    app = signed_in_app(migrated, "reviewer")
    other_tab = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    for key in ("user", "session_id"):
        other_tab.session_state[key] = app.session_state[key]
    other_tab.run()
    assert other_tab.title[0].value == "DocDesk"
    change(migrated)
    for tab in (app.run(), other_tab.run()):
        assert [b.label for b in tab.button] == ["Sign in"], notice
        assert notice in tab.info[0].value
        assert "user" not in tab.session_state


def test_sign_out_in_one_tab_ends_the_other(migrated):
    app = signed_in_app(migrated, "reviewer")
    other_tab = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    for key in ("user", "session_id"):
        other_tab.session_state[key] = app.session_state[key]
    [b for b in app.sidebar.button if b.label == "Sign out"][0].click().run()
    other_tab.run()
    assert [b.label for b in other_tab.button] == ["Sign in"]
    assert "signed out" in other_tab.info[0].value


def test_the_first_admins_printed_password_must_be_changed_before_anything_else(migrated):
    """The password `make run` prints at installation never had to be changed."""
    printed = users.ensure_first_admin(settings=migrated)
    assert users.ensure_first_admin(settings=migrated) is None
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    sign_in(app, "admin", printed)
    assert not app.exception, app.exception
    assert app.session_state["user"]["role"] == "admin"
    assert app.title[0].value == "Choose your password" and not app.metric  # no page, no navigation
    form = {t.label: t for t in app.text_input}
    form["Current password"].set_value(printed)
    form["New password"].set_value("only-i-know-this")
    form["New password again"].set_value("only-i-know-this")
    [b for b in app.button if b.label == "Change password"][0].click().run()
    assert not app.exception, app.exception
    assert app.title[0].value == "DocDesk"  # the overview, at last
    assert [m.label for m in app.metric][:2] == ["Queued", "Processing"]
    assert users.sign_in("admin", "only-i-know-this", settings=migrated).must_change_password is False
    assert ("password_changed", "admin") in actions(migrated)
