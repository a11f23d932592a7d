"""The one gate every screen goes through: who is signed in (a server-side session, services.sessions, checked at
every run and resumed from the browser's cookie after a reload or in a new tab), which pages their role may open,
the sign-in screen (password, optional single sign-on), and sign-out.

Lives outside pages/ so Streamlit never lists it as a page. Every page starts with `user = ui.guard(Permission.X)`:
it sends a visitor who reached the page without app.py (Streamlit's legacy pages/ mode, when app.py is run without
serve.py) or without a valid session through app.py, and stops with "not allowed" when the role lacks the permission.
The services check the same permission again: hiding a page is not a permission.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import streamlit as st
from streamlit.errors import StreamlitAPIException

from errors import DocDeskError, SignInError
from services import sessions, users
from services.access import Permission, allowed
from services.sessions import SessionEnd
from widgets import session_cookie

USER = "user"  # {"name", "role", "via"}
SESSION = "session_id"  # the server-side session (services.sessions) this tab belongs to
CLAIM = "session_claim"  # the one-time code the browser trades for the session cookie, until it has
NOTICE = "sign_in_notice"
ENTERED = "entered_through_app"
UNSAVED = "unsaved_edits"  # what the page on screen holds unsaved (watch_unsaved), for sign-out to ask first
SIGN_OUT_ASKED = "sign_out_asked"  # the unsaved edits sign-out asked about, while the question is open

# (script, title, icon, permission); the first one a role may open is its start page.
PAGES: list[tuple[str, str, str, Permission]] = [
    ("pages/overview.py", "Overview", ":material/dashboard:", Permission.VIEW_ALL),
    ("pages/upload.py", "Upload", ":material/upload_file:", Permission.UPLOAD),
    ("pages/review.py", "Review", ":material/fact_check:", Permission.REVIEW),
    ("pages/documents.py", "Documents", ":material/folder_open:", Permission.VIEW_OWN),
    ("pages/export.py", "Export", ":material/download:", Permission.EXPORT),
    ("pages/monitor.py", "Monitor", ":material/monitoring:", Permission.MONITOR),
    ("pages/users.py", "Users", ":material/group:", Permission.MANAGE_USERS),
    ("pages/audit.py", "Audit", ":material/history:", Permission.AUDIT),
]


_ASCII_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
# Streamlit turns web and e-mail addresses found in the rendered text into links, escaped or not; a word joiner
# (U+2060, invisible) where the pattern needs two characters side by side leaves them text.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def plain(value: object) -> str:
    """What a user or a receipt supplied (a file or user name, OCR text, a typed value or reason, an error message
    quoting one), ready for anything Streamlit renders as Markdown: st.markdown, st.error/warning/info/success,
    captions, headers, button labels, help tooltips. Every ASCII punctuation character is backslash-escaped, so no
    image, link, HTML tag, heading, list, :color[] directive or $math$ can form (a file named `![b](https:host).png`
    made the reviewer's browser fetch that address), addresses stay unlinked, line breaks become spaces. Tables
    (st.dataframe) show text as it is and need none of this."""
    text = _AUTOLINK.sub(WORD_JOINER, " ".join(str(value).split()))
    return _ASCII_PUNCTUATION.sub(lambda match: "\\" + match.group(0), text)


def pages_for(role: str) -> list[tuple[str, str, str, Permission]]:
    return [entry for entry in PAGES if allowed(role, entry[3])]


# --- the session ---------------------------------------------------------------------------------

def start_session(account: users.Account, via: str = "password") -> None:
    """A new server-side session for a user who has just signed in; the browser gets its cookie through
    widgets.session_cookie, drawn by the next page run (guard)."""
    live, claim_code = sessions.start(account.name, via=via)
    st.session_state[USER] = {"name": live.name, "role": live.role, "via": live.via}
    st.session_state[SESSION] = live.id
    st.session_state[CLAIM] = claim_code
    st.session_state.pop(NOTICE, None)


def signed_in_user() -> dict[str, Any] | None:
    """The signed-in user, or None. A tab without a session (a reload, a new tab) resumes the one its browser's
    cookie names. Each run re-checks the session on the server: ended by sign-out in another tab, by inactivity, or
    by a change of the account (disabled, new password, new role) means signed out here too, with a notice saying
    why."""
    session_id = st.session_state.get(SESSION)
    if session_id is None:
        token = st.context.cookies.get(sessions.COOKIE)
        state = sessions.resume(token) if isinstance(token, str) and token else None
        if state is None:
            return None
    else:
        state = sessions.check(session_id)
    if isinstance(state, sessions.Ended):
        if session_id is not None:
            _forget(notice=state.notice())
        elif NOTICE not in st.session_state and state.reason is not SessionEnd.SIGN_OUT:
            # The cookie names an ended session, at every run until a new sign-in replaces it: say why once, and
            # keep this tab's state (clearing it each run would drop the sign-in form's submission).
            st.session_state[NOTICE] = state.notice()
        return None
    user = {"name": state.name, "role": state.role, "via": state.via,
            "must_change_password": state.must_change_password}
    st.session_state[USER] = user
    st.session_state[SESSION] = state.id
    if state.claimed:
        st.session_state.pop(CLAIM, None)
    return user


def sign_out() -> None:
    """End the session in every tab (audited), forget everything this tab held, and leave single sign-on too."""
    if (session_id := st.session_state.get(SESSION)) is not None:
        sessions.end(session_id)
    _forget()


def _forget(*, notice: str | None = None) -> None:
    via = (st.session_state.get(USER) or {}).get("via")
    st.session_state.clear()
    if notice:
        st.session_state[NOTICE] = notice
    if via == "sso" and _is_logged_in_externally():
        st.logout()


def guard(permission: Permission) -> str:
    """First line of every page: the signed-in user's name, or leave the page (through app.py / not allowed)."""
    if not st.session_state.get(ENTERED):  # opened as a legacy page, bypassing app.py and its gate
        _to_start_page()
    watched = st.session_state.pop(UNSAVED, None)  # the page on screen watches again at each run
    user = signed_in_user()
    if user is None:
        _to_start_page()
    _sidebar(user, watched)
    if not allowed(user["role"], permission):
        st.error(f"Not allowed: your role ({user['role']}) may not open this page. Ask an admin for access.")
        st.stop()
    return user["name"]


# --- unsaved edits -------------------------------------------------------------------------------

def watch_unsaved(what: str, widgets: Mapping[str, tuple[str, Any]], editors: Mapping[str, str] = {},
                  also: Sequence[str] = ()) -> None:
    """Tell sign-out (and the page itself) what may hold unsaved edits: `widgets` {key: (label, value as loaded)},
    data editors {key: label}, and `also`, labels of edits kept elsewhere. Called at each run of the page."""
    st.session_state[UNSAVED] = {"what": what, "widgets": dict(widgets), "editors": dict(editors), "also": list(also)}


def unsaved_edits(watched: Mapping[str, Any] | None = None) -> list[str]:
    """Labels of what the watched page holds unsaved: widgets whose value moved from the loaded one, data editors
    with edits."""
    watched = watched if watched is not None else st.session_state.get(UNSAVED) or {}
    changed = [label for key, (label, loaded) in watched.get("widgets", {}).items()
               if st.session_state.get(key, loaded) != loaded]
    for key, label in watched.get("editors", {}).items():
        edits = st.session_state.get(key) or {}
        if any(edits.get(part) for part in ("edited_rows", "added_rows", "deleted_rows")):
            changed.append(label)
    return changed + [label for label in watched.get("also", []) if label not in changed]


def edited_rows(rows: Sequence[Mapping[str, Any]], edits: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The rows as st.data_editor's edits (its session state: edited_rows, added_rows, deleted_rows) leave them."""
    edits = edits or {}
    result = [dict(row) for row in rows]
    for index, change in (edits.get("edited_rows") or {}).items():
        result[int(index)].update(change)
    deleted = {int(index) for index in edits.get("deleted_rows") or []}
    return [row for i, row in enumerate(result) if i not in deleted] + [dict(r) for r in edits.get("added_rows") or []]


def allowed_here(permission: Permission) -> bool:
    """For showing or hiding parts of a page the signed-in user may or may not use (the services check again)."""
    user = st.session_state.get(USER) or {}
    return allowed(user.get("role"), permission)


def pager(result: Any, state_key: str) -> None:
    """Previous / Next under a paged table (`result` has .page and .pages); the page lives in session state."""
    buttons = st.columns([1, 1, 6])
    if buttons[0].button("◀ Previous", disabled=result.page <= 1):
        st.session_state[state_key] = result.page - 1
        st.rerun()
    if buttons[1].button("Next ▶", disabled=result.page >= result.pages):
        st.session_state[state_key] = result.page + 1
        st.rerun()


def count(number: int, noun: str) -> str:
    """'1 document', '3 documents' (nouns with a plain -s plural)."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def batch_downloads(batch: Any, key: str) -> None:
    """A download button per file of an export batch (services.export.Batch). Each click fetches the stored file
    through services.export.batch_file: permission-checked and audited, the same bytes every time."""
    from services import export

    name = (st.session_state.get(USER) or {}).get("name")
    columns = st.columns(len(export.ExportFile) + 1)
    for column, kind in zip(columns, export.ExportFile, strict=False):
        _, mime, label = export.FILE_TYPES[kind]
        column.download_button(label, data=lambda kind=kind: export.batch_file(batch.id, kind, user=name),
                               file_name=batch.file_name(kind), mime=mime, on_click="ignore",
                               icon=":material/download:", key=f"{key}-{kind}")
    columns[-1].download_button("Searchable PDFs (zip)", data=lambda: _batch_pdfs(batch.id, name),
                                file_name=f"docdesk-batch-{batch.id}-pdfs.zip",
                                mime="application/zip", on_click="ignore", icon=":material/picture_as_pdf:",
                                key=f"{key}-pdfs", help="Each document's pages with their text, named by date, "
                                "vendor and total: made when clicked")


def _batch_pdfs(batch_id: int, user: str | None) -> bytes:
    from services import export

    target = io.BytesIO()
    export.batch_pdfs(batch_id, target, user=user)
    return target.getvalue()


def _client_address() -> str | None:
    """The browser's network address as the web server sees it: None on localhost, or wherever none is known."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def _sidebar(user: dict[str, Any], watched: Mapping[str, Any] | None) -> None:
    """Drawn by every page (also when Streamlit runs it as a legacy page): who is signed in, sign-out (asking first
    when the page holds unsaved edits), counts."""
    from services import status

    with st.sidebar:
        if claim_code := st.session_state.get(CLAIM):
            session_cookie.claim(claim_code)
        st.markdown(f"**{plain(user['name'])}** · {user['role']}")
        if st.button("Sign out", key="sign-out", icon=":material/logout:"):
            if changed := unsaved_edits(watched):
                st.session_state[SIGN_OUT_ASKED] = (watched["what"], changed)
            else:
                sign_out()
                st.rerun()
        if (asked := st.session_state.get(SIGN_OUT_ASKED)) and watched:
            _confirm_sign_out(*asked)
        else:  # the page with the edits was left: nothing to ask about any more
            st.session_state.pop(SIGN_OUT_ASKED, None)
        with st.popover("Change password", icon=":material/key:"):
            password_form(user["name"], key="own-password")
        if allowed(user["role"], Permission.VIEW_ALL):
            counts = status.document_counts(user=user["name"])
            st.caption(" · ".join(f"{name.replace('_', ' ')}: {count}" for name, count in counts.items() if count))


def password_form(name: str, *, key: str) -> bool:
    """The user's own new password, with the current one asked again; True once it was changed."""
    with st.form(key, clear_on_submit=True):
        current = st.text_input("Current password", type="password", autocomplete="current-password")
        new = st.text_input("New password", type="password", autocomplete="new-password",
                            help=f"At least {users.MIN_PASSWORD_LENGTH} characters.")
        again = st.text_input("New password again", type="password", autocomplete="new-password")
        if not st.form_submit_button("Change password", type="primary"):
            return False
    if new != again:
        st.error("The two new passwords differ: type them again.")
        return False
    try:
        users.change_password(current, new, user=name, session_id=st.session_state.get(SESSION))
    except DocDeskError as error:
        st.error(plain(error.message))
        return False
    st.success("Your password is changed.")
    return True


def change_password_screen(user: dict[str, Any]) -> None:
    """Before anything else: a password someone else saw (printed at installation, or reset by an admin) is
    replaced by one only the user knows."""
    st.title("Choose your password")
    st.info(f"Signed in as {plain(user['name'])}. Your password was generated and shown to someone: choose your "
            "own before you go on.")
    if password_form(user["name"], key="first-password"):
        st.rerun()
    if st.button("Sign out"):
        sign_out()
        st.rerun()


@st.dialog("Unsaved changes", on_dismiss=lambda: st.session_state.pop(SIGN_OUT_ASKED, None))
def _confirm_sign_out(what: str, changed: list[str]) -> None:
    st.text(f"Your changes to {', '.join(changed)} on {what} are not saved.")
    buttons = st.columns(2)
    if buttons[0].button("Sign out and lose them", key="sign-out-confirm", type="primary"):
        sign_out()
        st.rerun()
    if buttons[1].button("Stay", key="sign-out-cancel"):
        st.session_state.pop(SIGN_OUT_ASKED, None)
        st.rerun()


def _to_start_page() -> NoReturn:
    """Through app.py (its sign-in form); where Streamlit cannot switch there, stop with a hint. Never returns."""
    try:
        st.switch_page("app.py")
    except StreamlitAPIException:  # app.py is not the entry point (e.g. a page under test on its own)
        pass
    st.info("Please sign in on the start page.")
    st.stop()


# --- single sign-on (st.login, OIDC) --------------------------------------------------------------

def sso_providers(auth: Mapping[str, Any] | None) -> list[str | None]:
    """Providers configured in the [auth] secrets section: None for a single unnamed one
    ([auth] with client_id), else the names of [auth.<name>] subsections."""
    if not auth:
        return []
    if "client_id" in auth:
        return [None]
    return [name for name, section in auth.items() if isinstance(section, Mapping) and "client_id" in section]


def _auth_section() -> Mapping[str, Any] | None:
    try:
        return st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file: no single sign-on
        return None


def _is_logged_in_externally() -> bool:
    try:
        return bool(st.user.get("is_logged_in"))
    except Exception:  # noqa: BLE001
        return False


# --- the sign-in screen --------------------------------------------------------------------------

def sign_in_pages() -> list[Any]:
    """The sign-in screen, at the start address and at every page's, so that a link such as /review?doc=12 opened
    signed out shows the sign-in form (not "page not found") and, once signed in, the page and document it names."""
    start = st.Page(sign_in_screen, title="Sign in", icon=":material/login:", url_path="sign-in", default=True)
    return [start, *(st.Page(sign_in_screen, title="Sign in", icon=":material/login:", url_path=Path(script).stem)
                     for script, *_ in PAGES)]


def sign_in_screen() -> None:
    st.title("DocDesk")
    st.write("Sign in to continue.")
    if notice := st.session_state.get(NOTICE):
        st.info(plain(notice))
    providers = sso_providers(_auth_section())
    if providers and _is_logged_in_externally():
        try:
            account = users.sign_in_external(st.user.to_dict())
        except SignInError as error:
            st.error(plain(error.message))
            if st.button("Sign out of single sign-on"):
                st.logout()
        else:
            start_session(account, via="sso")
            st.rerun()
    with st.form("sign-in"):
        name = st.text_input("Name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            account = users.sign_in(name, password, source=_client_address())
        except SignInError as error:
            st.error(plain(error.message))
        else:
            start_session(account)
            st.rerun()
    for provider in providers:
        auth = _auth_section() or {}
        section = auth.get(provider, {}) if provider else auth
        label = section.get("label") or (provider.title() if provider else "single sign-on")
        if st.button(f"Sign in with {label}", key=f"sso-{provider}"):
            st.login(provider) if provider else st.login()
