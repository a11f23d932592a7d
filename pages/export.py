"""Export: choose documents (approved, not yet exported by default) -> preview -> a new batch to download;
earlier batches download again exactly as they were delivered."""

from datetime import date

import pandas as pd
import streamlit as st

import ui
from errors import DocDeskError
from services import export
from services.access import Permission
from services.export import ExportState
from services.status import Status

user = ui.guard(Permission.EXPORT)  # first: sign-in, legacy-page bypass and role check

WHICH = {"Not yet exported": ExportState.NOT_EXPORTED, "Changed since their export": ExportState.CHANGED,
         "All, exported or not": None}


def batch_label(batch: export.Batch) -> str:
    return f"Batch {batch.id} · {batch.created_at:%Y-%m-%d %H:%M} UTC · {ui.count(batch.rows, 'document')}"


def new_export() -> None:
    row = st.columns([3, 4, 3])
    which = row[0].radio("Which documents", list(WHICH), key="export_which")
    today = date.today()
    presets = export.date_presets(today)
    span = row[1].radio("Receipt dates", [*presets, "Custom"], horizontal=True, key="export_span")
    statuses = row[2].multiselect("Statuses", [s.value for s in Status], default=[Status.APPROVED.value],
                                  format_func=lambda s: s.replace("_", " "), key="export_statuses")
    if span == "Custom":
        picked = row[1].columns(2)
        since = picked[0].date_input("From", value=today.replace(day=1), format="YYYY-MM-DD",
                                     min_value=date(1990, 1, 1))
        until = picked[1].date_input("Until", value=today, format="YYYY-MM-DD", min_value=date(1990, 1, 1))
    else:
        since, until = presets[span]
    filters = export.ExportFilter(statuses=tuple(statuses), since=since, until=until, state=WHICH[which])
    shown = export.preview(filters, user=user)
    if shown.changed and WHICH[which] is not ExportState.CHANGED:
        st.warning(f"{ui.count(shown.changed, 'exported document')} changed after the export. Choose "
                   f"“Changed since their export” to send the accountant the new values.")

    st.subheader(f"Preview: {ui.count(shown.total, 'document')}")
    for warning in shown.duplicates:
        st.warning(ui.plain(warning), icon=":material/content_copy:")
    if shown.rows:
        frame = pd.DataFrame([{**r, "exported": _export_state(r)} for r in shown.rows])
        st.dataframe(frame[["id", "file", "vendor", "date", "currency", "total", "status", "reviewed_by", "exported"]],
                     hide_index=True, width="stretch")
        if shown.total > len(shown.rows):
            st.caption(f"showing the first {len(shown.rows)}")
    else:
        st.caption("Nothing matches: every approved document may be exported already (see the batches below), "
                   "or try other dates.")
    bom = st.checkbox("CSV for Excel (UTF-8 with a byte-order mark)", value=True,
                      help="Excel shows accents right only with it; leave it off for tools that read plain UTF-8.")
    label = f"Export {ui.count(shown.total, 'document')} as a new batch"
    if st.button(label, type="primary", disabled=not shown.total):
        try:
            st.session_state["export_batch"] = export.export_batch(filters, bom=bom, user=user).id
            st.rerun()  # the preview no longer holds what was just exported
        except DocDeskError as error:
            st.error(ui.plain(error.message))
    if batch_id := st.session_state.get("export_batch"):
        batch = export.get_batch(batch_id, user=user)
        st.success(f"Batch {batch.id}: {ui.count(batch.rows, 'document')} exported. Download the files:")
        ui.batch_downloads(batch, "new")


def _export_state(row: dict) -> str:
    if row["export_batch"] is None:
        return ""
    batch = row["export_batch"]
    return f"changed since batch {batch}" if row["changed_since_export"] else f"batch {batch}"


def earlier_batches() -> None:
    page = export.list_batches(page=st.session_state.get("batches_page", 1), page_size=20, user=user)
    if not page.rows:
        st.caption("No export yet.")
        return
    st.dataframe(pd.DataFrame([{
        "batch": b.id, "when (UTC)": f"{b.created_at:%Y-%m-%d %H:%M}", "by": b.user or "(command line)",
        "documents": b.rows, "selection": _selection(b.filters), "documents CSV SHA-256": b.checksum}
        for b in page.rows]), hide_index=True, width="stretch")
    ui.pager(page, "batches_page")
    chosen = st.selectbox("Download a batch again (the same bytes as the first time)", page.rows,
                          format_func=batch_label, key="export_again")
    if chosen is not None:
        ui.batch_downloads(chosen, f"again-{chosen.id}")


def _selection(filters: dict) -> str:
    if filters.get("document_ids") is not None:
        return f"{len(filters['document_ids'])} chosen on the Documents page"
    which = next((label for label, state in WHICH.items() if (state.value if state else None) == filters.get("state")),
                 "")
    dates = f"{filters.get('since') or '…'} to {filters.get('until') or '…'}"
    return f"{which.lower()}, {', '.join(filters.get('statuses') or [])}, {dates}" + (
        ", for Excel" if filters.get("bom") else "")


st.title("Export")
st.caption("Every export is a batch: the files as delivered are kept and download again unchanged. CSV: a header, "
           "ISO dates, '.' decimals, formula-like cells quoted; XLSX: dates and amounts typed. "
           "Dates are the receipt's date, or the upload day when none was read.")
new_export()
st.divider()
st.subheader("Earlier batches")
earlier_batches()
