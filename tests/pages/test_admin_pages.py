"""The admins' pages (users, audit) and the single sign-on mapping, through AppTest and ui.py."""

import pytest

import ui
from errors import SignInError
from services import audit, users
from tests.signin import account, add, signed_in_app


def test_users_page_adds_with_a_generated_password_changes_role_disables_and_resets(migrated):
    app = signed_in_app(migrated, "admin", "boss")
    app.switch_page("pages/users.py").run()
    assert list(app.dataframe[0].value["name"]) == ["boss"]

    [t for t in app.text_input if t.label == "Name"][0].set_value("nina")
    [s for s in app.selectbox if s.label == "Role"][0].set_value("uploader")
    [b for b in app.button if b.label == "Add user"][0].click().run()
    assert not app.exception, app.exception
    message = app.success[0].value
    assert "Added nina (uploader)" in message and "shown only now" in message
    password = message.split("`")[1]
    assert users.sign_in("nina", password, settings=migrated).role == "uploader"
    app.run()
    assert not app.success  # shown once

    [s for s in app.selectbox if s.label == "User"][0].set_value("nina").run()
    [s for s in app.selectbox if s.label == "Role"][1].set_value("reviewer").run()
    [b for b in app.button if b.label == "Change role"][0].click().run()
    assert "nina is now reviewer" in app.success[0].value
    [s for s in app.selectbox if s.label == "User"][0].set_value("nina").run()
    [b for b in app.button if b.label == "Disable"][0].click().run()
    assert "nina is disabled" in app.success[0].value
    assert not account(migrated, "nina").active
    [s for s in app.selectbox if s.label == "User"][0].set_value("nina").run()
    [b for b in app.button if b.label == "Reset password"][0].click().run()
    new_password = app.success[0].value.split("`")[1]
    assert new_password != password
    actions = [r.action for r in audit.list_events(user="boss", settings=migrated).rows]
    assert {"user_added", "role_changed", "user_disabled", "password_reset"} <= set(actions)


def test_users_page_refuses_a_short_typed_password(migrated):
    app = signed_in_app(migrated, "admin", "boss")
    app.switch_page("pages/users.py").run()
    [t for t in app.text_input if t.label == "Name"][0].set_value("nina")
    [t for t in app.text_input if t.label == "Password"][0].set_value("short")
    [b for b in app.button if b.label == "Add user"][0].click().run()
    assert "at least" in app.error[0].value


def test_audit_page_lists_filters_and_pages(migrated):
    add(migrated, "rita", "reviewer")
    for _ in range(3):
        users.sign_in("rita", "a-long-test-password", settings=migrated)
    app = signed_in_app(migrated, "admin", "boss")
    app.switch_page("pages/audit.py").run()
    assert not app.exception, app.exception
    table = app.dataframe[0].value
    assert app.caption[0].value.startswith("2 events")  # sign-ins are left out at first
    assert list(table["action"]) == ["user added", "user added"] and set(table["kind"]) == {"admin"}
    app.pills[0].set_value(list(audit.AuditKind)).run()
    table = app.dataframe[0].value
    assert table["action"].iloc[0] == "sign in" and table["user"].iloc[0] == "boss"  # newest first
    assert app.caption[0].value.startswith("6 events")  # 2 users added, 4 sign-ins
    [s for s in app.selectbox if s.label == "User"][0].set_value("rita").run()
    assert set(app.dataframe[0].value["user"]) == {"rita"} and len(app.dataframe[0].value) == 3
    [s for s in app.selectbox if s.label == "Action"][0].set_value("user_added").run()
    assert len(app.dataframe[0].value) == 0


