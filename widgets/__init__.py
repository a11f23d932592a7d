"""DocDesk's own Streamlit components (components v2): the page viewer of the review screen and the hand-over of
the session cookie. Their JavaScript and CSS are static files in widgets/static, read here and served by the app
itself: nothing is fetched from another host. They render what they are given as text (textContent), never as
HTML."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit as st

STATIC = Path(__file__).parent / "static"


@cache
def asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def base_path() -> str:
    """The URL prefix the app is served under ('' or '/docdesk'), for the routes and media the components call."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""
