"""Deterministic generator of a realistic demo catalog: providers and their activities.

Same (activities, seed, today) -> same output: every draw comes from a seeded
``random.Random`` and every table is a tuple or a sorted list, never a set.

Each activity is drawn from one clinical theme (``catalog.demo_themes``): its title,
description, specialties, boards, practice areas, ABA content outline areas and topics all come
from that theme, and its credit types and points follow the boards' rules (research.json).
"""

from __future__ import annotations

import math
import random
import re
import zlib
from bisect import bisect
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import zipcodes

from catalog.demo_themes import THEMES, Theme
from catalog.geo import Place, gazetteer
from catalog.reference import Board, CreditType, reference

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

T = TypeVar("T")


@dataclass(frozen=True)
class DemoProvider:
    id: str
    name: str
    accreditor: str = "ACCME"  # ACCME, JA or state:XX


class _Random(random.Random):
    """random.Random with float-based draws: about 3x faster, and still fixed by the seed."""

    def choice(self, seq: SupportsLenAndGetItem[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def few(self, seq: Sequence[T], k: int) -> list[T]:
        """Return k distinct items of seq, like sample() (a partial Fisher-Yates shuffle)."""
        pool = list(seq)
        for i in range(k):
            j = i + int(self.random() * (len(pool) - i))
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


@dataclass(frozen=True)
class _Weighted(Generic[T]):
    """Items with cumulative weights, drawn faster than random.choices for one item at a time."""

    items: tuple[T, ...]
    cum: tuple[float, ...]

    @classmethod
    def of(cls, pairs: Sequence[tuple[T, float]]) -> _Weighted[T]:
        return cls(tuple(p[0] for p in pairs), tuple(accumulate(p[1] for p in pairs)))

    def pick(self, rng: _Random) -> T:
        return self.items[bisect(self.cum, rng.random() * self.cum[-1], 0, len(self.cum) - 1)]


@dataclass(frozen=True)
class _BoardInfo:
    weight: float
    dept: str
    audience: str
    specialties: tuple[str, ...]  # the board's own specialty first, related ones after
    societies: tuple[str, ...]
    chapter: str


# Data tables are laid out by hand for reading; the formatter would put one item on each line.
# fmt: off
BOARDS = {
    "ABIM": _BoardInfo(45, "Medicine", "internists", (
        "internal_medicine", "family_medicine", "emergency_medicine", "neurology"), (
        "American College of Chest Physicians", "American College of Cardiology",
        "American Gastroenterological Association", "American Society of Nephrology",
        "Society of Hospital Medicine", "Infectious Diseases Society of America",
        "American College of Rheumatology", "Endocrine Society"),
        "{state} Chapter, American College of Physicians"),
    "ABP": _BoardInfo(14, "Pediatrics", "pediatricians", (
        "pediatrics", "family_medicine", "emergency_medicine"), (
        "American Academy of Pediatrics", "Society of Pediatric Hospital Medicine"),
        "{state} Chapter, American Academy of Pediatrics"),
    "ABA": _BoardInfo(10, "Anesthesiology", "anesthesiologists", (
        "anesthesiology", "emergency_medicine"), (
        "American Society of Anesthesiologists", "Society for Obstetric Anesthesia"),
        "{state} Society of Anesthesiologists"),
    "ABS": _BoardInfo(9, "Surgery", "surgeons", (
        "surgery", "colon_rectal_surgery", "plastic_surgery"), (
        "American College of Surgeons", "Society of Surgical Oncology"),
        "{state} Chapter, American College of Surgeons"),
    "ABPATH": _BoardInfo(6, "Pathology", "pathologists", ("pathology", "medical_genetics"), (
        "College of American Pathologists", "American Society for Clinical Pathology"),
        "{state} Society of Pathologists"),
    "ABOHNS": _BoardInfo(5, "Otolaryngology", "otolaryngologists", (
        "otolaryngology", "plastic_surgery", "allergy_immunology"), (
        "American Academy of Otolaryngology-Head and Neck Surgery",),
        "{state} Society of Otolaryngology"),
    "ABOS": _BoardInfo(5, "Orthopaedic Surgery", "orthopaedic surgeons", (
        "orthopaedic_surgery", "physical_medicine_rehabilitation"), (
        "American Academy of Orthopaedic Surgeons",), "{state} Orthopaedic Society"),
    "ABTS": _BoardInfo(3, "Cardiothoracic Surgery", "thoracic surgeons", (
        "thoracic_surgery", "surgery"), (
        "Society of Thoracic Surgeons", "American Association for Thoracic Surgery"),
        "{state} Cardiothoracic Surgical Society"),
    "ABPMR": _BoardInfo(3, "PM&R", "physiatrists", (
        "physical_medicine_rehabilitation", "neurology", "orthopaedic_surgery"), (
        "American Academy of Physical Medicine and Rehabilitation",),
        "{state} Society of Physical Medicine and Rehabilitation"),
}
# A board added to reference.json later still gets a few activities.
DEFAULT_BOARD = _BoardInfo(1, "Medicine", "physicians", (), (), "{state} Medical Society")

TYPES = _Weighted.of((
    ("enduring_material", 45), ("rss", 30), ("course", 20), ("journal_cme", 1),
    ("performance_improvement", 0.8), ("internet_searching_learning", 0.8),
    ("learning_from_teaching", 0.6), ("committee_learning", 0.5), ("manuscript_review", 0.5),
    ("test_item_writing", 0.4), ("other", 0.4)))
FORMATS = {
    "enduring_material": _Weighted.of((("online", 95), ("hybrid", 5))),
    "rss": _Weighted.of((("in_person", 70), ("hybrid", 20), ("online", 10))),
    "course": _Weighted.of((("in_person", 50), ("hybrid", 20), ("online", 30))),
    "committee_learning": _Weighted.of((("in_person", 60), ("hybrid", 25), ("online", 15))),
    "learning_from_teaching": _Weighted.of((("in_person", 80), ("hybrid", 20))),
}
OTHER_FORMATS = _Weighted.of((("online", 90), ("hybrid", 10)))
FEES = _Weighted.of((("yes", 55), ("free", 30), ("variable", 15)))
# Spans in days: a live course runs 1-3 days; a series at most 12 months (PARS), most of an
# academic year; an enduring material up to 3 years (PARS), 1094 days being under 36 months.
COURSE_DAYS = _Weighted.of(((1, 50), (2, 30), (3, 20)))
SERIES_SPANS = _Weighted.of((((300, 364), 70), ((90, 180), 30)))
SERIES_MEETINGS = _Weighted.of((("weekly", 60), ("every other week", 15), ("monthly", 25)))
MEETING_DAYS = {"weekly": 7, "every other week": 14, "monthly": 30}
ENDURING_SPAN = (180, 1094)
OTHER_SPAN = (30, 365)
HORIZON = {"course": 365, "rss": 150}  # how many days ahead an activity may start
# Credits in quarter steps as (low, high, mode) for random.triangular.
QUARTERS = {"enduring_material": (1, 40, 4)}
OTHER_QUARTERS = (4, 80, 16)
COURSE_DAY_QUARTERS = (16, 32)  # 4 to 8 credits a day
KIND_WORDS = {"enduring_material": "self-paced module", "rss": "regularly scheduled series",
              "course": "live course", "journal_cme": "journal-based activity",
              "performance_improvement": "performance improvement activity"}
# Shares of the PARS fields (plausible, not measured): most activities carry their PARS ID.
ACCME_ID_SHARE, JOINT_SHARE, SUPPORT_SHARE, MIPS_SHARE, REMS_SHARE = 0.8, 0.12, 0.08, 0.08, 0.5
ACCME_ID_BASE = 200_000_000  # nine digits, as PARS activity IDs have
EXTRA_PATIENT_SAFETY = 0.06  # registrations of other themes that also offer patient safety
SELF_ASSESSMENT = 0.4  # registrations of boards with a general type that add self-assessment

TITLES = {
    "enduring_material": (
        "Advances in {topic} {year}", "{topic}: A Case-Based Review", "{topic} Update {year}",
        "Clinical Challenges in {topic}", "{topic} Podcast, Episode {n}",
        "Controversies in {topic}", "What's New in {topic}", "{topic}: Evidence into Practice"),
    "rss": ("{dept} Grand Rounds", "{dept} Grand Rounds {year}-{next_year}",
            "{dept} Morbidity and Mortality Conference Series", "{dept} Journal Club",
            "{dept} Case Conference Series", "{topic} Multidisciplinary Conference Series"),
    "course": ("{topic} Board Review {year}", "Annual {topic} Symposium {year}",
               "{city} {topic} Conference {year}", "Hands-On {topic} Workshop",
               "{ordinal} Annual {topic} Update", "Current Concepts in {topic} {year}"),
    "tumor_board": ("{topic} Tumor Board", "Multidisciplinary {topic} Tumor Board"),
    "journal_cme": ("Journal CME: {topic} ({year})",),
    "performance_improvement": ("PI-CME: Improving {topic} Outcomes",),
    "internet_searching_learning": ("Point-of-Care Learning: {topic}",),
    "learning_from_teaching": ("Learning from Teaching: {dept} Residency Program",),
    "committee_learning": ("{topic} Guideline Committee {year}",),
    "manuscript_review": ("Manuscript Review: {topic} ({year})",),
    "test_item_writing": ("{board} Exam Item Writing: {topic}",),
    "other": ("Blended Learning: {topic}",),
}
OPENERS = ("This {kind} covers {focus}, for practicing {audience}.",
           "A {kind} on {topic}: {focus}.",
           "Practical updates in {topic}, built around recent guidelines: {focus}.")
DETAILS = ("Faculty work through challenging cases and apply new guidelines to everyday practice.",
           "Learners answer self-assessment questions with feedback on each answer.",
           "Sessions combine short talks with interactive case discussion.",
           "Includes tools for team-based care and safer transitions of care.")
CLOSERS = ("Presented by {provider}.",
           "Designed for physicians, fellows and advanced practice clinicians.",
           "Materials remain available to participants after the session.")

GENERAL_NAMES = _Weighted.of((
    ("University of {state} College of Medicine", 6),
    ("University of {state} School of Medicine", 4), ("{city} University School of Medicine", 5),
    ("{brand} Health System", 10), ("{brand} Medical Center {city}", 8),
    ("{city} {brand} Hospital", 6), ("{brand} Health {city}", 5),
    ("{brand} Regional Medical Center", 4), ("{brand} Children's Hospital of {city}", 2),
    ("{state} State Medical Association", 3), ("{state} Medical Society", 3)))
FOCUSED_NAMES = _Weighted.of((("{chapter}", 3), ("{society}", 1)))
BRANDS = ("Mercy", "Baptist", "Methodist", "Presbyterian", "St. Luke's", "St. Joseph", "Valley",
          "Good Samaritan", "Providence", "Memorial", "Lutheran", "Adventist", "Covenant",
          "Trinity", "Sacred Heart", "Holy Cross", "Riverside", "Northside", "Summit", "Regional",
          "St. Vincent", "St. Mary's", "Beacon", "Harbor", "Lakeview", "Cedar", "Unity", "Grace")
ROOMS = ("Main Auditorium", "Education Center", "Conference Room B", "Grand Rounds Room",
         "Simulation Center")
EVENT_VENUES = ("{city} Convention Center", "Hyatt Regency {city}", "{city} Marriott Downtown",
                "Hilton {city}", "Sheraton {city} Hotel", "The Westin {city}")
JOINT_PARTNERS = ("{city} Medical Society", "{brand} Foundation", "{brand} Physician Group",
                  "{city} {dept} Associates", "{state} Academy of Family Physicians")
# Made-up companies: the demo names no real company as a supporter.
SUPPORTERS = ("Northbridge Pharmaceuticals", "Alderon Biologics", "Keystone Medical Devices",
              "Halvern Therapeutics", "Corvel Diagnostics", "Brightwater Surgical",
              "Meridian Imaging Systems", "Solace Pharma", "Tidewell Labs", "Orrin Medical")
VENUE_RADIUS_KM = 6.0  # venues spread around their city's centre, each at its own spot
# fmt: on
TERRITORIES = ("AS", "GU", "MP", "PR", "UM", "VI")
MIN_CITY_ZIPS = 5  # keeps ~320 sizeable cities, so demo events happen where events happen
MULTI_SPECIALTY_TOP = 10  # the biggest providers (publishers, universities) cover every board


@dataclass(frozen=True)
class _Profile:
    provider: DemoProvider
    slug: str
    board: Board | None  # a specialty society's board; None for a multi-specialty provider
    home: Place
    venue: str  # where the provider's own series and courses meet
    brand: str


@cache
def _us_states() -> dict[str, str]:
    return {c: n for c, n in reference().us_states.items() if c not in TERRITORIES}


@cache
def _boards_table() -> _Weighted[Board]:
    return _Weighted.of([(b, _info(b).weight) for b in reference().active_boards()])


@cache
def _cities_table() -> _Weighted[Place]:
    """Sizeable real US cities, weighted by how many ZIP codes they have (big cities host more)."""
    # Only standard ZIPs: PO-box and single-company ZIPs inflate Washington DC or invent
    # "cities" such as Parcel Return Service; the gazetteer keeps no ZIP type, so ask zipcodes.
    states = _us_states()
    rows: list[dict[str, Any]] = zipcodes.list_all()  # type: ignore[no-untyped-call]
    counts = Counter(
        (r["city"], r["state"])
        for r in rows
        if r["zip_code_type"] == "STANDARD" and r["state"] in states
    )
    big = sorted(k for k, n in counts.items() if n >= MIN_CITY_ZIPS)
    places = gazetteer()
    return _Weighted.of([(p, counts[k]) for k in big if (p := places.find_city(*k)) is not None])


@cache
def themes_of(board_code: str) -> tuple[Theme, ...]:
    """The themes a board registers activities of; a board no theme lists gets its own."""
    found = tuple(t for t in THEMES if t.areas(board_code))
    if found:
        return found
    board = reference().boards[board_code]
    area = board.practice_areas[0]
    name = re.sub(r"\s*\([^)]*\)", "", area)
    return (Theme(name, _info(board).dept, f"current practice in {name.lower()}",
                  ((board.code, (area,)),)),)  # fmt: skip


def _provider_count(activities: int) -> int:
    return max(5, min(1000, activities // 50))


def demo_providers(activities: int, seed: int) -> list[DemoProvider]:
    """Return the providers that own the demo activities of (activities, seed)."""
    return [p.provider for p in _profiles(_provider_count(activities), seed)]


@cache
def _profiles(count: int, seed: int) -> tuple[_Profile, ...]:
    rng = _Random(f"demo-providers:{seed}")
    taken: set[str] = set()
    profiles = []
    for i in range(1, count + 1):
        home = _cities_table().pick(rng)
        focused = i > MULTI_SPECIALTY_TOP and rng.random() < 0.25
        board = _boards_table().pick(rng) if focused else None
        name, template, brand = _provider_name(rng, home, board, taken)
        taken.add(name)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        slug = slug if len(slug) <= 40 else slug[:41].rsplit("-", 1)[0]  # whole words, short host
        accreditor = _accreditor(rng, template, home, top=i <= MULTI_SPECIALTY_TOP)
        venue = _home_venue(rng, name, template, brand, home)
        provider = DemoProvider(f"demo-{i:04d}", name, accreditor)
        profiles.append(_Profile(provider, slug, board, home, venue, brand))
    return tuple(profiles)


def _provider_name(
    rng: _Random, home: Place, board: Board | None, taken: set[str]
) -> tuple[str, str, str]:
    """A name not taken yet, the template it came from and the hospital brand it uses."""
    info = _info(board) if board else DEFAULT_BOARD
    state = _us_states()[home.state]
    templates = FOCUSED_NAMES if board else GENERAL_NAMES
    candidates = [(templates.pick(rng), rng.choice(BRANDS)) for _ in range(20)]
    # Should every draw be taken, some brand's hospital in this city is still free.
    candidates += [("{brand} Medical Center {city}", brand) for brand in BRANDS]
    candidates += [("{brand} Hospital of {city}", brand) for brand in BRANDS]
    for template, brand in candidates:
        name = template.format(
            state=state,
            city=home.city,
            brand=brand,
            chapter=info.chapter.format(state=state),
            society=rng.choice(info.societies or (f"{state} Medical Society",)),
        )
        if name not in taken:
            return name, template, brand
    raise AssertionError(f"no free provider name in {home.city}")  # 56 brand names per city


def _accreditor(rng: _Random, template: str, home: Place, *, top: bool) -> str:
    """Hospitals are often accredited by their state medical society; a few large providers
    hold Joint Accreditation; the rest are accredited by the ACCME."""
    if top and rng.random() < 0.3:
        return "JA"
    if "{brand}" in template and rng.random() < 0.55:
        return f"state:{home.state}"
    return "ACCME"


def _home_venue(rng: _Random, name: str, template: str, brand: str, home: Place) -> str:
    """Where a provider's own series meet: its hospital, its campus, or a hotel for a society."""
    if "{brand}" in template:
        return f"{brand} Medical Center, {rng.choice(ROOMS)}"
    if "School of Medicine" in name or "College of Medicine" in name:
        campus = name.replace(" School of Medicine", "").replace(" College of Medicine", "")
        return f"{campus} Medical Center, {rng.choice(ROOMS)}"
    return rng.choice(EVENT_VENUES).format(city=home.city)


def demo_activities(
    activities: int, seed: int, today: date
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (provider id, raw Activity JSON record) for exactly `activities` demo activities."""
    profiles = _profiles(_provider_count(activities), seed)
    rng = _Random(f"demo-activities:{seed}")
    # Zipf-like ownership: a few providers (publishers, academic centres) own most activities.
    zipf = list(accumulate(1 / rank**1.1 for rank in range(1, len(profiles) + 1)))
    owners = rng.choices(range(len(profiles)), cum_weights=zipf, k=activities)
    for index, owner in enumerate(owners, start=1):
        profile = profiles[owner]
        yield profile.provider.id, _activity(rng, index, profile, today)


def _activity(rng: _Random, index: int, profile: _Profile, today: date) -> dict[str, Any]:
    kind = TYPES.pick(rng)
    fmt = FORMATS.get(kind, OTHER_FORMATS).pick(rng)
    start, end, meetings = _dates(rng, kind, today)
    credits = _credits(rng, kind, start, end, meetings)
    first = _first_board(rng, profile.board, start)
    theme = rng.choice(themes_of(first.code))
    boards = _boards(rng, first, theme, start)
    moc = [_registration(rng, b, theme, kind, credits, start, end) for b in boards]
    location = _location(rng, kind, profile) if fmt != "online" else None
    city = location["city"] if location else ""
    pid = f"D{index:07d}"
    record: dict[str, Any] = {
        "provider_activity_id": pid,
        "title": _title(rng, kind, boards[0], theme, start, city),
        "description": _description(rng, kind, theme, boards[0], profile.provider.name, meetings),
        "activity_type": kind,
        "format": fmt,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "url": f"https://{profile.slug}.example.org/cme/{pid}",
        "fee": FEES.pick(rng),
        "cme_credits": credits,
        "specialties": _specialties(rng, boards[0], theme),
        # A few activities are plain CME without MOC registration.
        "moc": [] if rng.random() < 0.03 else moc,
        "listed": rng.random() >= 0.15,
        "registration": "limited" if rng.random() < 0.15 else "open",
    }
    if location is not None:
        record["location"] = location
    record |= _pars_fields(rng, index, kind, theme, profile)
    return record


def _dates(rng: _Random, kind: str, today: date) -> tuple[date, date, str]:
    """Pick start and end (~10% already ended, the rest current or upcoming); a series also
    gets how often it meets."""
    meetings = ""
    if kind == "course":
        span = COURSE_DAYS.pick(rng) - 1
    elif kind == "rss":
        span, meetings = rng.randint(*SERIES_SPANS.pick(rng)), SERIES_MEETINGS.pick(rng)
    elif kind == "enduring_material":
        span = rng.randint(*ENDURING_SPAN)
    else:
        span = rng.randint(*OTHER_SPAN)
    if rng.random() < 0.10:
        end = today - timedelta(days=rng.randint(1, 400))
        return end - timedelta(days=span), end, meetings
    start = today + timedelta(days=rng.randint(-span, HORIZON.get(kind, 90)))
    return start, start + timedelta(days=span), meetings


def _credits(rng: _Random, kind: str, start: date, end: date, meetings: str) -> float:
    """AMA PRA Category 1 credits in quarter hours, fitting the activity's length."""
    if kind == "course":
        days = (end - start).days + 1
        return sum(rng.randint(*COURSE_DAY_QUARTERS) for _ in range(days)) / 4
    if kind == "rss":
        sessions = max(1, ((end - start).days + 1) // MEETING_DAYS[meetings])
        return sessions * rng.choice((4, 4, 4, 6)) / 4  # one-hour sessions, some longer
    return round(rng.triangular(*QUARTERS.get(kind, OTHER_QUARTERS))) / 4


def _first_board(rng: _Random, own: Board | None, start: date) -> Board:
    """A specialty society's own board, else one drawn by weight; open on the date."""
    table = _boards_table()
    first = own or table.pick(rng)
    for _ in range(5):
        if _open_on(first, start):
            return first
        first = table.pick(rng)
    # No board drawn accepts an activity starting this early: take one without a limit.
    return next(b for b in table.items if b.registrations_from is None)


def _boards(rng: _Random, first: Board, theme: Theme, start: date) -> list[Board]:
    """The first board, and sometimes a second one the theme also fits."""
    if rng.random() >= 0.15:
        return [first]
    boards = reference().boards
    others = [
        boards[code]
        for code, _ in theme.boards
        if code != first.code and code in boards and boards[code].active
    ]
    others = [b for b in others if _open_on(b, start)]
    return [first, rng.choice(others)] if others else [first]


def _open_on(board: Board, start: date) -> bool:
    return board.registrations_from is None or start >= board.registrations_from


def _registration(
    rng: _Random, board: Board, theme: Theme, kind: str, credits: float, start: date, end: date
) -> dict[str, Any]:
    """One board's MOC registration: the theme's practice areas, the board's rules."""
    areas = theme.areas(board.code) or board.practice_areas[:1]
    reg: dict[str, Any] = {
        "board": board.code,
        "points": _points(rng, board, kind, credits),
        "credit_types": _credit_types(rng, board, theme, kind, start),
        "practice_areas": rng.few(areas, min(len(areas), rng.choice((1, 1, 1, 2, 2, 3)))),
    }
    outline = board.content_outline
    if outline is not None:
        codes = theme.outline or (outline.codes[0].code,)
        reg["content_outline"] = rng.few(codes, min(len(codes), outline.max, rng.randint(1, 2)))
    if rng.random() < 0.4:
        reg["credit_claim_date"] = (end + timedelta(days=rng.randint(0, 365))).isoformat()
    return reg


def _points(rng: _Random, board: Board, kind: str, credits: float) -> float:
    """Equal to the credits where the board says so; otherwise usually equal, and for a
    multi-session ABIM course sometimes fewer (only some sessions qualify; ACCME FAQ 7922)."""
    if board.points.rule == "equal" or not (board.code == "ABIM" and kind == "course"):
        return credits
    return credits if rng.random() < 0.8 else _fewer_points(rng, credits)


def _fewer_points(rng: _Random, credits: float) -> float:
    """Points below the credits, in quarter steps (rounding down never exceeds the credits)."""
    return max(0.25, math.floor(credits * rng.uniform(0.3, 0.95) * 4) / 4)


def _credit_types(rng: _Random, board: Board, theme: Theme, kind: str, start: date) -> list[str]:
    """Credit types as a provider registers them, normalised as the rules would store them."""
    usable = [c for c in board.credit_types if c.valid_until is None or start <= c.valid_until]

    def of(wanted: str) -> CreditType | None:
        return next((c for c in usable if c.kind == wanted), None)

    general, evaluation = of("accredited_cme"), of("evaluation_with_feedback")
    improvement, safety = of("improvement"), of("patient_safety")
    if kind == "performance_improvement" and improvement:
        types = [improvement.code]
    elif general:
        types = [general.code]
        if evaluation and rng.random() < SELF_ASSESSMENT:
            types.append(evaluation.code)
    else:
        types = [(evaluation or usable[0]).code]
    if safety and (theme.safety or rng.random() < EXTRA_PATIENT_SAFETY):
        types.append(safety.code)
    return board.with_implied(types)


def _title(rng: _Random, kind: str, board: Board, theme: Theme, start: date, city: str) -> str:
    if kind == "rss" and theme.tumor and rng.random() < 0.3:
        kind = "tumor_board"
    n = rng.randint(2, 45)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    title = rng.choice(TITLES[kind]).format(
        topic=theme.name,
        year=start.year,
        next_year=start.year + 1,
        n=n,
        ordinal=f"{n}{suffix}",
        dept=theme.dept,
        board=board.display_code,
        city=city,
    )
    return title.strip()  # an online course has no city to open "{city} ... Conference"


def _description(
    rng: _Random, kind: str, theme: Theme, board: Board, provider: str, meetings: str
) -> str:
    opener = rng.choice(OPENERS).format(
        kind=KIND_WORDS.get(kind, "activity"),
        topic=theme.name,
        focus=theme.focus,
        audience=_info(board).audience,
    )
    parts = [opener]
    if meetings:
        parts.append(f"The series meets {meetings} for its {theme.dept} audience.")
    parts += [
        rng.choice(p).format(provider=provider) for p in (DETAILS, CLOSERS) if rng.random() < 0.5
    ]
    return " ".join(parts)


def _specialties(rng: _Random, board: Board, theme: Theme) -> list[str]:
    """0-3 specialties: the first board's own specialty, then the theme's."""
    own = _info(board).specialties[:1]
    found = list(dict.fromkeys((*own, *theme.specialties)))
    return found[: rng.choice((0, 1, 1, 1, 2, 3))]


def _info(board: Board) -> _BoardInfo:
    return BOARDS.get(board.code, DEFAULT_BOARD)


def _pars_fields(
    rng: _Random, index: int, kind: str, theme: Theme, profile: _Profile
) -> dict[str, Any]:
    """The PARS disclosure and programme fields, at plausible rates."""
    fields: dict[str, Any] = {}
    if rng.random() < ACCME_ID_SHARE:
        fields["accme_activity_id"] = str(ACCME_ID_BASE + index)
    if rng.random() < JOINT_SHARE:
        state = _us_states()[profile.home.state]
        partners = [
            rng.choice(JOINT_PARTNERS).format(
                city=profile.home.city, brand=rng.choice(BRANDS), dept=theme.dept, state=state
            )
            for _ in range(rng.choice((1, 1, 1, 2)))
        ]
        names = [p for p in dict.fromkeys(partners) if p != profile.provider.name]
        if names:
            fields |= {"providership": "joint", "joint_providers": names}
    if rng.random() < SUPPORT_SHARE:
        in_kind = 0.5 if kind == "course" else 0.15  # workshops borrow equipment
        fields["commercial_support"] = [
            {"name": name, "kind": "in_kind" if rng.random() < in_kind else "monetary"}
            for name in rng.few(SUPPORTERS, rng.choice((1, 1, 2)))
        ]
    if theme.rems and rng.random() < REMS_SHARE:
        fields["rems"] = True
    if rng.random() < (0.6 if kind == "performance_improvement" else MIPS_SHARE):
        fields["mips"] = True
    if theme.topics:
        fields["topics"] = list(theme.topics)
    return fields


def _location(rng: _Random, kind: str, profile: _Profile) -> dict[str, Any]:
    """A venue in a real US city: series meet at the provider's home, courses often travel."""
    if kind == "course" and rng.random() < 0.5:
        place = _cities_table().pick(rng)
        venue = rng.choice(EVENT_VENUES).format(city=place.city)
    else:
        place, venue = profile.home, profile.venue
    lat, lng = venue_point(place, venue)
    return {
        "venue": venue,
        "city": place.city,
        "state": place.state,
        "postal_code": place.zip_code,
        "country": "US",
        "lat": lat,
        "lng": lng,
    }


def venue_point(place: Place, venue: str) -> tuple[float, float]:
    """A venue's own spot within VENUE_RADIUS_KM of its city's centre, fixed by its name, so
    "nearest first" can order the activities of one city and a venue is always at one place."""
    digest = zlib.crc32(f"{venue}|{place.city}|{place.state}".encode())
    angle = (digest & 0xFFFF) / 0x10000 * 2 * math.pi
    distance = math.sqrt((digest >> 16) / 0x10000) * VENUE_RADIUS_KM
    lat = place.lat + distance / 111.0 * math.sin(angle)
    lng = place.lng + distance / (111.0 * math.cos(math.radians(place.lat))) * math.cos(angle)
    return round(lat, 5), round(lng, 5)
