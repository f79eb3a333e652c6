"""HTTP caching for public reads: a strong ETag on the body, 304 on If-None-Match."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder

CACHE_CONTROL = "public, max-age=60"


def cached_json(
    request: Request, payload: Any, *, media_type: str = "application/json"
) -> Response:
    """Serialise ``payload``; answer 304 when the client already holds this exact body."""
    body = json.dumps(jsonable_encoder(payload), separators=(",", ":"), ensure_ascii=False).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _matches(header: str, etag: str) -> bool:
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag in tags or "*" in tags
