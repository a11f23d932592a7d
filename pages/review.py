"""Review: the page with the fields' boxes next to a form of the values; save, approve, reject, re-process."""

from datetime import date

import pandas as pd
import streamlit as st

import ui
from errors import ConflictError, DocDeskError
from pages.parts import duplicates as possible_duplicates
from services import checks, review
from services.access import Permission

user = ui.guard(Permission.REVIEW)  # first: sign-in, legacy-page bypass and role check


@st.cache_data(max_entries=64, show_spinner=False)
def page_image(document_id: int, version: int, blob_keys: tuple, page_index: int, cleaned: bool,
               selected: str | None, user: str):
    """Cached per document version, (content-addressed) image and user (the service checks who asks)."""
    return review.page_image(document_id, page_index, cleaned=cleaned, selected=selected, user=user)


def notice(kind: str, text: str) -> None:
    st.session_state["review_notice"] = (kind, text)


def exported_note(outcome: review.Outcome) -> str:
    return f" It is now marked changed since export batch {outcome.exported_in}." if outcome.exported_in else ""


st.title("Review")
if "doc" in st.query_params:  # opened from a link: /review?doc=12
    try:
        st.session_state["review_doc"] = int(st.query_params["doc"])
    except ValueError:
        pass
    del st.query_params["doc"]

view = review.open_document(st.session_state.get("review_doc"), user=user)
if view is None and st.session_state.get("review_doc") is not None:
    st.session_state["review_doc"] = None
    view = review.open_document(None, user=user)
if kind_text := st.session_state.pop("review_notice", None):
    getattr(st, kind_text[0])(ui.plain(kind_text[1]))
if view is None:
    st.info("Nothing to review: the queue is empty.")
    st.stop()

st.session_state["review_doc"] = view.id
versions = st.session_state.setdefault("review_versions", {})
version = versions.setdefault(view.id, view.version)  # the version this reviewer's form was loaded at
prefix = f"{view.id}-{version}"

queue_items, queue_length = review.queue(limit=50, user=user)
with st.sidebar:
    st.caption(f"Review queue: {queue_length} waiting")
    for item in queue_items[:15]:
        confidence = item.min_confidence if item.min_confidence is not None else "—"
        label = f"#{item.id} {ui.plain(item.name[:28])} · {confidence}"
        if st.button(label, key=f"queue-{item.id}", type="primary" if item.id == view.id else "tertiary"):
            st.session_state["review_doc"] = item.id
            st.rerun()

st.subheader(f"#{view.id} · {ui.plain(view.name)}")
if view.origin:  # a receipt of a stack: which pages of which file (or, for the file, its receipts)
    st.text(view.origin)
st.caption(f"status **{view.status.replace('_', ' ')}** · uploaded {view.created_at:%Y-%m-%d %H:%M} UTC"
           f"{' by ' + ui.plain(view.uploaded_by) if view.uploaded_by else ''}"
           f"{' · reviewed by ' + ui.plain(view.reviewed_by) if view.reviewed_by else ''}")
if view.error_code:
    st.error(f"{view.error_code}: {ui.plain(view.error_message)}")
if view.review_note:
    st.info(f"Note: {ui.plain(view.review_note)}")
if view.changed_since_export:
    st.warning(f"Changed since export batch {view.export_batch}: the accountant has the old values. Export it "
               f"again (Export page, “Changed since their export”).", icon=":material/sync_problem:")
elif view.export_batch is not None:
    st.warning(f"Exported in batch {view.export_batch}. Saving a change, approving or rejecting it again marks it "
               f"“changed since export batch {view.export_batch}”, to be exported again.", icon=":material/ios_share:")
for flag in view.flags:
    show = st.info if flag.is_note else st.warning
    show(f"**{flag.code.replace('_', ' ')}** — {ui.plain(flag.message)}")
possible_duplicates.show(view.id, user)

image_column, form_column = st.columns([5, 4], gap="large")
with image_column:
    controls = st.columns(3)
    variant = controls[0].radio("Image", ["Cleaned", "Original"], horizontal=True, key=f"{view.id}-variant")
    page_numbers = [p.index for p in view.pages] or [0]
    page_index = controls[1].selectbox("Page", page_numbers, format_func=lambda i: f"{i + 1} of {len(page_numbers)}",
                                       key=f"{view.id}-page")
    names = [f.name for f in view.fields if f.box]
    selected = controls[2].selectbox("Highlight", [None, *names], key=f"{view.id}-highlight",
                                     format_func=lambda n: "—" if n is None else n.replace("_", " "))
    blob_keys = tuple((p.original_key, p.cleaned_key) for p in view.pages)
    image = None
    if view.pages:
        image = page_image(view.id, view.version, blob_keys, page_index, variant == "Cleaned", selected, user)
    if image:
        st.image(image, width="stretch")
    else:
        st.info("No page image yet (the document has not been processed).")

