"""Documents: every document, filtered and searched over the OCR text; open one in review, retry failed ones."""

from datetime import date

import pandas as pd
import streamlit as st

import ui
from errors import DocDeskError
from services import documents
from services.access import Permission
from services.status import Status

user = ui.guard(Permission.VIEW_OWN)  # first: sign-in, legacy-page bypass and role check
reviewer = ui.allowed_here(Permission.REVIEW)
PAGE_SIZE = 50

st.title("Documents")
with st.container(border=True):
    row = st.columns([3, 2, 2, 2])
    text = row[0].text_input("Search the receipts' text", placeholder="e.g. hardware 42.95")
    statuses = row[1].multiselect("Status", [s.value for s in Status], format_func=lambda s: s.replace("_", " "))
    vendor = row[2].text_input("Vendor contains")
    dates = row[3].date_input("Receipt date", value=(), format="YYYY-MM-DD", min_value=date(1990, 1, 1))
filters = documents.DocumentFilter(
    statuses=tuple(statuses), vendor=vendor, text=text,
    since=dates[0] if len(dates) > 0 else None, until=dates[1] if len(dates) > 1 else None,
    uploader=st.session_state.get("documents_uploader") or "")
page_number = st.session_state.get("documents_page", 1)
try:
    result = documents.list_documents(filters, page=page_number, page_size=PAGE_SIZE, user=user)
except DocDeskError as error:  # e.g. a search too long to be one
    st.error(ui.plain(error.message))
    st.stop()

if reviewer and result.uploaders:  # an uploader sees only their own documents
    st.selectbox("Uploaded by", ["", *result.uploaders], key="documents_uploader",
                 format_func=lambda u: u or "anyone")

st.caption(f"{result.total} documents · page {result.page} of {result.pages}")
frame = pd.DataFrame([{
    "id": r.id, "file": r.file, "status": r.status.replace("_", " "), "vendor": r.vendor, "date": r.date,
    "total": r.total, "uploaded by": r.uploaded_by, "uploaded": r.uploaded_at.strftime("%Y-%m-%d %H:%M"),
    "reviewed by": r.reviewed_by, "error": r.error} for r in result.rows],
    columns=["id", "file", "status", "vendor", "date", "total", "uploaded by", "uploaded", "reviewed by", "error"])
# Rows open in review through selection + button (same tab): a link would open a new, signed-out tab.
selection = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key=f"documents-table-{result.page}")

ui.pager(result, "documents_page")

chosen_rows = selection.selection.rows if selection else []
chosen = result.rows[chosen_rows[0]] if chosen_rows else None
if chosen is not None:
    st.markdown(f"**#{chosen.id} · {ui.plain(chosen.file)}** — {chosen.status.replace('_', ' ')}")
    if chosen.error:
        st.error(ui.plain(chosen.error))
    actions = st.columns([1, 1, 6])
    if not reviewer:
        st.stop()
    if actions[0].button("Open in review", type="primary"):
        st.session_state["review_doc"] = chosen.id
        st.switch_page("pages/review.py")
    if chosen.status == Status.FAILED and actions[1].button("Retry"):
        try:
            retried = documents.retry([chosen.id], user=user)
            st.success(f"#{chosen.id} is back on the queue." if retried else f"#{chosen.id} was not retried.")
        except DocDeskError as error:
            st.error(ui.plain(error.message))
else:
    st.caption("Select a row to open it in review (or retry it, if it failed)." if reviewer
               else "Select a row to see its details.")
