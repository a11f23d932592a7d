"""Audit (admins): who did what and when, by kind (sign-ins hidden at first), user, action and dates, 50 per page;
a correction reads field: old → new. The filtered trail downloads as CSV through the export service."""

from datetime import date

import pandas as pd
import streamlit as st

import ui
from services import audit, export
from services.access import Permission

user = ui.guard(Permission.AUDIT)  # first: sign-in, legacy-page bypass and role check
PAGE_SIZE = 50
KIND_LABELS = {audit.AuditKind.SIGN_IN: "sign-in", audit.AuditKind.UPLOAD: "upload",
               audit.AuditKind.REVIEW: "review", audit.AuditKind.EXPORT: "export",
               audit.AuditKind.PROCESSING: "processing", audit.AuditKind.ADMIN: "admin"}

st.title("Audit")
kinds = st.pills("Kinds", list(audit.AuditKind), default=list(audit.DEFAULT_KINDS), selection_mode="multi",
                 format_func=lambda k: KIND_LABELS[k], key="audit_kinds")
people, actions = audit.filter_choices(user=user)
row = st.columns([2, 2, 3])
who = row[0].selectbox("User", ["", *people], format_func=lambda u: u or "anyone")
action = row[1].selectbox("Action", ["", *actions], format_func=lambda a: a.replace("_", " ") if a else "any")
dates = row[2].date_input("Dates (UTC)", value=(), format="YYYY-MM-DD", min_value=date(2000, 1, 1))
filters = audit.AuditFilter(user=who, action=action, since=dates[0] if len(dates) > 0 else None,
                            until=dates[1] if len(dates) > 1 else (dates[0] if len(dates) == 1 else None),
                            kinds=tuple(k.value for k in kinds) or tuple(audit.AuditKind))
if st.session_state.get("audit_filters") != filters:  # new filters: back to the first page
    st.session_state["audit_filters"], st.session_state["audit_page"] = filters, 1
result = audit.list_events(filters, page=st.session_state.get("audit_page", 1), page_size=PAGE_SIZE, user=user)

st.caption(f"{ui.count(result.total, 'event')} · page {result.page} of {result.pages}")
st.dataframe(pd.DataFrame([{"at (UTC)": r.at.strftime("%Y-%m-%d %H:%M:%S"), "user": r.user or "(command line)",
                            "kind": KIND_LABELS[r.kind], "action": r.action.replace("_", " "),
                            "document": r.document_id, "what": r.summary} for r in result.rows],
                          columns=["at (UTC)", "user", "kind", "action", "document", "what"]),
             hide_index=True, width="stretch",
             column_config={"document": st.column_config.NumberColumn("document", format="#%d"),
                            "what": st.column_config.TextColumn("what", width="large")})
ui.pager(result, "audit_page")
st.download_button(f"Download these {ui.count(result.total, 'event')} (CSV)", icon=":material/download:",
                   on_click="ignore",
                   data=lambda: export.audit_csv(filters, bom=True, user=user), file_name="docdesk-audit.csv",
                   mime="text/csv", disabled=not result.total)
