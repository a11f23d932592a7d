"""Review: the page beside a compact form of its fields, keyboard first.

The page viewer (widgets.page_viewer) shows the page with every field's box: focusing a field highlights its box,
clicking words on the page fills the field being edited. The form's fields are the catalogue's
(services.review.form_fields; their widgets in widgets.review_form). Unsaved edits are never dropped silently:
switching documents, rejecting, approving or signing out with edits asks first. The address names the document
shown (/review?doc=12).

An action (a button, or its shortcut, which presses the button) is done at the top of the run that carries the
click, and that same run draws the next document: approve & next costs one run, not two.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

import ui
from errors import ApprovalBlocked, ConflictError, DocDeskError
from pages.parts import duplicates as possible_duplicates
from services import checks, review
from services.access import Permission
from services.checks import Kind
from settings import get_settings
from widgets import STATIC
from widgets.page_viewer import Fill, media_url, page_viewer
from widgets.review_form import BOXES, Form, described, field_label, field_widget, loaded_value

user = ui.guard(Permission.REVIEW)  # first: sign-in, legacy-page bypass and role check
st.html(STATIC / "review.css")

PENDING = "review_pending"  # {"action", "target"}: waiting for "you have unsaved changes" to be answered
FOCUS = "review_focus"  # {"key", "nonce"}: the widget to put the cursor in once drawn
NOTICE = "review_notice"  # (kind, text): how the last action went, shown once
VARIANT = "review_variant"  # {document id: "original"} when the reviewer switched to the original scan
VERSIONS = "review_versions"  # {document id: the version this reviewer's form was loaded at}
BUTTONS = {"save": "review-save", "approve": "review-approve", "reject": "review-reject"}
CONFIRM, DROP = "review-pending-confirm", "review-pending-drop"  # the unsaved-changes dialog's answers
SETTLING = (*BUTTONS.values(), CONFIRM, DROP)  # buttons that save or drop the unsaved edits
QUEUE_BUTTON = "queue-"  # + document id
GRID = 3  # form cells a row


def linked_document() -> int | None:
    """The document the address names (/review?doc=12): the one shown, so a reload or a copied link opens it."""
    try:
        return int(st.query_params.get("doc", ""))
    except ValueError:
        return None


def show(document_id: int | None) -> None:
    if document_id is None:
        st.query_params.pop("doc", None)
    else:
        st.query_params["doc"] = str(document_id)


def notice(kind: str, text: str) -> None:
    st.session_state[NOTICE] = (kind, text)


def focus(key: str) -> None:
    """Put the cursor in the widget `key` once the page is drawn again."""
    nonce = st.session_state.get("review_focus_nonce", 0) + 1
    st.session_state["review_focus_nonce"] = nonce
    st.session_state[FOCUS] = {"key": key, "nonce": nonce}


def open_form() -> Form | None:
    """The form of the document the address names (else the head of the queue); None when nothing waits."""
    view = review.open_document(linked_document(), user=user)
    if view is None and linked_document() is not None:
        view = review.open_document(None, user=user)
    if view is None:
        return None
    show(view.id)
    version = st.session_state.setdefault(VERSIONS, {}).setdefault(view.id, view.version)
    specs = review.form_fields()
    form = Form(view, version, {spec.name: f"{view.id}-{version}-{spec.name}" for spec in specs},
                {spec.name: loaded_value(spec, view.field(spec.name)) for spec in specs})
    for name, key in form.keys.items():
        st.session_state.setdefault(key, form.loaded[name])
    return form


# --- actions -------------------------------------------------------------------------------------

def requested() -> tuple[str, int | None] | None:
    """The action this run carries: a button (pressed by hand or by its shortcut) or a document in the queue."""
    for action, key in BUTTONS.items():
        if st.session_state.get(key) is True:
            return action, None
    for key, value in st.session_state.items():
        if value is True and str(key).startswith(QUEUE_BUTTON):
            return "open", int(str(key)[len(QUEUE_BUTTON):])
        if value is True and str(key).startswith(possible_duplicates.OPEN_BUTTON):
            return "open", int(str(key).rsplit("-", 1)[1])
    return None


def act(form: Form, action: str, target: int | None = None) -> None:
    """Do `action` with the form as it stands (then open `target`, if given); say how it went."""
    view, versions = form.view, st.session_state[VERSIONS]
    if action == "open":  # another document: what was not saved here is dropped (nothing was, or the reviewer said so)
        form.drop_edits()
        show(target)
        st.session_state.pop(PENDING, None)
        return
    try:
        if action == "save":
            outcome = review.save(view.id, form.version, form.values(), form.line_items(), boxes=form.picked, user=user)
            versions[view.id] = outcome.version
            said = f"Saved #{view.id}: {', '.join(outcome.changed) or 'nothing changed'}."
        elif action == "approve":
            outcome = review.approve(view.id, form.version, form.values(), form.line_items(), boxes=form.picked,
                                     override=form.reason(), user=user)
            target = outcome.next_id
            said = f"Approved #{view.id}." + ("" if target else " The queue is empty.")
        elif action == "reject":
            outcome = review.reject(view.id, form.version, form.reason(), user=user)
            said, target = f"Rejected #{view.id}.", outcome.next_id
        else:
            raise ValueError(f"no review action {action!r}")
        if outcome.exported_in:
            said += f" It is now marked changed since export batch {outcome.exported_in}."
        notice("success", said)
        if action != "save":
            versions.pop(view.id, None)  # reopened later, it loads as it is then
        st.session_state[BOXES].pop(view.id, None)
        if target is not None or action in ("approve", "reject"):
            show(target)
    except ConflictError as error:
        versions.pop(view.id, None)  # load their version
        notice("warning", error.message)
    except DocDeskError as error:
        notice("error", error.message)
        if isinstance(error, ApprovalBlocked):
            focus(form.reason_key)
    st.session_state.pop(PENDING, None)


@st.dialog("Unsaved changes", width="medium", on_dismiss=lambda: st.session_state.pop(PENDING, None))
def confirm(form: Form, changed: list[str]) -> None:
    """Ask before an action would drop, or save unasked, what the reviewer changed."""
    pending = st.session_state.get(PENDING) or {}
    action, target = pending.get("action"), pending.get("target")
    st.text(f"Not saved yet on #{form.view.id}:\n" + "\n".join(described(form, changed)))
    buttons = st.columns([3, 3, 2])
    first = {"approve": ("Save and approve", "approve"), "reject": ("Drop them and reject", "reject"),
             "open": (f"Save, open #{target}", "save")}[action]
    chosen = None
    if buttons[0].button(first[0], key=CONFIRM, type="primary", width="stretch"):
        chosen = (first[1], target)
    if action == "open" and buttons[1].button(f"Drop them, open #{target}", key=DROP,
                                              width="stretch"):
        chosen = ("open", target)
    if buttons[2].button("Cancel", key="review-pending-cancel", width="stretch"):
        st.session_state.pop(PENDING, None)
        st.rerun()
    st.caption("Ctrl+Enter: the first button · Esc: cancel")
    if chosen:
        act(form, *chosen)
        st.rerun()


# --- drawing -------------------------------------------------------------------------------------

def take_fill(form: Form, fill: Fill) -> None:
    """Words clicked on the page become the value (read as the field's kind) and the box of the field edited."""
    spec = next((s for s in review.form_fields() if s.name == fill.field), None)
    if spec is None:
        return
    value: Any = checks.reading_as(fill.field, fill.text, get_settings())
    if spec.kind is Kind.DATE and not isinstance(st.session_state.get(form.keys[fill.field]), str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            notice("error", f"{spec.label}: '{value}' is not a date; click the date on the page, or type it.")
            return
    st.session_state[form.keys[fill.field]] = value
    st.session_state.setdefault(BOXES, {}).setdefault(form.view.id, {})[fill.field] = (fill.page, fill.box)
    focus(form.keys[fill.field])


def viewer_data(form: Form, page_index: int, changed: list[str]) -> dict[str, Any]:
    """What the page viewer draws: the page, OCR's words, the fields' boxes and states, what the keys press."""
    view, picked = form.view, form.picked
    page = next(p for p in view.pages if p.index == page_index)
    variant = st.session_state.get(VARIANT, {}).get(view.id, "cleaned")
    shown = review.page_screen(view.id, page_index, cleaned=variant == "cleaned", user=user)
    fields = []
    for spec in review.form_fields():
        field = view.field(spec.name)
        page_of, box = picked.get(spec.name) or ((field.page_index or 0, field.box) if field and field.box
                                                 else (None, None))
        state = ("user" if spec.name in picked or (field and field.source == "user") else
                 "flagged" if field and field.flags else "weak" if field and field.low else "ok")
        fields.append({"name": spec.name, "label": spec.label, "key": form.keys[spec.name], "page": page_of,
                       "box": box, "state": state, "flagged": bool(field and (field.flags or field.low)) or (
                           spec.required and not (field and field.value))})
    image = shown and {"url": media_url(shown.jpeg, f"{view.id}-{page_index}-{variant}"), "width": shown.width,
                       "height": shown.height}
    return {"document": view.id, "version": view.version, "page_index": page_index, "image": image,
            "variant": variant, "has_original": page.original_key not in (None, page.cleaned_key),
            "page_width": page.width, "page_height": page.height, "words": [list(w) for w in shown.words] if shown
            else [], "fields": fields, "start_field": next((f["name"] for f in fields if f["flagged"]), None),
            "height": "calc(100vh - 11.5rem)", "unsaved": bool(changed), "focus": st.session_state.pop(FOCUS, None),
            "buttons": {**BUTTONS, "reason": form.reason_key}, "settling": list(SETTLING)}


def draw_queue(form: Form, queue_items: list, queue_length: int) -> None:
    with st.sidebar:
        st.caption(f"Review queue: {queue_length} waiting")
        for item in queue_items[:15]:
            label = f"#{item.id} {item.name[:28]} · {item.min_confidence if item.min_confidence is not None else '—'}"
            st.button(ui.plain(label), key=f"{QUEUE_BUTTON}{item.id}",
                      type="primary" if item.id == form.view.id else "tertiary")


def draw_header(form: Form, position: int | None, queue_length: int, said: tuple[str, str] | None) -> None:
    view = form.view
    st.title(f"Review #{view.id} · {ui.plain(view.name)}", anchor=False)
    st.caption(ui.plain(" · ".join(part for part in (
        view.status.replace("_", " "),
        f"{position} of {queue_length} in the queue" if position else None,
        view.origin,  # a receipt of a stack: which pages of which file (or, for the file, its receipts)
        f"uploaded {view.created_at:%Y-%m-%d %H:%M} UTC" + (f" by {view.uploaded_by}" if view.uploaded_by else ""),
        f"reviewed by {view.reviewed_by}" if view.reviewed_by else None,
        f"approved despite: {view.approval_override}" if view.approval_override else None) if part)))
    if said and said[0] in ("success", "info"):
        st.toast(ui.plain(said[1]))
    if view.error_code:
        st.error(ui.plain(f"{view.error_code}: {view.error_message}"))
    if view.review_note:
        st.info(ui.plain(f"Note: {view.review_note}"))


def draw_viewer(form: Form, changed: list[str]) -> None:
    view = form.view
    if not view.pages:
        st.info("No page image yet (the document has not been processed).")
        return
    pages = [p.index for p in view.pages]
    page_index = pages[0]
    if len(pages) > 1:
        page_index = st.selectbox("Page", pages, format_func=lambda i: f"{i + 1} of {len(pages)}",
                                  key=f"{view.id}-page")
    shown = page_viewer(viewer_data(form, page_index, changed), key="review-page-viewer")
    if shown.fill is not None:
        take_fill(form, shown.fill)
        st.rerun()
    if shown.variant is not None:
        st.session_state.setdefault(VARIANT, {})[view.id] = shown.variant
        st.rerun()


def draw_form(form: Form, said: tuple[str, str] | None) -> None:
    view, row = form.view, []
    for spec in review.form_fields():
        if spec.wide or not row:
            row = [st.container()] if spec.wide else list(st.columns(GRID, gap="small"))
        with row.pop(0):
            field_widget(spec, form.keys[spec.name], *field_label(spec, view.field(spec.name)))
        if spec.wide:
            row = []
    with st.container(key="review-flags"):
        if view.changed_since_export:
            st.text(f"⚠ Changed since export batch {view.export_batch}: the accountant has the old values. Export it "
                    "again (Export page, “Changed since their export”).")
        elif view.export_batch is not None:
            st.text(f"ℹ Exported in batch {view.export_batch}. Saving a change, approving or rejecting it again marks "
                    f"it “changed since export batch {view.export_batch}”, to be exported again.")
        for flag in view.flags:
            st.text(("ℹ " if flag.is_note else "⚠ ") + flag.message)
        if view.approval_problems:
            st.text("✗ Approving needs a reason (below) while " + ("a check fails" if view.flags else "a required "
                    "field is empty") + ", or correct the values.")
    if said and said[0] in ("warning", "error"):
        getattr(st, said[0])(ui.plain(said[1]))
    actions = st.columns([3.2, 1.3, 2.3, 1.4], gap="small", vertical_alignment="bottom")
    actions[0].text_input("Reason", key=form.reason_key, label_visibility="collapsed",
                          placeholder="Reason: reject or override")
    actions[1].button("Save", key=BUTTONS["save"], width="stretch")
    actions[2].button("Approve & next", key=BUTTONS["approve"], type="primary", width="stretch")
    actions[3].button("Reject", key=BUTTONS["reject"], width="stretch")


def draw_items_and_history(form: Form) -> None:
    view = form.view
    item_notes = [flag.message for flag in view.flags if review.LINE_ITEMS in flag.fields]
    st.caption(ui.plain("Line items" + "".join(f" ✗ {note}" for note in item_notes)))
    st.data_editor(pd.DataFrame(view.line_items, columns=["description", "quantity", "unit_price", "amount"]),
                   num_rows="dynamic", key=form.items_key, width="stretch", hide_index=True,
                   column_config={"quantity": st.column_config.NumberColumn(format="%.3f"),
                                  "unit_price": st.column_config.NumberColumn(format="%.2f"),
                                  "amount": st.column_config.NumberColumn(format="%.2f")})
    if st.button("Re-process", help="Run OCR again; values corrected by a reviewer are kept."):
        try:
            review.reprocess(view.id, user=user)
            notice("info", f"#{view.id} is queued for re-processing.")
        except DocDeskError as error:
            notice("error", error.message)
        st.rerun()
    with st.expander(f"History ({len(view.history)} changes)"):
        if view.history:
            st.dataframe(pd.DataFrame([{"at": h.at.strftime("%Y-%m-%d %H:%M:%S"), "field": h.field, "old": h.old,
                                        "new": h.new, "user": h.user or "—"} for h in view.history]),
                         hide_index=True, width="stretch")
        else:
            st.caption("No corrections yet.")


def prepare(document_id: int) -> None:
    """Encode the next document's page now, in the background, so approve & next shows it at once."""
    threading.Thread(target=review.page_screen, args=(document_id,), kwargs={"user": user}, daemon=True).start()


# --- the run ---------------------------------------------------------------------------------------

form = open_form()
if form is not None and (request := requested()) is not None:
    action, target = request
    if action in ("approve", "reject", "open") and form.unsaved() and target != form.view.id:
        st.session_state[PENDING] = {"action": action, "target": target}
    elif target != form.view.id:
        act(form, action, target)
        form = open_form()
if form is None:
    st.title("Review")
    if said := st.session_state.pop(NOTICE, None):
        st.toast(ui.plain(said[1]))
    st.info("Nothing to review: the queue is empty.")
    st.stop()

changed = form.unsaved()
said = st.session_state.pop(NOTICE, None)
queue_items, queue_length = review.queue(limit=50, user=user)
draw_queue(form, queue_items, queue_length)
draw_header(form, next((i for i, item in enumerate(queue_items, 1) if item.id == form.view.id), None), queue_length,
            said)
image_column, form_column = st.columns([11, 9], gap="medium")
with image_column, st.container(key="review-viewer"):
    draw_viewer(form, changed)
with form_column, st.container(key="review-form"):
    draw_form(form, said)
    possible_duplicates.show(form.view.id, user)
    draw_items_and_history(form)
if following := next((item.id for item in queue_items if item.id != form.view.id), None):
    prepare(following)
if st.session_state.get(PENDING):
    confirm(form, changed)
