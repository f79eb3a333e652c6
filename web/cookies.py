"""Whether the cookies set in answer to a request are marked Secure: one rule for every cookie."""

from __future__ import annotations

from starlette.requests import Request


def secure_cookie(request: Request) -> bool:
    """Whether the browser reached the site over HTTPS.

    That is the request's scheme: the connection's own, or the X-Forwarded-Proto of a trusted
    proxy (MOC_TRUSTED_PROXIES), which the app resolves before any route runs (api.proxies).
    A peer that is not a trusted proxy cannot turn it on or off with a header.
    """
    return request.url.scheme == "https"
