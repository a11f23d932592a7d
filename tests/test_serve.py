"""serve.py's route that sets the session cookie, driven through ASGI as a browser would post to it."""

from __future__ import annotations

import json

import anyio
from starlette.applications import Starlette
from starlette.routing import Route

import serve
from services import sessions
from tests.signin import add
from widgets.session_cookie import ROUTE

ROUTES = Starlette(routes=[Route(ROUTE, serve.claim_session, methods=["POST"])])


def post(body: bytes, *, scheme: str = "http", origin: str | None = None) -> tuple[int, dict[str, str]]:
    """POST `body` to the claim route; the status and the response headers."""
    headers = [(b"host", b"docdesk.example"), (b"content-type", b"application/json")]
    if origin:
        headers.append((b"origin", origin.encode()))
    scope = {"type": "http", "http_version": "1.1", "method": "POST", "scheme": scheme, "path": ROUTE,
             "raw_path": ROUTE.encode(), "root_path": "", "query_string": b"", "headers": headers,
             "server": ("docdesk.example", 443 if scheme == "https" else 80), "client": ("127.0.0.1", 5000)}
    sent: list[dict] = []
    requests = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict:
        return requests.pop(0) if requests else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    anyio.run(ROUTES, scope, receive, send)
    start = sent[0]
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}


def claim_body(code: str) -> bytes:
    return json.dumps({"claim": code}).encode()


def test_a_claim_sets_an_httponly_strict_cookie_holding_a_token_that_resumes_the_session(migrated):
    live, code = sessions.start(add(migrated, "rita"), settings=migrated)
    status, headers = post(claim_body(code), origin="http://docdesk.example")
    assert status == 204
    cookie = headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie and "expires" not in cookie.lower() and "Path=/" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert sessions.resume(token, settings=migrated).id == live.id


def test_over_https_the_cookie_is_secure(migrated):
    _, code = sessions.start(add(migrated, "rita"), settings=migrated)
    status, headers = post(claim_body(code), scheme="https")
    assert status == 204 and "Secure" in headers["set-cookie"]


def test_a_claim_from_another_site_a_used_code_or_a_bad_body_sets_nothing(migrated):
    _, code = sessions.start(add(migrated, "rita"), settings=migrated)
    status, headers = post(claim_body(code), origin="https://evil.example")
    assert status == 403 and "set-cookie" not in headers
    assert post(claim_body(code))[0] == 204
    status, headers = post(claim_body(code))  # used
    assert status == 403 and "set-cookie" not in headers
    assert post(b"not json")[0] == 400
    assert post(b'{"nothing": 1}')[0] == 400
