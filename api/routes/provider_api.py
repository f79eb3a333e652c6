"""Provider endpoints: create, replace, delete and list one's own activities."""

from __future__ import annotations

import io
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.auth import ProviderDep
from api.deps import SessionDep, WriteSessionDep
from api.json_body import JsonBodyRoute
from api.schemas import Problem
from api.uploads import UPLOAD_CONTENT, format_of, read_upload
from catalog.errors import FieldError, ImportFileError, InvalidActivity
from catalog.importers import FORMATS, read_records
from catalog.imports import MAX_SHOWN, ImportReport, run_import
from catalog.rules import parse_activity
from catalog.schemas import ActivityOut
from catalog.service import (
    delete_activity,
    get_provider_activity,
    list_provider_activities,
    registered_in_catalog,
    upsert_activity,
    visibility,
)

router = APIRouter(
    prefix="/api/v1/providers/{provider_id}", tags=["provider"], route_class=JsonBodyRoute
)
AUTH: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid provider key."},
    403: {"model": Problem, "description": "The key belongs to another provider."},
}


def _wake_sync(request: Request) -> None:
    background = getattr(request.app.state, "background_sync", None)
    if background is not None:
        background.notify()


def _with_visibility(activity: ActivityOut) -> dict[str, Any]:
    public, reasons = visibility(activity, date.today())
    return activity.model_dump(mode="json") | {"visibility": {"public": public, "reasons": reasons}}


@router.put(
    "/activities/{provider_activity_id}",
    responses={
        **AUTH,
        201: {"description": "Created: the activity with its visibility."},
        400: {"model": Problem, "description": "The body is not JSON."},
        422: {"model": Problem, "description": "The activity breaks rules; errors lists each."},
    },
    status_code=200,
)
def put_activity(
    request: Request,
    provider_id: ProviderDep,
    provider_activity_id: str,
    session: WriteSessionDep,
    body: Annotated[dict[str, Any], Body(description="An Activity as api.md describes it.")],
) -> Response:
    """Create (201) or replace (200) an activity; idempotent."""
    given = body.get("provider_activity_id")
    if given is not None and given != provider_activity_id:
        message = "must match the provider_activity_id in the URL"
        raise InvalidActivity([FieldError("provider_activity_id", message)])
    data = parse_activity(
        body | {"provider_activity_id": provider_activity_id},
        registered=registered_in_catalog(session, provider_id),
    )
    created = upsert_activity(session, provider_id=provider_id, data=data)
    session.commit()
    _wake_sync(request)
    stored = get_provider_activity(
        session, provider_id=provider_id, provider_activity_id=provider_activity_id
    )
    return JSONResponse(_with_visibility(stored), status_code=201 if created else 200)


@router.delete(
    "/activities/{provider_activity_id}",
    status_code=204,
    responses={**AUTH, 404: {"model": Problem, "description": "No such activity."}},
)
def remove_activity(
    request: Request, provider_id: ProviderDep, provider_activity_id: str, session: WriteSessionDep
) -> Response:
    """Delete an activity."""
    delete_activity(session, provider_id=provider_id, provider_activity_id=provider_activity_id)
    session.commit()
    _wake_sync(request)
    return Response(status_code=204)


@router.post(
    "/imports",
    responses={
        **AUTH,
        200: {
            "description": "The import report: counts, what was written, and the problems "
            f"of rejected records (`rejections`: the first {MAX_SHOWN:,} of "
            "`rejections_total`); 422 with the same report when any record is rejected.",
        },
        413: {"model": Problem, "description": "The file is too large."},
        422: {
            "model": Problem,
            "description": "The file cannot be read at all, or is past a limit of "
            "MOC_IMPORT_MAX_RECORDS records or MOC_IMPORT_TIMEOUT_S seconds.",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The batch file (JSONL, CSV, XLSX or PARS XML): the whole body, or "
                           "the part `file` of a multipart form (`curl -F file=@listings.csv`).",
            "content": UPLOAD_CONTENT,
        }
    },
)  # fmt: skip
async def import_batch(
    request: Request,
    provider_id: ProviderDep,
    partial: Annotated[bool, Query(description="Write the valid records even if some are rejected.")] = False,
    format: Annotated[str | None, Query(description="jsonl, csv, xlsx or xml; else from the Content-Type.")] = None,
    filename: Annotated[str | None, Query(description="The file's name, to tell its format by extension.")] = None,
) -> Response:  # fmt: skip
    """Import a batch file; all-or-nothing unless partial=true. Returns the import report."""
    upload = await read_upload(request, request.app.state.settings.max_upload_bytes)
    body = upload.data
    fmt = format_of(format, upload.content_type, filename or upload.filename)
    if fmt is None or fmt not in FORMATS:
        raise ImportFileError("cannot tell the file's format: pass ?format=jsonl|csv|xlsx|xml")
    report = await run_in_threadpool(_import, request, provider_id, body, fmt, partial)
    request.app.state.metrics.count_import(report.accepted, report.rejected_records)
    if report.ok or partial:
        _wake_sync(request)
    return JSONResponse(report_body(report), status_code=200 if report.ok else 422)


def _import(
    request: Request, provider_id: str, body: bytes, fmt: str, partial: bool
) -> ImportReport:
    return run_import(
        request.app.state.engine,
        provider_id=provider_id,
        records=read_records(io.BytesIO(body), fmt),
        partial=partial,
        limits=request.app.state.settings.import_limits(),
    )


def report_body(report: ImportReport) -> dict[str, Any]:
    """The import report as JSON: counts, what was written, and the first problems."""
    written = report.ok or report.written.created + report.written.updated + report.deleted > 0
    return {
        "ok": report.ok,
        "records": report.records,
        "accepted": report.accepted,
        "rejected": report.rejected_records,
        "written": asdict(report.written) | {"deleted": report.deleted} if written else None,
        "rejections": [asdict(r) for r in report.rejections],
        "rejections_total": report.rejections_total,
    }


@router.get("/activities", responses=AUTH)
def list_own_activities(provider_id: ProviderDep, session: SessionDep) -> dict[str, Any]:
    """Every activity of the provider, unlisted included, with why each is or is not public."""
    items = list_provider_activities(session, provider_id=provider_id, today=date.today())
    return {
        "activities": [
            item.activity.model_dump(mode="json")
            | {"visibility": {"public": item.public, "reasons": item.reasons}}
            for item in items
        ]
    }
