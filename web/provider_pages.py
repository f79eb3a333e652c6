"""Pages for providers: sign in with a key, see "My listings" as the public sees them, upload.

Every form posts with a CSRF token; the session is a signed, HttpOnly, SameSite=Strict cookie
naming a session kept on the server, re-checked on every request: sign-out, its maximum age
and revoking its key each end it. No page here may be stored by a cache (NoStoreMiddleware).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session
from starlette.datastructures import UploadFile

from catalog.db import session_scope
from catalog.errors import ImportFileError
from catalog.importers import EXTENSIONS, format_of_name, read_records
from catalog.imports import ImportReport, run_import
from catalog.reference import Reference, reference
from catalog.schemas import ActivityOut
from catalog.service import (
    get_provider_activity,
    get_public_provider,
    list_provider_activities,
    provider_accreditor,
    visibility,
)
from catalog.sessions import end_session, session_provider, start_session
from indexer.documents import public_hit
from web.cookies import secure_cookie
from web.deps import SessionDep, templates
from web.pages import LIMITED_NOTE, Card, card, preview_of
from web.provider_session import (
    MAX_AGE_S,
    PRE_COOKIE,
    SESSION_COOKIE,
    ProviderSession,
    check_csrf,
    csrf_token,
    new_seed,
    read_session,
    session_cookie,
)
from web.routes import activity_context
from web.upload_report import REPORT_COOKIE, REPORT_MAX_AGE_S, read_report, report_cookie

router = APIRouter(prefix="/provider", include_in_schema=False)
DbDep = SessionDep


def _secret(request: Request) -> bytes:
    secret: bytes = request.app.state.secret
    return secret


def signed_in(request: Request, session: Session) -> ProviderSession | None:
    """The provider signed in by the request's cookie, if its session is still live."""
    session_id = read_session(_secret(request), request.cookies.get(SESSION_COOKIE))
    provider_id = session_provider(session, session_id) if session_id else None
    return ProviderSession(provider_id) if provider_id else None


def _signed_in_first(request: Request) -> ProviderSession | None:
    """The signed-in provider, checked before the body is read, in a session of its own that
    is closed before then too (a slow upload holds no database connection)."""
    with Session(request.app.state.engine) as session:
        return signed_in(request, session)


SignedInFirstDep = Annotated[ProviderSession | None, Depends(_signed_in_first)]


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name, value, max_age=MAX_AGE_S, httponly=True, samesite="strict",
        secure=secure_cookie(request), path="/provider",
    )  # fmt: skip


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, error: str | None = None) -> Response:
    """The sign-in form."""
    seed = request.cookies.get(PRE_COOKIE) or new_seed()
    context = {"csrf": csrf_token(_secret(request), seed), "error": error}
    response = templates.TemplateResponse(request, "provider_sign_in.html", context)
    _cookie(response, request, PRE_COOKIE, seed)
    return response


@router.post("/sign-in")
def sign_in(
    request: Request,
    key: Annotated[str, Form()],
    csrf: Annotated[str, Form()],
) -> Response:
    """Check the key; on success start a session, set its cookie and go to My listings."""
    if not check_csrf(_secret(request), request.cookies.get(PRE_COOKIE), csrf):
        return sign_in_page(request, "The form expired; please try again.")
    previous = read_session(_secret(request), request.cookies.get(SESSION_COOKIE))
    with session_scope(request.app.state.engine, write=True) as session:
        if previous:  # signing in again replaces this browser's session
            end_session(session, previous)
        session_id = start_session(session, key=key.strip(), max_age=timedelta(seconds=MAX_AGE_S))
    if session_id is None:
        return sign_in_page(request, "That key is not valid or has been revoked.")
    response = RedirectResponse("/provider", status_code=303)
    _cookie(response, request, SESSION_COOKIE, session_cookie(_secret(request), session_id))
    return response


@router.post("/sign-out")
def sign_out(request: Request, csrf: Annotated[str, Form()]) -> Response:
    """End the session on the server, so that no copy of its cookie works any more."""
    response = RedirectResponse("/provider/sign-in", status_code=303)
    cookie = request.cookies.get(SESSION_COOKIE)
    if check_csrf(_secret(request), cookie, csrf):
        session_id = read_session(_secret(request), cookie)
        if session_id:
            with session_scope(request.app.state.engine, write=True) as session:
                end_session(session, session_id)
        response.delete_cookie(SESSION_COOKIE, path="/provider")
    return response


@router.get("", response_class=HTMLResponse)
def my_listings(request: Request, session: DbDep) -> Response:
    """Each activity exactly as its public card renders, with why it is or is not shown."""
    current = signed_in(request, session)
    if current is None:
        return RedirectResponse("/provider/sign-in", status_code=303)
    report = read_report(_secret(request), request.cookies.get(REPORT_COOKIE))
    return _home(request, session, current, report=report)


