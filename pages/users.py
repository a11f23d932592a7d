"""Users (admins): list accounts, add one, change a role, disable or enable, reset a password."""

import pandas as pd
import streamlit as st

import ui
from errors import DocDeskError
from services import users
from services.access import Permission, Role

user = ui.guard(Permission.MANAGE_USERS)  # first: sign-in, legacy-page bypass and role check
ROLES = [r.value for r in Role]

st.title("Users")
if shown := st.session_state.pop("users_notice", None):
    getattr(st, shown[0])(shown[1])  # names in it went through ui.plain


def notice(kind: str, text: str) -> None:
    st.session_state["users_notice"] = (kind, text)


accounts = users.list_users(user=user)
st.dataframe(pd.DataFrame([{"name": a.name, "role": a.role, "active": a.active,
                            "last sign-in": a.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if a.last_sign_in_at else "—"}
                           for a in accounts], columns=["name", "role", "active", "last sign-in"]),
             hide_index=True, width="stretch")

add, change = st.columns(2, gap="large")
with add, st.form("add-user", clear_on_submit=True):
    st.subheader("Add a user")
    name = st.text_input("Name", help="For single sign-on: the e-mail address the identity provider gives.")
    role = st.selectbox("Role", ROLES)
    typed = st.text_input("Password", type="password",
                          help=f"At least {users.MIN_PASSWORD_LENGTH} characters; empty: one is generated.")
    if st.form_submit_button("Add user", type="primary"):
        try:
            account, generated = users.add_user(name, role, typed or None, user=user)
            notice("success", f"Added {ui.plain(account.name)} ({account.role})."
                   + (f" Their password, shown only now: `{generated}`" if generated else ""))
            st.rerun()
        except DocDeskError as error:
            st.error(ui.plain(error.message))

with change:
    st.subheader("Change a user")
    names = [a.name for a in accounts]
    chosen = st.selectbox("User", names, index=None, placeholder="choose a user")
    account = next((a for a in accounts if a.name == chosen), None)
    if account is not None:
        try:
            new_role = st.selectbox("Role", ROLES, index=ROLES.index(account.role), key=f"role-{account.name}")
            buttons = st.columns(3)
            if buttons[0].button("Change role", disabled=new_role == account.role):
                users.set_role(account.name, new_role, user=user)
                notice("success", f"{ui.plain(account.name)} is now {new_role}.")
                st.rerun()
            if buttons[1].button("Enable" if not account.active else "Disable", disabled=account.name == user):
                users.set_active(account.name, not account.active, user=user)
                notice("success", f"{ui.plain(account.name)} is {'enabled' if not account.active else 'disabled'}.")
                st.rerun()
            if buttons[2].button("Reset password"):
                generated = users.reset_password(account.name, user=user)
                notice("success", f"New password for {ui.plain(account.name)}, shown only now: `{generated}`")
                st.rerun()
        except DocDeskError as error:
            st.error(ui.plain(error.message))
