"""What the pages show, built from a SearchResult: facet groups, cards, pagination, filters.

Which groups a page offers, their titles, and how an applied filter reads all come from the
search vocabulary (``indexer.vocabulary``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from catalog.errors import FieldError
from catalog.reference import Reference
from indexer.documents import Hit, HitMoc
from indexer.query import MAX_DEPTH, FacetValue, SearchQuery, SearchResult, Sort
from indexer.service import SearchService
from indexer.vocabulary import BY_NAME, CHIP_PARAMS, FEE_LABELS, SORTS, WEB_FACETS
from web.urls import Params, query_string, toggled, without

SHOWN_VALUES = 8  # the rest go behind "more"
SORT_LABELS = SORTS
# The page's order when none is asked for and there are no words to rank by. The API's is
# `date` (soonest start, api.md); a page opened in that order led with enduring materials that
# started years ago. Ending soonest leads with what a physician can still do and must do first,
# and keeps live events in date order.
PAGE_DEFAULT_SORT: Sort = "end"
LIMITED_NOTE = (
    "The provider marked registration as limited to a specific audience (for example its "
    "own staff or members); it may not be open to you."
)
HELP_PATH = "/about/moc-credit"
# "Try dropping a filter" counts a search per filter; a page runs at most this many.
MAX_SUGGESTIONS = 6


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool
    input_id: str


# Facet groups a physician may not know the words of, and where the help page explains them.
HELP_FOR = {
    "board": ("boards", "What the boards and their codes are"),
    "credit_type": ("credit-types", "What the credit types mean"),
    "practice_area": ("practice-areas", "What practice areas are"),
    "registration": ("limited", "What limited registration means"),
}


@dataclass
class FacetGroup:
    name: str
    title: str
    multiple: bool
    sections: list[tuple[str, list[Option]]] = field(default_factory=list)

    @property
    def help(self) -> tuple[str, str] | None:
        """(link, text) to the help page's section on this group, where there is one."""
        found = HELP_FOR.get(self.name)
        return (f"{HELP_PATH}#{found[0]}", found[1]) if found else None


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
    boards: list[tuple[str, str]]  # (board code, "6.5 MOC points · MK, PS")
    fee: str
    limited: bool
    href: str = ""  # where the title links: the public page, or a provider's preview

    def __post_init__(self) -> None:
        self.href = self.href or f"/activities/{self.hit['id']}"


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
    return f"{moc_amount(ref, moc)} · {names}"


def moc_amount(ref: Reference, moc: HitMoc) -> str:
    """ "6.5 MOC points", "12 MOCA credits": what the board counts, as on the activity page."""
    board = ref.boards.get(moc["board"])
    return board.unit.of(moc["points"]) if board else f"{moc['points']:g}"


def _credit_label(ref: Reference, board: str, code: str) -> str:
    found = ref.boards[board].credit_type(code) if board in ref.boards else None
    return found.label if found else code


def day(value: date | str) -> str:
    """One day as every page writes it: Mar 5, 2030."""
    moment = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment:%b} {moment.day}, {moment.year}"


def date_range(start: date, end: date) -> str:
    if start == end:
        return day(start)
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
            shown = day(value) if param.kind == "date" else value
            chip = param.chip.format(label=label, value=shown, radius=f"{query.radius_mi:g}")
            found.append(ActiveFilter(chip, href, alternative))
    return found


def count_without(filters: list[ActiveFilter], search: SearchService) -> None:
    """For a search with no results, count what dropping each of the first filters gives."""
    for item in filters[:MAX_SUGGESTIONS]:
        item.total_without = search.count(item.alternative)


@dataclass(frozen=True)
class PageProblem:
    field: str  # the parameter, for the page's structure (data-field), never shown
    text: str


def page_problem(problem: FieldError) -> PageProblem:
    """What a page says about a value it could not use, in words."""
    return PageProblem(problem.field, _problem_text(problem))


def _problem_text(problem: FieldError) -> str:
    """The field by its title and the problem in words, without parameter names."""
    param = BY_NAME.get(problem.field)
    if param is None:
        return (
            f"The address holds “{problem.field}”, which this page does not use; it was left out."
        )
    title = param.title or param.name
    value = problem.value
    if problem.field == "page":
        if value is not None and value.isdigit() and int(value) > 1:
            return (
                f"Only the first {MAX_DEPTH:,} results can be paged through, so page {value} "
                "is not shown; narrow the search, or download every result as CSV."
            )
        return "Pages are numbered from 1; here is the first."
    if problem.field == "near":
        return f"{title}: we do not know the place “{value}”; enter a 5-digit US ZIP code."
    if problem.message.startswith("unknown value"):
        hint = problem.message.partition(";")[2].strip()
        meant = f" ({hint[0].lower()}{hint[1:]})" if hint else ""
        return f"{title}: “{value}” is not one of the choices, so it was left out{meant}."
    return f"{title}: {problem.message}."


def sort_options(query: SearchQuery) -> list[tuple[str, str, bool]]:
    """(value the form sends, label, selected) for the sort menu, the default first.

    The default is sent as "" so that a new text search, whose default is best match, is not
    held to the order of the page it was typed on.
    """
    default = "relevance" if query.words else PAGE_DEFAULT_SORT
    offered = [
        name for name in SORT_LABELS
        if (name != "relevance" or query.words) and (name != "distance" or query.point)
    ]  # fmt: skip
    ordered = [default] + [n for n in offered if n != default]
    return [("" if n == default else n, SORT_LABELS[n], n == query.sort) for n in ordered]


def count_text(total: int) -> str:
    """The results heading, and what a screen reader hears after each update: 43 activities."""
    return f"{total:,} {'activity' if total == 1 else 'activities'}"


def show_label(total: int) -> str:
    """The phone filter panel's apply button, counting what it will show."""
    return f"Show {count_text(total)}"


@dataclass(frozen=True)
class Preview:
    """A provider's preview of its own listing: whether the public sees it, and why not."""

    public: bool
    reasons: list[str]  # why it is not shown (catalog.service.visibility)
    notes: list[str]  # what is said about it when it is shown (limited registration)


def preview_of(public: bool, reasons: list[str]) -> Preview:
    """catalog.service.visibility's answer, split into reasons it is hidden and notes."""
    return Preview(public, [] if public else reasons, reasons if public else [])


@dataclass(frozen=True)
class YearEndShortcut:
    """ "Can be done by Dec 31": the search limited to activities that start by the year's end,
    with each board's own reporting day where the reference data has one."""

    label: str
    href: str
    selected: bool
    notes: list[str]


def year_end_shortcut(
    params: Params, query: SearchQuery, ref: Reference, today: date
) -> YearEndShortcut:
    end = date(today.year, 12, 31)
    href = "/?" + query_string(params, date_to=end.isoformat(), page=None)
    notes = [b.year_end.text for b in ref.active_boards() if b.year_end is not None]
    label = f"Can be done by Dec 31, {end.year}"
    return YearEndShortcut(label, href, query.date_to == end, notes)
