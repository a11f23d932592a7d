"""Accounts and a real sign-in through the app's form, for page and service tests."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from services import users

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a-long-test-password"


def add(settings, name: str, role: str = "reviewer", password: str = PASSWORD) -> str:
    users.add_user(name, role, password, settings=settings)
    return name


def account(settings, name: str) -> users.Account | None:
    """The account named `name` as the Users page lists it."""
    return next((a for a in users.list_users(settings=settings) if a.name == name), None)


def sign_in(app: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    """Fill the sign-in form of a started app and submit it."""
    [t for t in app.text_input if t.label == "Name"][0].set_value(name)
    [t for t in app.text_input if t.label == "Password"][0].set_value(password)
    [b for b in app.button if b.label == "Sign in"][0].click().run()
    return app


def signed_in_app(settings, role: str = "admin", name: str | None = None, *, create: bool = True) -> AppTest:
    """app.py, signed in through the form as a (new) user with `role`."""
    name = name or f"{role}-user"
    if create:
        add(settings, name, role)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    sign_in(app, name)
    assert not app.exception, app.exception
    assert app.session_state["user"]["name"] == name
    return app
