"""The search vocabulary: every public search parameter, declared once.

Datasette declares its facets and settings as small objects in one list; this module does the
same for the catalog's search. From ``PARAMS`` come the parser (``indexer.query``), the index
field of every filter (``indexer.documents`` and both engines), facet options and labels
(``indexer.service``), the page's facet groups and filter chips (``web.pages``) and the
OpenAPI parameters (``api.params``).

Adding a keyword filter is one ``Param`` here, its field on the catalog record and its field
in ``indexer.documents.to_document``; nothing else in indexer/, web/ or api/ changes.

Kinds, and how each is parsed and filtered:

- ``keywords``  repeatable codes, OR-ed (``board=ABIM&board=ABP``); a facet group.
- ``choice``    one code out of a few (``registration=open``); a facet group.
- ``minimum``   one number; keeps documents whose field is at least that.
- ``flag``      ``true`` keeps documents whose ``field`` (a list of flags) holds the
  parameter's name (``rems=true``); ``false`` or absent does not filter.
- ``date``, ``geo``, ``text``, ``control``: parsed by ``indexer.query`` itself (a window,
  a place and radius, free text, sort and paging); declared here for their documentation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from catalog.reference import Reference

Kind = Literal["keywords", "choice", "minimum", "flag", "date", "geo", "text", "control"]
Labels = Callable[[Reference], dict[str, str]]
PROVIDER_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Display labels of the catalog's own codes (the reference data holds the PARS wording used
# on import, "No, it's free", which reads oddly as a filter).
FORMAT_LABELS = {"in_person": "In person", "online": "Online", "hybrid": "In person and online"}
# "Paid", not "Fee": a card reads "Fee: Paid", and the facet group "Fee" lists Paid, Free.
FEE_LABELS = {"yes": "Paid", "free": "Free", "variable": "Variable fee"}


@dataclass(frozen=True)
class Param:
    """One public search parameter.

    ``field`` is the search document's field a filter or facet reads; ``labels`` gives every
    accepted code with its display label, in display order (None: any value matching
    ``pattern``, labelled elsewhere); ``offered`` narrows the codes listed by GET /facets.
    ``chip`` is how an applied filter reads on the page ({label}, {value}, {radius}).
    ``per_board`` (a minimum): with boards selected, the number must be reached for one of
    them, on the document's per-board value of ``field`` (points per board).
    """

    name: str
    kind: Kind
    description: str
    example: str
    field: str = ""
    title: str = ""
    labels: Labels | None = None
    offered: Callable[[Reference], Iterable[str]] | None = None
    pattern: re.Pattern[str] | None = None
    facet: bool = False
    web: bool = False
    by_board: bool = False
    per_board: bool = False
    chip: str = "{label}"
    low: float = 0.0
    high: float = 0.0

    @property
    def repeatable(self) -> bool:
        return self.kind == "keywords" or self.name == "facets"


def _boards(ref: Reference) -> dict[str, str]:
    return {b.code: b.name for b in ref.boards.values()}


def _credit_types(ref: Reference) -> dict[str, str]:
    return {
        f"{b.code}:{c.code}": f"{c.label} ({b.display_code})"
        for b in ref.boards.values()
        for c in b.credit_types
    }


def _practice_areas(ref: Reference) -> dict[str, str]:
    return {
        f"{b.code}:{p}": f"{p} ({b.display_code})"
        for b in ref.boards.values()
        for p in b.practice_areas
    }


def _content_outlines(ref: Reference) -> dict[str, str]:
    return {
        f"{b.code}:{c.code}": f"{c.code} ({b.display_code})"
        for b in ref.boards.values()
        if b.content_outline
        for c in b.content_outline.codes
    }


def _topics(ref: Reference) -> dict[str, str]:
    return {t.code: t.label for t in ref.topics.values()}


def _active_board_codes(ref: Reference) -> list[str]:
    return [b.code for b in ref.active_boards()]


def _of_active_boards(ref: Reference, labels: dict[str, str]) -> list[str]:
    active = set(_active_board_codes(ref))
    return [code for code in labels if code.split(":", 1)[0] in active]


def _specialties(ref: Reference) -> dict[str, str]:
    return dict(ref.specialties)


def _activity_types(ref: Reference) -> dict[str, str]:
    return {a.code: a.label for a in ref.activity_types.values()}


def _current_activity_types(ref: Reference) -> list[str]:
    """Legacy PARS types are mapped to current ones on import, so they are never offered."""
    return [a.code for a in ref.activity_types.values() if not a.maps_to_type]


def _formats(ref: Reference) -> dict[str, str]:
    return {f: FORMAT_LABELS.get(f, f) for f in ref.formats}


def _fees(ref: Reference) -> dict[str, str]:
    return {o.code: FEE_LABELS.get(o.code, o.label) for o in ref.fee_options}


def _registrations(ref: Reference) -> dict[str, str]:
    return {o.code: o.label for o in ref.registration_options}


def _states(ref: Reference) -> dict[str, str]:
    return dict(ref.us_states)


def _countries(ref: Reference) -> dict[str, str]:
    return dict(ref.countries)


PARAMS: tuple[Param, ...] = (
    Param(
        "q", "text",
        "Free text over title, description, provider name, specialties and practice areas "
        "(at most 200 characters).",
        "heart failure", title="Search words", chip="Text: “{value}”",
    ),
    Param(
        "board", "keywords", "Board code.", "ABIM", field="boards", title="Board",
        labels=_boards, offered=_active_board_codes, facet=True, web=True,
    ),
    Param(
        "credit_type", "keywords", "Board-qualified credit type.", "ABIM:MK",
        field="credit_types", title="MOC credit type", labels=_credit_types,
        offered=lambda r: _of_active_boards(r, _credit_types(r)),
        facet=True, web=True, by_board=True,
    ),
    Param(
        "practice_area", "keywords", "Board-qualified practice area.",
        "ABIM:Cardiovascular Disease", field="practice_areas", title="Practice area",
        labels=_practice_areas, offered=lambda r: _of_active_boards(r, _practice_areas(r)),
        facet=True, web=True, by_board=True,
    ),
    Param(
        "content_outline", "keywords", "Board-qualified content outline area (ABA MOCA).",
        "ABA:Pharmacology", field="content_outlines", title="Content outline",
        labels=_content_outlines, offered=lambda r: _of_active_boards(r, _content_outlines(r)),
        facet=True, web=True, by_board=True,
    ),
    Param(
        "specialty", "keywords", "Specialty code.", "internal_medicine", field="specialties",
        title="Specialty", labels=_specialties, facet=True, web=True,
    ),
    Param(
        "topic", "keywords",
        "Topic code: a subject state licence renewal or a federal programme asks for.",
        "controlled_substances", field="topics", title="Topic", labels=_topics, facet=True,
        web=True,
    ),
    Param(
        "rems", "flag", "true keeps education that meets the FDA Opioid Analgesic REMS.",
        "true", field="flags", title="FDA opioid analgesic REMS", chip="FDA opioid REMS",
    ),
    Param(
        "mips", "flag", "true keeps activities registered as MIPS improvement activities.",
        "true", field="flags", title="MIPS improvement activity", chip="MIPS improvement activity",
    ),
    Param(
        "activity_type", "keywords", "Activity type code.", "course", field="activity_type",
        title="Activity type", labels=_activity_types, offered=_current_activity_types,
        facet=True, web=True,
    ),
    Param(
        "format", "keywords", "in_person, online or hybrid.", "online", field="format",
        title="Format", labels=_formats, facet=True, web=True,
    ),
    Param(
        "fee", "keywords", "yes, free or variable.", "free", field="fee", title="Fee",
        labels=_fees, facet=True, web=True,
    ),
    Param(
        "registration", "choice", "open or limited; absent means both.", "open",
        field="registration", title="Registration", labels=_registrations, facet=True, web=True,
    ),
    Param(
        "state", "keywords", "US state code.", "PA", field="state", title="State",
        labels=_states, facet=True, web=True,
    ),
    Param(
        "country", "keywords", "ISO 3166-1 alpha-2 country code.", "US", field="country",
        title="Country", labels=_countries, facet=True,
    ),
    Param(
        "provider", "keywords", "Provider id.", "acme", field="provider_id", title="Provider",
        pattern=PROVIDER_ID, facet=True,
    ),
    Param(
        "date_from", "date",
        "Keeps activities whose dates overlap the window from this day (ISO date).",
        "2026-12-01", title="From date", chip="From {value}",
    ),
    Param(
        "date_to", "date",
        "Keeps activities whose dates overlap the window up to this day (ISO date).",
        "2027-03-31", title="Until date", chip="Until {value}",
    ),
    Param(
        "near", "geo", "A US ZIP code or 'lat,lng'.", "19107", title="Near (ZIP code)",
        chip="Within {radius} mi of {value}",
    ),
    Param(
        "radius_mi", "geo", "Miles around near (great-circle), default 50, at most 500.", "25",
        title="Within (miles)", low=0.1, high=500,
    ),
    Param(
        "min_points", "minimum",
        "At least this many MOC points for one board (one of the selected boards when board "
        "is given).",
        "5", field="max_points", per_board=True, title="MOC points",
        chip="At least {value} points",
        low=0.25, high=1000,
    ),
    Param(
        "min_credits", "minimum",
        "At least this many AMA PRA Category 1 Credits™.",
        "10", field="cme_credits", title="Credits", chip="At least {value} credits",
        low=0.25, high=1000,
    ),
    Param(
        "sort", "control",
        "relevance (default with q), date (soonest start; default without q), -date, end "
        "(ending soonest), points, distance (needs near) or title.",
        "date", title="Sort by",
    ),
    Param(
        "page", "control",
        "1-based page; results past the 10,000th are not paged (use the export).", "1",
        title="Page",
    ),
    Param("per_page", "control", "Hits per page, default 20, at most 100.", "20",
          title="Results per page"),
    Param("facets", "control", "Facet group to return; default all groups.", "board",
          title="Facet groups"),
)  # fmt: skip

# Sort orders with how the page names them; "relevance" needs words, "distance" needs near.
SORTS: Mapping[str, str] = {
    "relevance": "Best match",
    "date": "Starting soonest",
    "-date": "Latest first",
    "end": "Ending soonest",
    "points": "Most MOC points",
    "distance": "Nearest first",
    "title": "Title A–Z",
}
BY_NAME: Mapping[str, Param] = {p.name: p for p in PARAMS}
FILTERS: tuple[Param, ...] = tuple(p for p in PARAMS if p.kind in ("keywords", "choice"))
MINIMUMS: tuple[Param, ...] = tuple(p for p in PARAMS if p.kind == "minimum")
FLAGS: tuple[Param, ...] = tuple(p for p in PARAMS if p.kind == "flag")
FACET_GROUPS: tuple[str, ...] = tuple(p.name for p in PARAMS if p.facet)
WEB_FACETS: tuple[str, ...] = tuple(p.name for p in PARAMS if p.web)
# Filters a page shows as removable chips, in this order; free text last.
CHIP_PARAMS: tuple[str, ...] = tuple(
    p.name for p in PARAMS if p.kind not in ("control", "text") and p.name != "radius_mi"
) + ("q",)
# Document field of every keyword and choice filter, which is also a facet group.
FACET_FIELDS: Mapping[str, str] = {p.name: p.field for p in FILTERS}
# Document fields holding exact values to filter on: the facet fields and the flag lists.
KEYWORD_FIELDS: tuple[str, ...] = tuple(dict.fromkeys([*FACET_FIELDS.values(),
                                                      *(p.field for p in FLAGS)]))  # fmt: skip


class Vocabulary:
    """The parameters bound to one set of reference data: allowed codes and labels, built once."""

    def __init__(self, ref: Reference) -> None:
        self.ref = ref
        self._labels: dict[str, dict[str, str]] = {}

    def labels(self, name: str) -> dict[str, str]:
        """Every accepted code of parameter ``name`` with its label ({} for free values)."""
        found = self._labels.get(name)
        if found is None:
            source = BY_NAME[name].labels
            found = self._labels[name] = source(self.ref) if source else {}
        return found

    def accepts(self, name: str, value: str) -> bool:
        param = BY_NAME[name]
        if param.pattern is not None:
            return bool(param.pattern.match(value))
        return value in self.labels(name)

    def offered(self, name: str) -> list[str]:
        """The codes GET /facets lists for a group."""
        param = BY_NAME[name]
        if param.offered is not None:
            return list(param.offered(self.ref))
        return list(self.labels(name))

    @cached_property
    def board_titles(self) -> dict[str, str]:
        return _boards(self.ref)
