"""The web server: `streamlit run serve.py` serves app.py (Streamlit's ASGI app, st.App) plus the one HTTP route
Streamlit cannot offer a script: setting the HttpOnly session cookie.

A Streamlit script talks to the browser over a WebSocket and can read cookies (st.context.cookies) but never set one.
So the signed-in page hands the browser a one-time claim code (widgets.session_cookie), the browser posts it here,
and this route answers with the cookie: random token, HttpOnly (page scripts cannot read it), SameSite=Strict
(other sites' pages cannot send it), Secure when the request came over HTTPS, no expiry date (the server ends the
session: services.sessions).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from streamlit.runtime.pages_manager import PagesManager
from streamlit.starlette import App

from ocr import fields as _field_rules  # noqa: F401 - loaded now, not by the first approval's checks (~0.3 s)
from services import sessions
from widgets import base_path
from widgets.session_cookie import ROUTE


def same_origin(request: Request) -> bool:
    """A browser names the page that sent a POST in Origin: only this site's own pages may claim a session."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


async def claim_session(request: Request) -> Response:
    if not same_origin(request):
        return JSONResponse({"error": "cross-site request refused"}, status_code=403)
    try:
        code = (await request.json())["claim"]
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "send {\"claim\": CODE}"}, status_code=400)
    token = await run_in_threadpool(sessions.claim, str(code))
    if token is None:
        return JSONResponse({"error": "unknown, used or expired claim: sign in again"}, status_code=403)
    response = Response(status_code=204)
    response.set_cookie(sessions.COOKIE, token, path=base_path() or "/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


# app.py names its pages with st.navigation. Streamlit 1.67 still takes a pages/ folder for its old multipage layout
# on a fresh server's very first run, and runs a page address opened first (/review?doc=12) as that page alone: no
# app.py, so no sign-in form at that address and no way back to it. Say from the start that st.navigation is used.
PagesManager.uses_pages_directory = False

app = App("app.py", routes=[Route(base_path() + ROUTE, claim_session, methods=["POST"])])
