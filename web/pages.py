"""What the pages show, built from a SearchResult: facet groups, cards, pagination, filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from catalog.reference import Reference
from indexer.query import FacetValue, SearchQuery, SearchResult
from indexer.service import FEE_LABELS
from web.urls import Params, query_string, toggled, without

GROUP_TITLES = {
    "board": "Board",
    "credit_type": "MOC credit type",
    "practice_area": "Practice area",
    "specialty": "Specialty",
    "activity_type": "Activity type",
    "format": "Format",
    "fee": "Fee",
    "registration": "Registration",
    "state": "State",
}
WEB_FACETS = tuple(GROUP_TITLES)
SHOWN_VALUES = 8  # the rest go behind "more"
SORT_LABELS = {
    "relevance": "Best match",
    "date": "Soonest first",
    "-date": "Latest first",
    "points": "Most MOC points",
    "distance": "Nearest first",
    "title": "Title A–Z",
}
LIMITED_NOTE = (
    "The provider marked registration as limited to a specific audience (for example its "
    "own staff or members); it may not be open to you."
)
FILTER_PARAMS = ("board", "credit_type", "practice_area", "specialty", "activity_type", "format",
                 "fee", "registration", "state", "country", "provider", "date_from", "date_to",
                 "near", "min_points", "q")  # fmt: skip


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool
    input_id: str


@dataclass
class FacetGroup:
    name: str
    title: str
    multiple: bool
    sections: list[tuple[str, list[Option]]] = field(default_factory=list)


def facet_groups(result: SearchResult, ref: Reference) -> list[FacetGroup]:
    """Facet groups for the form; credit types and practice areas are grouped by board."""
    groups = []
    for name in WEB_FACETS:
        values = result.facets.get(name, [])
        group = FacetGroup(name, GROUP_TITLES[name], multiple=name != "registration")
        if name in ("credit_type", "practice_area"):
            by_board: dict[str, list[Option]] = {}
            for v in values:
                board = v.value.split(":", 1)[0]
                by_board.setdefault(board, []).append(_option(name, v, strip_board=True))
            group.sections = [(ref.boards[b].name if b in ref.boards else b, opts)
                              for b, opts in by_board.items()]  # fmt: skip
        else:
            group.sections = [("", [_option(name, v) for v in values])]
        groups.append(group)
    return groups


def _option(group: str, value: FacetValue, *, strip_board: bool = False) -> Option:
    label = value.label
    if strip_board and label.endswith(")"):
        label = label.rsplit(" (", 1)[0]
    slug = "".join(c if c.isalnum() else "-" for c in value.value.lower())
    return Option(value.value, label, value.count, value.selected, f"f-{group}-{slug}")


@dataclass
class Card:
    """One result as a card shows it."""

    hit: dict[str, Any]
    dates: str
    place: str
    credits: str
    boards: list[tuple[str, str]]  # (board code, "6.5 points · MK, PS")
    fee: str
    limited: bool


def card(hit: dict[str, Any], ref: Reference) -> Card:
    start, end = date.fromisoformat(hit["start_date"]), date.fromisoformat(hit["end_date"])
    loc = hit.get("location")
    place = ", ".join(p for p in (loc["city"], loc.get("state")) if p) if loc else "Online"
    if loc and hit.get("format") == "hybrid":
        place += " and online"
    boards = [(m["board"], _board_line(ref, m)) for m in hit["moc"]]
    fee = FEE_LABELS.get(hit.get("fee") or "", "")
    unit = "Credit" if hit["cme_credits"] == 1 else "Credits"
    credits = f"{hit['cme_credits']:g} AMA PRA Category 1 {unit}™"
    limited = hit["registration"] == "limited"
    return Card(hit, date_range(start, end), place, credits, boards, fee, limited)


def _board_line(ref: Reference, moc: dict[str, Any]) -> str:
    names = ", ".join(_credit_label(ref, moc["board"], c) for c in moc["credit_types"])
    unit = "point" if moc["points"] == 1 else "points"
    return f"{moc['points']:g} {unit} · {names}"


def _credit_label(ref: Reference, board: str, code: str) -> str:
    found = ref.boards[board].credit_type(code) if board in ref.boards else None
    return found.label if found else code


def date_range(start: date, end: date) -> str:
    if start == end:
        return f"{start:%b} {start.day}, {start.year}"
    if start.year == end.year:
        return f"{start:%b} {start.day} – {end:%b} {end.day}, {end.year}"
    return f"{start:%b} {start.day}, {start.year} – {end:%b} {end.day}, {end.year}"


@dataclass
class PageLink:
    number: int
    href: str
    current: bool


def pagination(params: Params, result: SearchResult, path: str = "/") -> list[PageLink]:
    """A window of page links around the current page."""
    last = result.pages
    numbers = sorted({1, last, *range(max(1, result.page - 2), min(last, result.page + 2) + 1)})
    return [
        PageLink(n, f"{path}?{query_string(params, page=str(n))}", n == result.page)
        for n in numbers
        if n >= 1
    ]


@dataclass
class ActiveFilter:
    label: str
    href: str  # the search without this filter
    total_without: int | None = None


def active_filters(
    params: Params, query: SearchQuery, labels: Callable[[str, str], str]
) -> list[ActiveFilter]:
    """Every applied filter with the link that drops it."""
    found = []
    for name in FILTER_PARAMS:
        for value in params.get(name, ()):
            if not value:
                continue
            label = labels(name, value)
            href = "/?" + (
                toggled(params, name, value) if name in WEB_FACETS else without(params, name)
            )
            found.append(ActiveFilter(label, href))
    return found
