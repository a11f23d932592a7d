"""Export: approved documents (or chosen statuses) for a date range -> preview -> CSV download."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from services import export
from storage.models import Status

user = st.session_state.get("user", {"name": None}).get("name")

st.title("Export")
st.caption("Dates are the receipt's date, or the upload day when none was read. "
           "CSV: UTF-8 with a header, ISO dates, '.' decimals.")
row = st.columns([3, 2, 2, 2])
statuses = row[0].multiselect("Statuses", [s.value for s in Status], default=[Status.APPROVED.value],
                              format_func=lambda s: s.replace("_", " "))
since = row[1].date_input("From", value=date.today() - timedelta(days=30), format="YYYY-MM-DD",
                          min_value=date(1990, 1, 1))
until = row[2].date_input("Until", value=date.today(), format="YYYY-MM-DD", min_value=date(1990, 1, 1))
with_items = row[3].checkbox("Also line items", value=False)
filters = export.ExportFilter(statuses=tuple(statuses), since=since, until=until)

rows, total = export.preview(filters)
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
    stem = f"docdesk-{since.isoformat()}-{until.isoformat()}"
    st.success(f"{files.rows} documents ready.")
    buttons = st.columns([1, 1, 4])
    buttons[0].download_button("Download documents CSV", files.documents_csv, file_name=f"{stem}.csv",
                               mime="text/csv", on_click="ignore", icon=":material/download:")
    if files.items_csv is not None:
        buttons[1].download_button("Download line items CSV", files.items_csv, file_name=f"{stem}-items.csv",
                                   mime="text/csv", on_click="ignore", icon=":material/download:")
