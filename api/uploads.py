"""Reading an uploaded batch file within a size limit, and choosing its format.

A file arrives as the whole body (`curl --data-binary @f.csv`) or as one part of a
multipart form (`curl -F file=@f.csv`, what most clients and browsers send); ``read_upload``
returns the file's bytes, its name and media type either way.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser

from catalog.errors import ImportFileError
from catalog.importers import format_of_name

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


# How OpenAPI documents the upload: the file as the body, or as the form part "file".
UPLOAD_CONTENT: dict[str, dict[str, Any]] = {
    media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_FORMATS
}
UPLOAD_CONTENT["multipart/form-data"] = {
    "schema": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}},
        "required": ["file"],
    }
}
# Room for a multipart body's boundaries and part headers around a file of the largest size.
MULTIPART_OVERHEAD = 64 * 1024
FILE_PART = "file"


@dataclass(frozen=True)
class Upload:
    """A batch file as sent: its bytes, and the name and media type it came with, if any."""

    data: bytes
    filename: str | None
    content_type: str


async def read_upload(request: Request, limit: int) -> Upload:
    """The uploaded file from a raw or a multipart body; 413 past ``limit`` bytes."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        return Upload(await read_limited(request, limit), None, content_type)
    body = await read_limited(request, limit + MULTIPART_OVERHEAD)
    form = await _form(request.headers, body)
    try:
        part = _file_part(form)
        data = await part.read()
    finally:
        await form.close()  # the parts are spooled to temporary files
    if len(data) > limit:
        raise HTTPException(413, f"the file is larger than {limit:,} bytes")
    return Upload(data, part.filename, part.content_type or "")


async def _form(headers: Headers, body: bytes) -> FormData:
    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        return await MultiPartParser(headers, stream(), max_files=10, max_fields=100).parse()
    except MultiPartException as exc:
        raise ImportFileError(f"the multipart body cannot be read: {exc.message}") from None


def _file_part(form: FormData) -> UploadFile:
    """The part named "file", else the form's only file."""
    named = form.get(FILE_PART)
    if isinstance(named, UploadFile) and named.filename:
        return named
    files = [v for _, v in form.multi_items() if isinstance(v, UploadFile) and v.filename]
    if len(files) == 1:
        return files[0]
    raise ImportFileError(
        "the multipart body holds no file part to import: send the file as the part "
        f"{FILE_PART!r} (curl -F file=@listings.csv)"
    )


def format_of(given: str | None, content_type: str, filename: str | None) -> str | None:
    """The batch format: ?format=, else the media type, else the file name's extension."""
    if given:
        return given
    media = content_type.split(";", 1)[0].strip().lower()
    if media in MEDIA_FORMATS:
        return MEDIA_FORMATS[media]
    return format_of_name(filename) if filename else None