def _home(
    request: Request, session: Session, current: ProviderSession, report: dict[str, Any] | None
) -> Response:
    name, _ = get_public_provider(session, current.provider_id, today=date.today())
    items = list_provider_activities(session, provider_id=current.provider_id, today=date.today())
    ref = reference()
    listings = [(_preview_card(i.activity, ref), i) for i in items]
    context = {
        "provider_name": name,
        "listings": listings,
        "public_count": sum(1 for i in items if i.public),
        "csrf": csrf_token(_secret(request), request.cookies.get(SESSION_COOKIE, "")),
        "limited_note": LIMITED_NOTE,
        "report": report,
    }
    return templates.TemplateResponse(request, "provider_home.html", context)


@router.post("/upload", response_class=HTMLResponse)
async def upload(request: Request, current: SignedInFirstDep) -> Response:
    """Import a batch file and show its report above the listings.

    The form is read here, once the session is known to be live, not declared as parameters
    (FastAPI reads those before any dependency): an upload without a session costs its
    headers only.
    """
    if current is None:
        return RedirectResponse("/provider/sign-in", status_code=303)
    async with request.form(max_files=1, max_fields=10) as form:
        file, csrf, partial = form.get("file"), form.get("csrf"), _ticked(form.get("partial"))
        if not check_csrf(_secret(request), request.cookies.get(SESSION_COOKIE), _text(csrf)):
            return _show_report(request, {"error": "The form expired; please try again."})
        if not isinstance(file, UploadFile):
            return _show_report(request, {"error": "Choose a file to upload."})
        limit = request.app.state.settings.max_upload_bytes
        data = await file.read(limit + 1)
    if len(data) > limit:
        report = {"error": f"The file is larger than {limit:,} bytes."}
    else:
        report = await run_in_threadpool(
            _run_import, request, current.provider_id, file.filename or "", data, partial
        )
    return _show_report(request, report)


def _text(value: str | UploadFile | None) -> str | None:
    return value if isinstance(value, str) else None


def _ticked(value: str | UploadFile | None) -> bool:
    """A checkbox's value, read as FastAPI reads a bool form field."""
    return isinstance(value, str) and value.lower() in {"1", "true", "on", "yes", "y", "t"}


def _show_report(request: Request, report: dict[str, Any]) -> Response:
    """Redirect to My listings with the report in a short-lived cookie (POST, redirect, GET):
    reloading the page then shows the report, and never sends the file again."""
    response = RedirectResponse("/provider", status_code=303)
    value = report_cookie(_secret(request), jsonable_encoder(report))
    response.set_cookie(
        REPORT_COOKIE, value, max_age=REPORT_MAX_AGE_S, httponly=True, samesite="strict",
        secure=secure_cookie(request), path="/provider",
    )  # fmt: skip
    return response


@router.get("/activities/{provider_activity_id}", response_class=HTMLResponse)
def preview(request: Request, session: DbDep, provider_activity_id: str) -> Response:
    """One of the signed-in provider's listings, hidden or not, exactly as its public page
    renders it, under a banner saying whether the public sees it and why not.

    Only its own provider can open it (another provider's id is simply not found), and the
    page is never cached or indexed: the public path to an activity stays /activities/{id},
    which serves public activities only.
    """
    current = signed_in(request, session)
    if current is None:
        return RedirectResponse("/provider/sign-in", status_code=303)
    activity = get_provider_activity(
        session, provider_id=current.provider_id, provider_activity_id=provider_activity_id
    )
    shown = preview_of(*visibility(activity, date.today()))
    accreditor = provider_accreditor(session, activity.provider.id)
    context = activity_context(request, activity, accreditor, shown)
    response = templates.TemplateResponse(request, "activity.html", context)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _preview_card(activity: ActivityOut, ref: Reference) -> Card:
    """The public card of a listing, its title linking to the provider's preview."""
    found = card(public_hit(activity), ref)
    found.href = f"/provider/activities/{quote(activity.provider_activity_id)}"
    return found


def _run_import(
    request: Request, provider_id: str, filename: str, data: bytes, partial: bool
) -> dict[str, Any]:
    fmt = format_of_name(filename)
    if fmt is None:
        *most, last = EXTENSIONS
        names = f"{', '.join(most)} or {last}"
        return {
            "error": f"Cannot tell the format of {filename!r} from its name: it must end in "
            f"{names}. Nothing was written."
        }
    try:
        result = run_import(
            request.app.state.engine, provider_id=provider_id,
            records=read_records(io.BytesIO(data), fmt), partial=partial,
            limits=request.app.state.settings.import_limits(),
        )  # fmt: skip
    except ImportFileError as exc:
        return {"error": f"{exc.message}. Nothing was written."}
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:  # the app's Prometheus counters: uploads count like the endpoint
        metrics.count_import(result.accepted, result.rejected_records)
    background = getattr(request.app.state, "background_sync", None)
    if background is not None:
        background.notify()
    return _report_context(result, partial, filename)


def _report_context(report: ImportReport, partial: bool, filename: str) -> dict[str, Any]:
    written = report.ok or partial
    return {
        "filename": filename,
        "ok": report.ok,
        "records": report.records,
        "accepted": report.accepted,
        "rejected": report.rejected_records,
        "written": report.written if written else None,
        "deleted": report.deleted,
        "rejections": report.rejections,
        "rejections_total": report.rejections_total,
    }
