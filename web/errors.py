"""The site's error page, and what it tells a person for each kind of failure.

The app's one error boundary (api.problems) answers problem+json on API paths and this page
everywhere else, for every error: not found, engine or database down, bad input.
"""

from __future__ import annotations

from fastapi import Request, Response

from catalog.errors import ActivityNotFound, ProviderNotFound
from indexer.errors import EngineUnavailable
from web.deps import templates

# What a page says, by the error's class first, then by status.
BY_ERROR: dict[type[Exception], tuple[str, str]] = {
    ActivityNotFound: ("Activity not found", "It may have ended or been withdrawn."),
    ProviderNotFound: ("Provider not found", "Check the address and try again."),
    EngineUnavailable: ("Search is unavailable", "Please try again in a minute."),
}
BY_STATUS: dict[int, tuple[str, str]] = {
    404: ("Page not found", "Check the address and try again."),
    405: ("This page cannot do that", "Go back and try again from the page itself."),
    413: ("The file is too large", "Go back and send a smaller file, or split it in two."),
    422: ("Something in the address is wrong", "Go back and try again."),
    503: (
        "The catalog is unavailable",
        "The catalog is not answering right now. Please try again in a minute.",
    ),
}
DEFAULT = ("Something went wrong", "Please try again.")


def page_text(exc: Exception | None, status: int) -> tuple[str, str]:
    """The heading and sentence the error page shows for ``exc`` answered with ``status``."""
    for kind, text in BY_ERROR.items():
        if isinstance(exc, kind):
            return text
    return BY_STATUS.get(status, DEFAULT)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    """A page saying what went wrong, with a way back to the search."""
    context = {"status": status, "title": title, "detail": detail}
    return templates.TemplateResponse(request, "error.html", context, status_code=status)
