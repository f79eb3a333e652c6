"""The upload page's report carried across its redirect (POST, redirect, GET), so reloading
the page shows the report again instead of sending the file again.

The report travels in a short-lived cookie, signed like the session and compressed; API
processes share nothing else, and a report belongs to this browser only. A report too large
for a cookie keeps its counts and as many problems as fit, and says how many it left out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from typing import Any

REPORT_COOKIE = "moc_upload_report"
REPORT_MAX_AGE_S = 15 * 60
MAX_COOKIE = 3800  # bytes of the value: browsers keep at least 4,096 per cookie, name included


def _sign(secret: bytes, payload: str) -> str:
    mac = hmac.new(secret, b"report|" + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _pack(report: dict[str, Any]) -> str:
    raw = json.dumps(report, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def report_cookie(secret: bytes, report: dict[str, Any]) -> str:
    """The cookie value for a report (a JSON-able dict; ``rejections`` a list of dicts, the
    first ``rejections_total`` problems)."""
    rejections = list(report.get("rejections") or [])
    total = int(report.get("rejections_total") or len(rejections))
    shown = len(rejections)
    while True:
        trimmed = report | {"rejections": rejections[:shown], "left_out": total - shown}
        payload = _pack(trimmed)
        if len(payload) + 44 <= MAX_COOKIE or shown == 0:
            return f"{payload}.{_sign(secret, payload)}"
        shown = shown * 3 // 4


def read_report(secret: bytes, cookie: str | None) -> dict[str, Any] | None:
    """The report a cookie holds, if we signed it."""
    if not cookie or "." not in cookie:
        return None
    payload, _, signature = cookie.rpartition(".")
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        return None
    try:
        data = zlib.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        report: dict[str, Any] = json.loads(data)
    except (ValueError, zlib.error):
        return None
    return report
