"""Documents: the workspace. Every document (an uploader: their own) with a thumbnail, searched over the OCR text
and the reviewed values, filtered; click a row to open it (review for reviewers, read-only otherwise); tick rows
to approve, reject, retry or export them together."""

import base64
from datetime import date

import pandas as pd
import streamlit as st

import ui
from errors import DocDeskError
from services import documents, export, pdfs
from services.access import Permission
from services.documents import DocumentRow
from services.export import ExportState
from services.status import Status

user = ui.guard(Permission.VIEW_OWN)  # first: sign-in, legacy-page bypass and role check
reviewer = ui.allowed_here(Permission.REVIEW)
exporter = ui.allowed_here(Permission.EXPORT)
PAGE_SIZE = 50
EXPORT_STATES = {"": "any", ExportState.NOT_EXPORTED: "not exported", ExportState.EXPORTED: "exported, unchanged",
                 ExportState.CHANGED: "changed since export"}
COLUMNS = ["page", "id", "file", "status", "note", "vendor", "date", "total", "exported", "uploaded by", "uploaded"]
ROW_HEIGHT = 64  # room for the thumbnail


def filters_from_widgets() -> documents.DocumentFilter:
    with st.container(border=True):
        first, second = st.columns([4, 3, 3]), st.columns([4, 3, 3])
        text = first[0].text_input("Search text and values", placeholder="e.g. hardware 42.95",
                                   help="Words from the receipt's text or from its fields as reviewed, in any order.")
        statuses = first[1].multiselect("Status", [s.value for s in Status], format_func=lambda s: s.replace("_", " "))
        vendor = first[2].text_input("Vendor contains")
        dates = second[0].date_input("Receipt date", value=(), format="YYYY-MM-DD", min_value=date(1990, 1, 1))
        state = uploader = ""
        if reviewer:  # an uploader sees only their own documents, exported or not
            state = second[1].selectbox("Export", list(EXPORT_STATES), format_func=EXPORT_STATES.get)
            uploader = second[2].selectbox("Uploaded by", ["", *documents.uploaders(user=user)],
                                           format_func=lambda u: u or "anyone")
    return documents.DocumentFilter(
        statuses=tuple(statuses), vendor=vendor, text=text, export_state=state, uploader=uploader,
        since=dates[0] if len(dates) > 0 else None, until=dates[1] if len(dates) > 1 else None)


def note(row: DocumentRow) -> str:
    if row.status == Status.REJECTED:
        return f"rejected: {row.review_note or 'no reason given'}"
    return row.error or ""


def table(result: documents.DocumentPage, key: str):
    thumbs = documents.thumbnails(result.rows, user=user)
    frame = pd.DataFrame([{
        "page": f"data:image/jpeg;base64,{base64.b64encode(thumbs[r.id]).decode()}" if r.id in thumbs else None,
        "id": r.id, "file": r.file, "status": r.status.replace("_", " "), "vendor": r.vendor, "date": r.date,
        "total": r.total, "uploaded by": r.uploaded_by, "uploaded": r.uploaded_at.strftime("%Y-%m-%d %H:%M"),
        "exported": r.export_label, "note": note(r)} for r in result.rows], columns=COLUMNS)
    shown = COLUMNS if reviewer else [c for c in COLUMNS if c not in ("uploaded by", "exported")]
    height = min(len(frame), 10) * (ROW_HEIGHT + 1) + 40
    return st.dataframe(frame[shown], hide_index=True, width="stretch", row_height=ROW_HEIGHT, height=height,
                        key=key, on_select="rerun",
                        selection_mode=["multi-row", "single-cell"] if reviewer else "single-cell",
                        column_config={"page": st.column_config.ImageColumn("page", width="small"),
                                       "note": st.column_config.TextColumn("note", width="medium")})


def done(text: str) -> None:
    """Remember what a bulk action did, and start the table afresh (no rows ticked)."""
    st.session_state["documents_notice"] = text
    st.session_state["documents_generation"] = st.session_state.get("documents_generation", 0) + 1
    st.rerun()


def summary(verb: str, outcome: documents.BulkOutcome) -> str:
    said = f"{verb} {len(outcome.done)}: " + (", ".join(f"#{i}" for i in outcome.done) or "none") + "."
    return said + "".join(f"\n#{i} left alone: {why}." for i, why in outcome.skipped.items())


