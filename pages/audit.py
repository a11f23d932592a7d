"""Audit (admins): who did what and when, filtered by user, action and date range, 50 per page."""

from datetime import date

import pandas as pd
import streamlit as st

import ui
from services import audit
from services.access import Permission

user = ui.guard(Permission.AUDIT)  # first: sign-in, legacy-page bypass and role check
PAGE_SIZE = 50

st.title("Audit")
row = st.columns([2, 2, 3])
who = row[0].selectbox("User", [""] + st.session_state.get("audit_users", []), format_func=lambda u: u or "anyone")
action = row[1].selectbox("Action", [""] + st.session_state.get("audit_actions", []),
                          format_func=lambda a: a.replace("_", " ") if a else "any")
dates = row[2].date_input("Dates (UTC)", value=(), format="YYYY-MM-DD", min_value=date(2000, 1, 1))
filters = audit.AuditFilter(user=who, action=action, since=dates[0] if len(dates) > 0 else None,
                            until=dates[1] if len(dates) > 1 else (dates[0] if len(dates) == 1 else None))
if st.session_state.get("audit_filters") != filters:  # new filters: back to the first page
    st.session_state["audit_filters"], st.session_state["audit_page"] = filters, 1
result = audit.list_events(filters, page=st.session_state.get("audit_page", 1), page_size=PAGE_SIZE, user=user)
if (st.session_state.get("audit_users"), st.session_state.get("audit_actions")) != (result.users, result.actions):
    st.session_state["audit_users"], st.session_state["audit_actions"] = result.users, result.actions
    st.rerun()  # the filter choices grew

st.caption(f"{result.total} events · page {result.page} of {result.pages}")
st.dataframe(pd.DataFrame([{"at": r.at.strftime("%Y-%m-%d %H:%M:%S"), "user": r.user or "(command line)",
                            "action": r.action, "document": r.document_id,
                            "details": ", ".join(f"{k}={v}" for k, v in r.details.items() if v is not None)}
                           for r in result.rows], columns=["at", "user", "action", "document", "details"]),
             hide_index=True, width="stretch",
             column_config={"document": st.column_config.NumberColumn("document", format="#%d")})
ui.pager(result, "audit_page")
