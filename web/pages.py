"""What the pages show, built from a SearchResult: facet groups, cards, pagination, filters.

Which groups a page offers, their titles, and how an applied filter reads all come from the
search vocabulary (``indexer.vocabulary``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from catalog.reference import Reference
from indexer.documents import Hit, HitMoc
from indexer.query import FacetValue, SearchQuery, SearchResult
from indexer.service import SearchService
from indexer.vocabulary import BY_NAME, CHIP_PARAMS, FEE_LABELS, SORTS, WEB_FACETS
from web.urls import Params, query_string, toggled, without

SHOWN_VALUES = 8  # the rest go behind "more"
SORT_LABELS = SORTS
LIMITED_NOTE = (
    "The provider marked registration as limited to a specific audience (for example its "
    "own staff or members); it may not be open to you."
)
# "Try dropping a filter" counts a search per filter; a page runs at most this many.
MAX_SUGGESTIONS = 6


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
    """Facet groups for the form; board-qualified groups are sectioned by board."""
    groups = []
    for name in WEB_FACETS:
        param = BY_NAME[name]
        values = result.facets.get(name, [])
        group = FacetGroup(name, param.title, multiple=param.repeatable)
        if param.by_board:
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

    hit: Hit
    dates: str
    place: str
    credits: str
    boards: list[tuple[str, str]]  # (board code, "6.5 points · MK, PS")
    fee: str
    limited: bool


def card(hit: Hit, ref: Reference) -> Card:
    start, end = date.fromisoformat(hit["start_date"]), date.fromisoformat(hit["end_date"])
    loc = hit.get("location")
    place = ", ".join(p for p in (loc["city"], loc.get("state")) if p) if loc else "Online"
    if loc and hit.get("format") == "hybrid":
        place += " and online"
    boards = [(_display_code(ref, m["board"]), _board_line(ref, m)) for m in hit["moc"]]
    fee = FEE_LABELS.get(hit.get("fee") or "", "")
    unit = "Credit" if hit["cme_credits"] == 1 else "Credits"
    credits = f"{hit['cme_credits']:g} AMA PRA Category 1 {unit}™"
    limited = hit["registration"] == "limited"
    return Card(hit, date_range(start, end), place, credits, boards, fee, limited)


def _display_code(ref: Reference, code: str) -> str:
    """The board's usual spelling (ABPath, not its code ABPATH)."""
    return ref.boards[code].display_code if code in ref.boards else code


def _board_line(ref: Reference, moc: HitMoc) -> str:
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
    alternative: SearchQuery  # the same, as a query, to count what dropping it would give
    total_without: int | None = None


def active_filters(params: Params, query: SearchQuery, search: SearchService) -> list[ActiveFilter]:
    """Every applied filter (in the parameters the parser kept) with the link that drops it."""
    found = []
    for name in CHIP_PARAMS:
        param = BY_NAME[name]
        for value in params.get(name, ()):
            if param.repeatable:
                label = search.label(name, value)
                href, alternative = "/?" + toggled(params, name, value), query.without(name, value)
            else:
                label = search.label(name, value) if param.facet else value
                href, alternative = "/?" + without(params, name), query.without(name)
            chip = param.chip.format(label=label, value=value, radius=f"{query.radius_mi:g}")
            found.append(ActiveFilter(chip, href, alternative))
    return found


def count_without(filters: list[ActiveFilter], search: SearchService) -> None:
    """For a search with no results, count what dropping each of the first filters gives."""
    for item in filters[:MAX_SUGGESTIONS]:
        item.total_without = search.count(item.alternative)
