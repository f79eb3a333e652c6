"""Provider sign-in for the pages: a signed, HttpOnly, SameSite cookie, and CSRF tokens.

The cookie holds the id of a session kept on the server (catalog.sessions), signed with an
HMAC so that a forged one costs no database look-up. The server ends the session at
sign-out, after MAX_AGE_S, or when its key is revoked; a copy of the cookie dies with it.
Forms carry a CSRF token derived from the session cookie (or, before sign-in, from a random
cookie: double submit), compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SESSION_COOKIE = "moc_provider"
PRE_COOKIE = "moc_csrf"
MAX_AGE_S = 8 * 3600


@dataclass(frozen=True)
class ProviderSession:
    provider_id: str


def _sign(secret: bytes, value: str) -> str:
    mac = hmac.new(secret, value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def session_cookie(secret: bytes, session_id: str) -> str:
    return f"{session_id}|{_sign(secret, f'session|{session_id}')}"


def read_session(secret: bytes, cookie: str | None) -> str | None:
    """The session id a cookie holds, if its signature is ours."""
    if not cookie or cookie.count("|") != 1:
        return None
    session_id, signature = cookie.split("|")
    if not session_id or not hmac.compare_digest(signature, _sign(secret, f"session|{session_id}")):
        return None
    return session_id


def csrf_token(secret: bytes, seed: str) -> str:
    """The token a form must send back: bound to the session cookie or the pre-sign-in one."""
    return _sign(secret, f"csrf|{seed}")


def check_csrf(secret: bytes, seed: str | None, token: str | None) -> bool:
    return bool(seed and token) and hmac.compare_digest(csrf_token(secret, seed or ""), token or "")


def new_seed() -> str:
    return secrets.token_urlsafe(24)
