"""Reading an uploaded batch file within a size limit, and choosing its format."""

from __future__ import annotations

from fastapi import Request
from starlette.exceptions import HTTPException

MEDIA_FORMATS = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json": "jsonl",
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/xml": "xml",
    "text/xml": "xml",
}


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it grows past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the file is larger than {limit:,} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the file is larger than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def format_of(given: str | None, content_type: str, filename: str | None) -> str | None:
    """The batch format: ?format=, else the media type, else the file name's extension."""
    if given:
        return given
    media = content_type.split(";", 1)[0].strip().lower()
    if media in MEDIA_FORMATS:
        return MEDIA_FORMATS[media]
    if filename and "." in filename:
        return {
            "jsonl": "jsonl",
            "ndjson": "jsonl",
            "csv": "csv",
            "xlsx": "xlsx",
            "xml": "xml",
        }.get(filename.rsplit(".", 1)[1].lower())
    return None
