"""Trusted reverse proxies: the one place that decides whose X-Forwarded-For and
X-Forwarded-Proto the app believes (MOC_TRUSTED_PROXIES), for every part of it.

The middleware rewrites the ASGI scope's client address and scheme before anything else runs,
so the rate limiter, the access log and the provider cookies' Secure flag all see the same
client. uvicorn's own proxy handling is off (`moc-catalog serve` passes proxy_headers=False):
it trusts 127.0.0.1 whatever the setting says.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_SCHEMES = frozenset({"http", "https"})


class TrustedProxies:
    """The networks of MOC_TRUSTED_PROXIES (bare addresses are one-address networks)."""

    def __init__(self, entries: Sequence[str]) -> None:
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(entry, strict=False) for entry in entries
        )

    def trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:  # a Unix socket, an in-process test client: never a proxy
            return False
        return any(address in network for network in self.networks)

    def client(self, peer: str, forwarded_for: Sequence[str]) -> str:
        """The client behind trusted ``peer``: the nearest X-Forwarded-For hop that is not a
        trusted proxy. Each proxy appends the address it saw, so hops are read right to left;
        a hop that is not an address stops the walk at the last one that could be vouched for.
        """
        nearest = peer
        for hop in reversed(forwarded_for):
            try:
                address = str(ipaddress.ip_address(hop))
            except ValueError:
                break
            nearest = address
            if not self.trusts(address):
                break
        return nearest


def header_values(scope: Scope, name: bytes) -> list[str]:
    """The comma-separated values of every ``name`` header, in order."""
    return [
        part.strip()
        for key, value in scope.get("headers", [])
        if key == name
        for part in bytes(value).decode("latin-1").split(",")
    ]


class ProxyHeadersMiddleware:
    """When the peer is a trusted proxy, take the client address from X-Forwarded-For and the
    scheme from X-Forwarded-Proto (the nearest proxy's, i.e. the last value); from any other
    peer both headers are ignored."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] == "http" and peer and self.proxies.trusts(peer[0]):
            scope = dict(scope)
            forwarded_for = header_values(scope, b"x-forwarded-for")
            if forwarded_for:
                scope["client"] = (self.proxies.client(peer[0], forwarded_for), 0)
            schemes = header_values(scope, b"x-forwarded-proto")
            if schemes and schemes[-1].lower() in FORWARDED_SCHEMES:
                scope["scheme"] = schemes[-1].lower()
        await self.app(scope, receive, send)