def test_the_audit_page_shows_a_correction_old_to_new(migrated):
    from services import review
    from storage.db import session_factory
    from tests.seeding import make_document

    add(migrated, "rita", "reviewer")
    with session_factory(migrated).begin() as session:
        document_id = make_document(session, migrated).id
    review.save(document_id, 1, {"total": "49.00"}, user="rita", settings=migrated)
    app = signed_in_app(migrated, "admin", "boss")
    app.switch_page("pages/audit.py").run()
    table = app.dataframe[0].value
    row = table[table["kind"] == "review"].iloc[0]
    assert (row["user"], row["kind"], row["action"], row["document"]) == ("rita", "review", "review save", document_id)
    assert row["what"] == "total: 42.95 → 49.00"
    assert not app.exception


# --- single sign-on ----------------------------------------------------------------------------

def test_sso_providers_from_the_auth_secrets():
    assert ui.sso_providers(None) == [] and ui.sso_providers({}) == []
    assert ui.sso_providers({"redirect_uri": "x", "cookie_secret": "y", "client_id": "z"}) == [None]
    assert ui.sso_providers({"redirect_uri": "x", "cookie_secret": "y", "google": {"client_id": "a"},
                             "microsoft": {"client_id": "b"}}) == ["google", "microsoft"]


IDP = "https://idp.example"


def claims(sub: str, email: str | None = None, verified: bool = True, **more) -> dict:
    """What a provider's ID token says, as st.user shows it."""
    found = {"is_logged_in": True, "iss": IDP, "sub": sub, **more}
    return found | ({"email": email, "email_verified": verified} if email else {})


def test_sso_binds_the_account_by_issuer_and_subject_through_a_verified_email(migrated):
    add(migrated, "ann@example.com", "reviewer")
    account = users.sign_in_external(claims("ann-1", "ann@example.com"))
    assert (account.name, account.role) == ("ann@example.com", "reviewer")
    # bound: later sign-ins need no e-mail, and the provider's change of e-mail or name changes nothing
    assert users.sign_in_external(claims("ann-1", "ann.new@example.com", name="Someone")).name == "ann@example.com"
    with pytest.raises(SignInError, match="no active DocDesk account"):  # another person of the provider
        users.sign_in_external(claims("eve-2", "ann@example.com"))
    with pytest.raises(SignInError, match="no active DocDesk account"):
        users.sign_in_external(claims("eve-2", "eve@example.com"))
    users.set_active("ann@example.com", False, settings=migrated)
    with pytest.raises(SignInError):
        users.sign_in_external(claims("ann-1"))
    with pytest.raises(SignInError, match="no issuer and subject"):
        users.sign_in_external({"is_logged_in": True, "email": "ann@example.com", "email_verified": True})


def test_sso_never_signs_in_by_display_name_or_an_unverified_email(migrated):
    """{"name": "admin"} signed in as the built-in admin: the display name became the account name."""
    add(migrated, "admin", "admin")
    add(migrated, "bob@example.com", "reviewer")
    with pytest.raises(SignInError, match="no active DocDesk account"):
        users.sign_in_external(claims("mallory-1", name="admin"))
    with pytest.raises(SignInError, match="has not verified the e-mail address"):
        users.sign_in_external(claims("mallory-1", "bob@example.com", verified=False, name="admin"))
    assert users.sign_in_external(claims("bob-1", "bob@example.com")).name == "bob@example.com"


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "docdesk",
        "client_secret": "s", "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
        "label": "Example ID"}


def test_sso_button_and_mapping_in_the_app(migrated):
    from streamlit.testing.v1 import AppTest

    from tests.signin import ROOT

    add(migrated, "ann@example.com", "reviewer")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    app.secrets["auth"] = AUTH
    app.user = {"is_logged_in": False}
    app.run()
    assert "Sign in with Example ID" in [b.label for b in app.button]

    app.user = claims("eve-1", "eve@example.com")  # the provider vouches for someone unknown
    app.run()
    assert ui.plain("eve@example.com has no active DocDesk account") in app.error[0].value
    assert "user" not in app.session_state

    app.user = claims("ann-1", "ann@example.com")
    app.run()
    assert not app.exception, app.exception
    assert {key: app.session_state["user"][key] for key in ("name", "role", "via")} == {
        "name": "ann@example.com", "role": "reviewer", "via": "sso"}
