"""Sessions in a real browser: a reload and a link opened in a new tab stay signed in (the HttpOnly cookie), a deep
link to a document survives signing in, and signing out or an admin disabling the user ends every tab."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from services.sessions import COOKIE
from settings import Settings
from storage.db import session_factory
from tests.e2e.served import WAIT_MS, cli, new_context, open_page, prepare, serve, sign_in, wait_for_cookie
from tests.receipts import encode, sample_receipt
from tests.seeding import make_document

pytestmark = pytest.mark.browser
REVIEWER, ADMIN = "rhea", "ada"


@pytest.fixture
def served(tmp_path):
    """(base URL, data dir, ids of two documents waiting for review)."""
    data_dir = tmp_path / "data"
    prepare(data_dir, {REVIEWER: "reviewer", ADMIN: "admin"})
    settings = Settings(data_dir=data_dir)
    image = encode(sample_receipt().image)
    with session_factory(settings).begin() as session:
        ids = [make_document(session, settings, image=image, confidence=c).id for c in (0.2, 0.9)]
    with serve(data_dir, tmp_path / "logs", worker=False) as base:
        yield base, data_dir, ids


def document_header(page, document_id: int):
    return page.get_by_role("heading", name=re.compile(rf"^Review #{document_id} "))


def signed_out(page):
    """The sign-in form, after the next click."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Documents").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT_MS)


def test_a_reload_and_a_new_tab_keep_the_session_and_the_cookie_is_httponly_and_strict(served, browser):
    base, _, (first, second) = served
    context = new_context(browser)
    page = open_page(context)
    page.goto(base)
    sign_in(page, REVIEWER)
    cookie = wait_for_cookie(context, COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] == -1
    assert page.evaluate("document.cookie").find(COOKIE) == -1  # page scripts cannot read it

    page.reload()
    expect(page.get_by_test_id("stSidebar").get_by_text(f"{REVIEWER} · reviewer")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)

    tab = open_page(context)
    tab.goto(f"{base}/review?doc={second}")
    expect(document_header(tab, second)).to_be_visible()
    expect(tab.get_by_role("button", name="Sign in")).to_have_count(0)
    expect(tab.get_by_text("Page not found")).to_have_count(0)


def test_a_deep_link_opened_signed_out_opens_its_document_after_sign_in(served, browser):
    base, _, (first, second) = served
    page = open_page(new_context(browser))
    page.goto(f"{base}/review?doc={second}")
    sign_in(page, REVIEWER)
    expect(document_header(page, second)).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert f"doc={second}" in page.url
    wait_for_cookie(page.context, COOKIE)
    page.reload()  # the address keeps naming the document shown
    expect(document_header(page, second)).to_be_visible()


def two_tabs(browser, base: str):
    """The reviewer signed in in one tab, and a second tab of the same browser on Documents (by the cookie)."""
    context = new_context(browser)
    page = open_page(context)
    page.goto(base)
    sign_in(page, REVIEWER)
    wait_for_cookie(context, COOKIE)
    other = open_page(context)
    other.goto(f"{base}/documents")
    expect(other.get_by_role("heading", name="Documents")).to_be_visible()
    return page, other


def test_signing_out_ends_the_other_tabs_session(served, browser):
    base, _, _ = served
    page, other = two_tabs(browser, base)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    signed_out(other)
    expect(other.get_by_text("You signed out")).to_be_visible()
    other.reload()  # the cookie names an ended session: still signed out
    expect(other.get_by_role("button", name="Sign in")).to_be_visible()


def test_disabling_a_user_ends_their_sessions_in_every_tab(served, browser):
    base, data_dir, _ = served
    page, other = two_tabs(browser, base)
    admin = open_page(new_context(browser))
    admin.goto(f"{base}/users")
    sign_in(admin, ADMIN)
    admin.get_by_test_id("stSidebarNav").get_by_role("link", name="Users").click()
    admin.get_by_label("User", exact=True).click()
    admin.get_by_role("option", name=re.compile(REVIEWER)).click()
    admin.get_by_role("button", name="Disable").click()
    expect(admin.get_by_text(f"{REVIEWER} is disabled")).to_be_visible()

    for tab in (page, other):
        signed_out(tab)
        expect(tab.get_by_text("Your account is disabled")).to_be_visible()
    assert "disabled" in cli(data_dir, "users", "list")


def test_a_password_reset_from_the_command_line_ends_their_sessions_too(served, browser):
    """Issue #21 item 6: not only the Users page; any change of the password ends the sessions made with the old one."""
    base, data_dir, _ = served
    page, other = two_tabs(browser, base)
    cli(data_dir, "users", "reset-password", REVIEWER, "--password-stdin", stdin="a-new-password-for-rhea")
    for tab in (page, other):
        signed_out(tab)
        expect(tab.get_by_text("Your password was changed")).to_be_visible()
    other.reload()  # the cookie names the ended session: still signed out
    expect(other.get_by_role("button", name="Sign in")).to_be_visible()
    sign_in(other, REVIEWER, "a-new-password-for-rhea")
