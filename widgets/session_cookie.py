"""Hands the browser its session cookie: trades the one-time claim code at serve.py's route, which answers with
an HttpOnly cookie the page's JavaScript never sees (services.sessions)."""

from __future__ import annotations

import streamlit as st

from widgets import asset, base_path

ROUTE = "/_docdesk/session"

_component = st.components.v2.component("docdesk_session_cookie", js=asset("session_cookie.js"))


def claim(code: str) -> None:
    """Draws nothing; the browser posts `code` once."""
    _component(key="session-cookie", data={"url": base_path() + ROUTE, "claim": code}, height=0)
