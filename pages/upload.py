"""Upload: drop receipts, see at once what was taken, then watch the batch finish."""

import pandas as pd
import streamlit as st

import ui
from errors import PermissionDenied
from services import documents, ingest
from services.access import Permission

user = ui.guard(Permission.UPLOAD)  # first: sign-in, legacy-page bypass and role check
TYPES = ["jpg", "jpeg", "png", "tif", "tiff", "bmp", "webp", "avif", "pdf",
         "heic", "heif"]  # HEIC is refused with what to do: better than the browser greying the file out

st.title("Upload")
with st.form("upload", clear_on_submit=True):
    files = st.file_uploader("Receipts (images or PDF)", type=TYPES, accept_multiple_files=True)
    submitted = st.form_submit_button("Upload selected files", type="primary")

if submitted and files:
    results = ingest.ingest_files([(f.name, f.getvalue()) for f in files], user=user)
    st.session_state["upload_results"] = [
        {"file": r.name, "outcome": r.outcome, "document": r.document_id, "code": r.code, "message": r.message}
        for r in results]
    st.session_state["batch_ids"] = [r.document_id for r in results if r.outcome in ("queued", "duplicate")
                                     and r.document_id is not None]
elif submitted:
    st.warning("Choose at least one file first.")

results = st.session_state.get("upload_results")
if results:
    counts = {outcome: sum(r["outcome"] == outcome for r in results) for outcome in ("queued", "duplicate", "refused")}
    st.subheader("This upload")
    st.caption(f"{counts['queued']} queued · {counts['duplicate']} already uploaded · {counts['refused']} refused")
    st.dataframe(pd.DataFrame(results), hide_index=True, width="stretch",
                 column_config={"document": st.column_config.NumberColumn("document", format="#%d")})


@st.fragment(run_every=2)
def batch_status() -> None:
    ids = st.session_state.get("batch_ids") or []
    if not ids:
        return
    try:
        counts = documents.batch_progress(ids, user=user)
    except PermissionDenied:  # disabled meanwhile: the next full run signs them out
        return
    done = sum(counts.get(s, 0) for s in ("needs_review", "approved", "rejected", "failed"))
    total = sum(counts.values())  # a duplicate of someone else's document is not theirs to watch
    if not total:
        return
    st.subheader("Progress")
    st.progress(done / total, text=f"{done} of {total} processed")
    st.caption(" · ".join(f"{name.replace('_', ' ')}: {n}" for name, n in counts.items() if n))
    if done == total:
        st.success("All processed. Open the Review page to check them.")


batch_status()
