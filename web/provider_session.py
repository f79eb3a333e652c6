"""Provider sign-in for the pages: a signed, HttpOnly, SameSite cookie, and CSRF tokens.

The cookie holds the provider id and the hash of the key used to sign in, signed with an
HMAC; every request re-checks that the key is still active, so revoking a key signs its
sessions out. Forms carry a CSRF token derived from the session (or, before sign-in, from a
random cookie: double submit), compared in constant time.
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
    key_hash: str


def _sign(secret: bytes, value: str) -> str:
    mac = hmac.new(secret, value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def session_cookie(secret: bytes, session: ProviderSession) -> str:
    value = f"{session.provider_id}|{session.key_hash}"
    return f"{value}|{_sign(secret, value)}"


def read_session(secret: bytes, cookie: str | None) -> ProviderSession | None:
    """The session a cookie holds, if its signature is ours."""
    if not cookie or cookie.count("|") != 2:
        return None
    provider_id, key_hash, signature = cookie.split("|")
    if not hmac.compare_digest(signature, _sign(secret, f"{provider_id}|{key_hash}")):
        return None
    return ProviderSession(provider_id, key_hash)


def csrf_token(secret: bytes, seed: str) -> str:
    """The token a form must send back: bound to the session cookie or the pre-sign-in one."""
    return _sign(secret, f"csrf|{seed}")


def check_csrf(secret: bytes, seed: str | None, token: str | None) -> bool:
    return bool(seed and token) and hmac.compare_digest(csrf_token(secret, seed or ""), token or "")


def new_seed() -> str:
    return secrets.token_urlsafe(24)
