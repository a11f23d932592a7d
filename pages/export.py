"""Export: approved documents (or chosen statuses) for a date range -> preview -> CSV download."""

from datetime import date

import pandas as pd
import streamlit as st

import ui
from services import export
from services.access import Permission
from services.status import Status

user = ui.guard(Permission.EXPORT)  # first: sign-in, legacy-page bypass and role check

st.title("Export")
st.caption("Dates are the receipt's date, or the upload day when none was read. "
           "CSV: UTF-8 with a header, ISO dates, '.' decimals.")
row = st.columns([3, 4, 2])
statuses = row[0].multiselect("Statuses", [s.value for s in Status], default=[Status.APPROVED.value],
                              format_func=lambda s: s.replace("_", " "))
today = date.today()
presets = export.date_presets(today)
span = row[1].radio("Receipt dates", [*presets, "Custom"], horizontal=True)
with_items = row[2].checkbox("Also line items", value=False)
if span == "Custom":
    picked = st.columns(4)
    since = picked[0].date_input("From", value=presets["Last 30 days"][0], format="YYYY-MM-DD",
                                 min_value=date(1990, 1, 1))
    until = picked[1].date_input("Until", value=today, format="YYYY-MM-DD", min_value=date(1990, 1, 1))
else:
    since, until = presets[span]
filters = export.ExportFilter(statuses=tuple(statuses), since=since, until=until)

rows, total = export.preview(filters, user=user)
st.subheader(f"Preview: {total} documents")
if rows:
    columns = ["id", "file", "vendor", "date", "currency", "subtotal", "tax", "rounding", "total", "status",
               "reviewed_by"]
    st.dataframe(pd.DataFrame(rows)[columns], hide_index=True, width="stretch")
    if total > len(rows):
        st.caption(f"showing the first {len(rows)}")

prepared = st.session_state.get("export_files")
if prepared and prepared["filters"] != (filters, with_items):
    prepared = st.session_state["export_files"] = None
if st.button("Prepare CSV", type="primary", disabled=not total):
    files = export.export_csv(filters, with_items=with_items, user=user)
    prepared = st.session_state["export_files"] = {"filters": (filters, with_items), "files": files}
if prepared:
    files = prepared["files"]
    stem = f"docdesk-{since or 'start'}-{until or today}"
    st.success(f"{files.rows} documents ready.")
    buttons = st.columns([1, 1, 4])
    buttons[0].download_button("Download documents CSV", files.documents_csv, file_name=f"{stem}.csv",
                               mime="text/csv", on_click="ignore", icon=":material/download:")
    if files.items_csv is not None:
        buttons[1].download_button("Download line items CSV", files.items_csv, file_name=f"{stem}-items.csv",
                                   mime="text/csv", on_click="ignore", icon=":material/download:")
