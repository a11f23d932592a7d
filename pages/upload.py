"""Upload: drop receipts, see at once what was taken, then watch each file until it is ready for review (or
failed, with the full reason and what to do), refreshed every 2 s without a reload."""

import streamlit as st

import ui
from errors import PermissionDenied
from services import documents, ingest
from services.access import Permission
from services.documents import DocumentRow
from services.status import Status

user = ui.guard(Permission.UPLOAD)  # first: sign-in, legacy-page bypass and role check
TYPES = ["jpg", "jpeg", "png", "tif", "tiff", "bmp", "webp", "avif", "pdf",
         "heic", "heif"]  # HEIC is refused with what to do: better than the browser greying the file out
SHOWN_FILES = 100  # per-file lines drawn (problems first); the counts cover every file
# (label, badge colour) per status, in the words an uploader uses
STATUS_BADGES = {Status.QUEUED: ("queued", "gray"), Status.PROCESSING: ("processing", "blue"),
                 Status.NEEDS_REVIEW: ("ready for review", "green"), Status.APPROVED: ("approved", "green"),
                 Status.REJECTED: ("rejected", "orange"), Status.FAILED: ("failed", "red"),
                 Status.SPLIT: ("split into receipts", "green")}
RETRIED_CODES = ("internal", "document_timeout", "worker_crashed")  # not the file's fault: a retry may work

st.title("Upload")
with st.form("upload", clear_on_submit=True):
    files = st.file_uploader("Receipts (images or PDF)", type=TYPES, accept_multiple_files=True,
                             max_upload_size=ingest.upload_limit_mb())
    submitted = st.form_submit_button("Upload selected files", type="primary")

if submitted and files:
    results = ingest.ingest_files([(f.name, f.getvalue()) for f in files], user=user)
    st.session_state["upload_results"] = [
        {"file": r.name, "outcome": r.outcome, "document": r.document_id, "code": r.code, "message": r.message}
        for r in results]
elif submitted:
    st.warning("Choose at least one file first.")


def line_for(result: dict, row: DocumentRow | None) -> tuple[str, str, str]:
    """(status label, badge colour, what to tell) for one uploaded file."""
    if result["outcome"] == "refused":
        return "refused", "red", result["message"].removeprefix("refused: ")
    if row is None:  # a duplicate of a document someone else uploaded
        return "already uploaded", "gray", f"The same file was uploaded before as document #{result['document']}."
    label, colour = STATUS_BADGES[Status(row.status)]
    said = {Status.QUEUED: "Waiting for a free worker.", Status.PROCESSING: "Being read now.",
            Status.NEEDS_REVIEW: "Read; a reviewer checks it next.", Status.APPROVED: "Checked and approved.",
            Status.REJECTED: f"Rejected by {row.reviewed_by or 'a reviewer'}: {row.review_note or 'no reason given'}",
            Status.FAILED: row.error or "Failed.",
            Status.SPLIT: "A stack of receipts: each is a document of its own (below)."}[Status(row.status)]
    if row.status == Status.FAILED and (row.error or "").split(":")[0] in RETRIED_CODES:
        said += (" Retry it on the Documents page." if ui.allowed_here(Permission.REVIEW)
                 else " Ask a reviewer to retry it; upload it again if that fails too.")
    if result["outcome"] == "duplicate":
        said = f"Uploaded before as #{row.id}. " + said
    return label, colour, said


def file_lines(results: list[dict], rows: dict[int, DocumentRow]) -> None:
    lines = [(result, *line_for(result, rows.get(result["document"]))) for result in results]
    trouble = {"refused": 0, "failed": 1, "rejected": 2}
    lines.sort(key=lambda line: trouble.get(line[1], 3))  # what needs the uploader first; stable otherwise
    for result, label, colour, said in lines[:SHOWN_FILES]:
        columns = st.columns([3, 2, 7], vertical_alignment="center")
        columns[0].text(result["file"] + (f"  #{result['document']}" if result["document"] else ""))
        columns[1].badge(label, color=colour)  # our own words, never the file's
        columns[2].text(said)
    if len(lines) > SHOWN_FILES:
        st.caption(f"… and {len(lines) - SHOWN_FILES} more files (all counted above).")


@st.fragment(run_every=2)
def live_status() -> None:
    results = st.session_state.get("upload_results") or []
    if not results:
        return
    ids = [r["document"] for r in results if r["document"] is not None]
    try:
        rows = documents.upload_rows(ids, user=user)
    except PermissionDenied:  # disabled meanwhile: the next full run signs them out
        return
    labels = [line_for(result, rows.get(result["document"]))[0] for result in results]
    waiting = sum(label in ("queued", "processing") for label in labels)
    st.subheader("This upload")
    counts = {label: labels.count(label) for label in dict.fromkeys(labels)}
    st.caption(" · ".join(f"{count} {label}" for label, count in counts.items()))
    st.progress((len(labels) - waiting) / len(labels), text=f"{len(labels) - waiting} of {len(labels)} files done")
    file_lines(results, rows)
    for stack in documents.batch_stacks(ids, user=user):  # a scanned stack: one document per receipt
        st.text(stack.message)
    if not waiting and ids:
        if ui.allowed_here(Permission.REVIEW):
            st.success("All processed: check them on the Review page.")
            st.page_link("pages/review.py", label="Open the Review page", icon=":material/fact_check:")
        else:
            st.success("All processed: a reviewer checks them next. Follow them on the Documents page.")
            st.page_link("pages/documents.py", label="Open the Documents page", icon=":material/folder_open:")


live_status()
