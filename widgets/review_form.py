"""The review page's form (pages/review.py): one document's fields as this reviewer loaded them, and the widget for
each field by its kind (ocr.catalogue, through services.review.form_fields)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

import ui
from services import review
from services.checks import Kind

BOXES = "review_boxes"  # {document id: {field: (page, box)}}: picked on the page, not saved yet


@dataclass(frozen=True)
class Form:
    """One document's form as this reviewer loaded it: widget keys and loaded values (the catalogue's fields)."""

    view: review.DocumentReview
    version: int
    keys: dict[str, str]
    loaded: dict[str, Any]

    @property
    def items_key(self) -> str:
        return f"{self.view.id}-{self.version}-items"

    @property
    def reason_key(self) -> str:
        return f"{self.view.id}-{self.version}-reason"

    @property
    def picked(self) -> dict[str, tuple[int, list[int]]]:
        return st.session_state.setdefault(BOXES, {}).get(self.view.id, {})

    def values(self) -> dict[str, Any]:
        return {name: st.session_state.get(key, self.loaded[name]) for name, key in self.keys.items()}

    def line_items(self) -> list[dict[str, Any]]:
        return ui.edited_rows(self.view.line_items, st.session_state.get(self.items_key))

    def reason(self) -> str:
        return st.session_state.get(self.reason_key) or ""

    def drop_edits(self) -> None:
        """Forget what this reviewer changed and did not save: the document opens again as it is stored."""
        for key in (*self.keys.values(), self.items_key, self.reason_key):
            st.session_state.pop(key, None)
        st.session_state.setdefault(BOXES, {}).pop(self.view.id, None)

    def unsaved(self) -> list[str]:
        """What this reviewer changed and has not saved; sign-out asks about the same (ui.watch_unsaved)."""
        labels = {spec.name: spec.label for spec in review.form_fields()}
        widgets = {key: (labels[name], self.loaded[name]) for name, key in self.keys.items()}
        ui.watch_unsaved(f"#{self.view.id}", widgets, {self.items_key: "line items"},
                         [f"the box of {labels[name]}" for name in self.picked])
        return ui.unsaved_edits()


def loaded_value(spec, field: review.FieldView | None) -> Any:
    """A field's value as its widget holds it when loaded: a date for an ISO date (else the text, never cleared
    silently), the code for a currency (None if empty), else the text."""
    value = field.value if field else None
    if spec.kind is Kind.DATE:
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return value
    if spec.kind is Kind.CURRENCY:
        return value or None
    return value or ""


def described(form: Form, changed: list[str]) -> list[str]:
    """The unsaved changes, a field's as 'Total: 42.95 → 49.00'."""
    by_label = {spec.label: spec.name for spec in review.form_fields()}
    values, lines = form.values(), []
    for label in changed:
        if (name := by_label.get(label)) is not None:
            before, after = form.loaded[name], values[name]
            lines.append(f"{label}: {before if before not in (None, '') else '—'} → "
                         f"{after if after not in (None, '') else '—'}")
        else:
            lines.append(f"{label[0].upper()}{label[1:]} changed")
    return lines


def field_label(spec, field: review.FieldView | None) -> tuple[str, str | None]:
    """The label (⚠ low confidence, ✗ a failed check) and the help: why it is marked, where the value came from."""
    label, notes = spec.label, []
    if field and field.low:
        label += " ⚠"
        notes.append(f"low confidence {field.confidence:.2f}")
    if field and field.flags:
        label += " ✗"
        notes.extend(field.flags)
    if field:
        notes.extend(field.notes)
        if field.source == "user":
            notes.append("corrected by a reviewer")
        if field.raw and field.raw != field.value:
            notes.append(f"read as: {field.raw}")
    return label, ui.plain(" · ".join(notes)) if notes else None


def field_widget(spec, key: str, label: str, help_text: str | None) -> None:
    """The widget for one field, its value in session state (set when loaded, or by a click on the page)."""
    value = st.session_state.get(key)
    if spec.kind is Kind.DATE and not isinstance(value, str):
        st.date_input(label, format="YYYY-MM-DD", key=key, help=help_text, min_value=date(1990, 1, 1),
                      max_value=date(2100, 1, 1))
    elif spec.kind is Kind.CURRENCY:
        options = list(dict.fromkeys([*(c for c in [value] if c), *review.CURRENCIES]))
        st.selectbox(label, options, key=key, help=help_text, accept_new_options=True)
    else:
        st.text_input(label, key=key, help=help_text, placeholder="e.g. 12.50" if spec.kind is Kind.AMOUNT else None)
