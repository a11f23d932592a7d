"""The review screen's page viewer (components v2; widgets/static/page_viewer.js): the page with the fields'
boxes, zoom and pan, click-to-fill; and the screen's keyboard shortcuts (widgets/static/review_keys.js). Returns the
words a reviewer clicked for the field being edited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit import runtime

from widgets import asset, base_path

SHORTCUTS = ("Ctrl+Enter approve & next (or confirm) · Ctrl+S save · Alt+R reject · Alt+N next flagged field · "
             "Alt+= / Alt+- zoom · Alt+0 fit width · Alt+O original / cleaned · wheel: zoom · drag: move")

_component = st.components.v2.component(
    "docdesk_page_viewer", css=asset("page_viewer.css"),
    js=asset("page_viewer.js") + asset("review_keys.js"))  # one module: the viewer, then the screen's listeners


@dataclass(frozen=True)
class Fill:
    """Words clicked on the page for a field: their text and the box around them (cleaned page pixels)."""

    field: str
    text: str
    page: int
    box: list[int]


def media_url(jpeg: bytes, name: str) -> str:
    """A URL the browser can load the image from, served by Streamlit for this session (like st.image)."""
    return base_path() + runtime.get_instance().media_file_mgr.add(jpeg, "image/jpeg", f"docdesk-{name}")


@dataclass(frozen=True)
class Viewed:
    """What the reviewer did on the page since the last run: words clicked for a field, or the other image asked
    for ("original" or "cleaned")."""

    fill: Fill | None = None
    variant: str | None = None


def page_viewer(data: dict[str, Any], *, key: str) -> Viewed:
    """Draw the viewer with `data` (see pages/review.py: viewer_data)."""
    result = _component(key=key, data={**data, "shortcuts": SHORTCUTS}, on_fill_change=lambda: None,
                        on_variant_change=lambda: None) or {}
    fill, variant = result.get("fill"), result.get("variant")
    if isinstance(fill, dict) and {"field", "text", "box", "page"} <= fill.keys():
        return Viewed(fill=Fill(str(fill["field"]), str(fill["text"]), int(fill["page"]),
                                [int(v) for v in fill["box"]][:4]))
    return Viewed(variant=variant if variant in ("original", "cleaned") else None)