def bulk_actions(chosen: list[DocumentRow]) -> None:
    ids = [r.id for r in chosen]
    with st.container(border=True):
        st.write(f"{len(ids)} selected")
        buttons = st.columns([1, 1, 3, 1, 1], vertical_alignment="bottom")
        reason = buttons[2].text_input("Reason (to reject; their uploaders see it)", key="documents_reason")
        try:
            if buttons[0].button("Approve", type="primary"):
                done(summary("Approved", documents.approve_many(ids, user=user)))
            if buttons[1].button("Reject"):
                done(summary("Rejected", documents.reject_many(ids, reason, user=user)))
            if buttons[3].button("Retry", help="Put the failed ones back on the queue."):
                retried = documents.retry(ids, user=user)
                done(f"Back on the queue: {', '.join(f'#{i}' for i in retried) or 'none (only failed ones are)'}.")
            if exporter and buttons[4].button("Export", help="The approved ones, as a new export batch."):
                batch = export.export_batch(export.ExportFilter(state=None, document_ids=tuple(ids)), bom=True,
                                            user=user)
                st.session_state["documents_batch"] = batch.id
                done(f"Exported {batch.rows} of {len(ids)} (approved ones only) as batch {batch.id}.")
        except DocDeskError as error:
            st.error(ui.plain(error.message))


def pdf_download(row: DocumentRow) -> None:
    """Made when clicked: the page as read, its words as invisible, searchable text."""
    read = row.status in (Status.NEEDS_REVIEW, Status.APPROVED, Status.REJECTED)
    st.download_button("Searchable PDF", data=lambda: pdfs.document_pdf(row.id, user=user).data,
                       file_name=pdfs.pdf_file_name(row.date, row.vendor, row.total), mime="application/pdf",
                       on_click="ignore", icon=":material/picture_as_pdf:", disabled=not read,
                       help="The pages as read, with their text, searchable outside DocDesk" if read
                       else "Not read yet")


def read_only(row: DocumentRow) -> None:
    """What an uploader may see of their own document: the page, the status and why, the values read."""
    view = documents.view_document(row.id, user=user)
    with st.container(border=True):
        st.subheader(f"Document #{row.id}")
        st.text(row.file)
        image_column, details = st.columns([2, 3], gap="large")
        if image := documents.page_preview(row.id, user=user):
            image_column.image(image, width="stretch")
        else:
            image_column.caption("No page image yet: it has not been read.")
        with details:
            pdf_download(row)
            label, colour = {Status.REJECTED: ("rejected", "orange"), Status.FAILED: ("failed", "red"),
                             Status.APPROVED: ("approved", "green")}.get(Status(row.status),
                                                                        (row.status.replace("_", " "), "blue"))
            st.badge(label, color=colour)
            if row.status == Status.REJECTED:
                st.caption(f"Reason given by {row.reviewed_by or 'the reviewer'}:")
                st.text(row.review_note or "no reason given")
            elif row.error:
                st.caption("Why it failed, and what to do:")
                st.text(row.error)
            if view.fields:
                st.dataframe(pd.DataFrame(view.fields, columns=["field", "value"]), hide_index=True, width="stretch",
                             height="content")
            if view.line_items:
                money = st.column_config.NumberColumn(format="%.2f")
                st.dataframe(pd.DataFrame(view.line_items), hide_index=True, width="stretch", height="content",
                             column_config={"unit_price": money, "amount": money})


st.title("Documents")
filters = filters_from_widgets()
if st.session_state.get("documents_filters") != filters:  # new filters: back to the first page
    st.session_state["documents_filters"], st.session_state["documents_page"] = filters, 1
try:
    result = documents.list_documents(filters, page=st.session_state.get("documents_page", 1), page_size=PAGE_SIZE,
                                      user=user)
except DocDeskError as error:  # e.g. a search too long to be one
    st.error(ui.plain(error.message))
    st.stop()
if notice := st.session_state.pop("documents_notice", None):
    st.success(ui.plain(notice))
if (batch_id := st.session_state.get("documents_batch")) and exporter:
    ui.batch_downloads(export.get_batch(batch_id, user=user), "documents-batch")

st.caption(f"{ui.count(result.total, 'document')} · page {result.page} of {result.pages} · "
           + ("click a cell to open the document in review, tick rows to act on several" if reviewer
              else "click a row to see the document"))
key = f"documents-table-{result.page}-{st.session_state.get('documents_generation', 0)}"
selection = table(result, key).selection
ui.pager(result, "documents_page")

clicked = [result.rows[cell[0]] for cell in selection.cells if cell[0] < len(result.rows)]
ticked = [result.rows[i] for i in selection.rows if i < len(result.rows)]
if clicked and reviewer:
    st.switch_page("pages/review.py", query_params={"doc": clicked[0].id})
if clicked:
    read_only(clicked[0])
if ticked and reviewer:
    bulk_actions(ticked)
