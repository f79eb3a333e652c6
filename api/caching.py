"""HTTP caching for public reads: an ETag on the body, 304 on If-None-Match."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder

CACHE_CONTROL = "public, max-age=60"
# OpenAPI for the responses cached_json adds to a route's own.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: If-None-Match holds this response's ETag; no body."}
}


def cached_json(
    request: Request, payload: Any, *, media_type: str = "application/json"
) -> Response:
    """Serialise ``payload``; answer 304 when the client already holds this exact body."""
    # orjson writes plain JSON values several times faster than json.dumps (a search page is
    # ~30 KB of them); only other objects (models) take jsonable_encoder.
    body = orjson.dumps(payload, default=jsonable_encoder)
    # Weak: the gzip middleware may serve the same content encoded, under the same tag.
    etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("if-none-match", ""), etag):
        # A 304 repeats the Vary of the 200 it stands for (RFC 9110 15.4.5); the gzip
        # middleware adds it to 200s but has no body to compress here.
        return Response(status_code=304, headers=headers | {"Vary": "Accept-Encoding"})
    return Response(body, media_type=media_type, headers=headers)


def _matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2)."""
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag.removeprefix("W/") in tags or "*" in tags