with form_column:
    with st.form(f"review-{prefix}"):
        values = {}
        for spec in review.form_fields():
            name, f = spec.name, view.field(spec.name)
            current = f.value if f else None
            label = spec.label
            notes = []
            if f and f.low:
                label += " ⚠"
                notes.append(f"low confidence {f.confidence:.2f}")
            if f and f.flags:
                label += " ❗"
                notes.extend(f.flags)
            if f:
                notes.extend(f.notes)
            if f and f.source == "user":
                notes.append("corrected by a reviewer")
            if f and f.raw and f.raw != current:
                notes.append(f"read as: {f.raw}")
            help_text = ui.plain(" · ".join(notes)) or None
            key = f"{prefix}-{name}"
            try:
                as_date = spec.kind is checks.Kind.DATE
                initial = date.fromisoformat(current) if as_date and current else None
            except ValueError:  # not an ISO date: edit it as text, never clear it silently
                initial, as_date = None, False
            if as_date:
                values[name] = st.date_input(label, value=initial, format="YYYY-MM-DD", key=key, help=help_text,
                                             min_value=date(1990, 1, 1), max_value=date(2100, 1, 1))
            elif spec.kind is checks.Kind.CURRENCY:
                options = list(dict.fromkeys([*(c for c in [current] if c), *review.CURRENCIES]))
                values[name] = st.selectbox(label, options, index=0 if current else None, key=key, help=help_text,
                                            accept_new_options=True)
            else:
                values[name] = st.text_input(label, value=current or "", key=key, help=help_text,
                                             placeholder="12.50" if spec.kind is checks.Kind.AMOUNT else None)
        item_notes = [flag.message for flag in view.flags if review.LINE_ITEMS in flag.fields]
        st.markdown("**Line items**" + "".join(f" ❗ {ui.plain(note)}" for note in item_notes))
        items = st.data_editor(
            pd.DataFrame(view.line_items, columns=["description", "quantity", "unit_price", "amount"]),
            num_rows="dynamic", key=f"{prefix}-items", width="stretch", hide_index=True,
            column_config={"quantity": st.column_config.NumberColumn(format="%.3f"),
                           "unit_price": st.column_config.NumberColumn(format="%.2f"),
                           "amount": st.column_config.NumberColumn(format="%.2f")})
        reason = st.text_input("Reason (to reject)", key=f"{prefix}-reason")
        buttons = st.columns(3)
        save = buttons[0].form_submit_button("Save")
        approve = buttons[1].form_submit_button("Approve", type="primary")
        reject = buttons[2].form_submit_button("Reject")

    line_items = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in items.to_dict("records")]
    if save or approve or reject:
        try:
            if save:
                outcome = review.save(view.id, version, values, line_items, user=user)
                versions[view.id] = outcome.version
                notice("success", f"Saved #{view.id}: {', '.join(outcome.changed) or 'nothing changed'}."
                       + exported_note(outcome))
            elif approve:
                outcome = review.approve(view.id, version, values, line_items, user=user)
                notice("success", f"Approved #{view.id}." + ("" if outcome.next_id else " The queue is empty.")
                       + exported_note(outcome))
                st.session_state["review_doc"] = outcome.next_id
            else:
                outcome = review.reject(view.id, version, reason, user=user)
                notice("info", f"Rejected #{view.id}." + exported_note(outcome))
                st.session_state["review_doc"] = outcome.next_id
            if not save:
                versions.pop(view.id, None)
        except ConflictError as error:
            versions.pop(view.id, None)  # load their version
            notice("warning", error.message)
        except DocDeskError as error:
            st.error(ui.plain(error.message))
            st.stop()
        st.rerun()

    if st.button("Re-process", help="Run OCR again; values corrected by a reviewer are kept."):
        try:
            review.reprocess(view.id, user=user)
            notice("info", f"#{view.id} is queued for re-processing.")
        except DocDeskError as error:
            notice("error", error.message)
        st.rerun()

with st.expander(f"History ({len(view.history)} changes)", expanded=bool(view.history)):
    if view.history:
        st.dataframe(pd.DataFrame([{"at": h.at.strftime("%Y-%m-%d %H:%M:%S"), "field": h.field, "old": h.old,
                                    "new": h.new, "user": h.user or "—"} for h in view.history]),
                     hide_index=True, width="stretch")
    else:
        st.caption("No corrections yet.")
