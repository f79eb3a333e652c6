"""Deterministic generator of a realistic demo catalog: providers and their activities.

Same (activities, seed, today) -> same output: every draw comes from a seeded
``random.Random`` and every table is a tuple or a sorted list, never a set.
"""

from __future__ import annotations

import math
import random
import re
from bisect import bisect
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import zipcodes

from catalog.geo import Place, gazetteer
from catalog.reference import Board, reference

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

T = TypeVar("T")


@dataclass(frozen=True)
class DemoProvider:
    id: str
    name: str


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

# Practice area -> title topics ("|"-separated); other areas use their own name.
TOPICS = {
    "Internal Medicine": "Internal Medicine|Hypertension|Type 2 Diabetes|Preventive Care",
    "Cardiovascular Disease": "Heart Failure Management|Atrial Fibrillation|Lipid Management",
    "Advanced Heart Failure and Transplant Cardiology": "Advanced Heart Failure|Heart Transplant",
    "Gastroenterology": "Gastroenterology|Inflammatory Bowel Disease|Colorectal Cancer Screening",
    "Pulmonary Disease": "COPD|Asthma in Adults|Interstitial Lung Disease",
    "Infectious Disease": "Infectious Diseases|Antimicrobial Stewardship|HIV Care",
    "Endocrinology, Diabetes, and Metabolism": "Diabetes Technology|Thyroid Disease|Obesity",
    "Medical Oncology": "Medical Oncology|Immunotherapy|Lung Cancer|Breast Cancer",
    "Hospital Medicine": "Hospital Medicine|Sepsis|Perioperative Medicine",
    "Nephrology": "Nephrology|Chronic Kidney Disease|Acute Kidney Injury",
    "Geriatric Medicine": "Geriatric Medicine|Dementia Care|Falls Prevention",
    "General Pediatrics": "Pediatric Asthma|Childhood Obesity|Well-Child Care|Newborn Care",
    "General Surgery": "General Surgery|Hernia Repair|Acute Care Surgery",
    "Head & Neck": "Head and Neck Surgery|Head and Neck Cancer", "Allergy": "Otolaryngic Allergy",
    "Professionalism/Patient Safety/Other Skills": "Professionalism and Patient Safety",
    "Ambulatory/Outpatient": "Ambulatory Anesthesia", "Trauma": "Trauma Anesthesia",
    "Regional Anesthesia/Acute Pain": "Regional Anesthesia|Acute Pain Management",
    # ABPath names organ systems; a title needs "... Pathology".
    "All Practice Areas (e.g. ethics)": "Ethics in Pathology Practice",
    "Blood Bank Transfusion Medicine": "Transfusion Medicine", "Breast": "Breast Pathology",
    "Cardiovascular": "Cardiovascular Pathology", "Endocrine": "Endocrine Pathology",
    "Female Reproductive": "Gynecologic Pathology", "Male Genital": "Genitourinary Pathology",
    "GI (incl. Liver, Pancreas, Biliary)": "Gastrointestinal and Liver Pathology",
    "Head & Neck/Oral": "Head and Neck Pathology", "Placenta": "Placental Pathology",
    "Hemostasis & Thrombosis/Coagulation": "Coagulation Testing",
    "Infectious Diseases/Medical Microbiology": "Medical Microbiology",
    "Lab Management": "Laboratory Management", "Medical Director": "Laboratory Direction",
    "Patient Safety": "Patient Safety in the Laboratory", "Renal/Medical Renal": "Renal Pathology",
    "Pulmonary, Mediastinum": "Pulmonary Pathology", "Urinary Tract": "Urologic Pathology",
    "Soft Tissue & Bone": "Bone and Soft Tissue Pathology",
}
RSS_DEPTS = {
    "Cardiovascular Disease": "Cardiology", "Pulmonary Disease": "Pulmonary and Critical Care",
    "Medical Oncology": "Oncology", "Infectious Disease": "Infectious Diseases",
    "Endocrinology, Diabetes, and Metabolism": "Endocrinology",
}
TUMOR_SITES = ("Thoracic Oncology", "Breast", "GI", "Head and Neck", "Neuro-Oncology",
               "Genitourinary", "Sarcoma", "Melanoma", "Hepatobiliary", "Gynecologic Oncology")
TUMOR_BOARDS = ("ABIM", "ABS", "ABPATH", "ABOHNS", "ABTS")

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
# Span in days, inside max_span_months of reference.json with a margin (12 -> 330, 36 -> 1050).
SPANS = {"enduring_material": (180, 1050), "rss": (90, 330), "course": (0, 4)}
OTHER_SPAN = (30, 365)
HORIZON = {"course": 365, "rss": 150}  # how many days ahead an activity may start
# Credits in quarter steps as (low, high, mode) for random.triangular.
QUARTERS = {"enduring_material": (1, 40, 4), "course": (4, 160, 28), "rss": (48, 208, 96)}
OTHER_QUARTERS = (4, 80, 16)
KIND_WORDS = {"enduring_material": "self-paced module", "rss": "regularly scheduled series",
              "course": "live course", "journal_cme": "journal-based activity"}

TITLES = {
    "enduring_material": (
        "Advances in {topic} {year}", "{topic}: A Case-Based Review", "{topic} Update {year}",
        "Clinical Challenges in {topic}", "{topic} Podcast, Episode {n}",
        "Controversies in {topic}", "What's New in {topic}", "{topic}: Evidence into Practice"),
    "rss": ("{dept} Grand Rounds", "{dept} Grand Rounds {year}-{next_year}",
            "{dept} M&M Conference", "{dept} Morbidity and Mortality Conference",
            "{dept} Journal Club", "{dept} Case Conference",
            "{topic} Multidisciplinary Conference"),
    "course": ("{topic} Board Review {year}", "Annual {topic} Symposium {year}",
               "{city} {topic} Conference {year}", "Hands-On {topic} Workshop",
               "{ordinal} Annual {topic} Update", "Current Concepts in {topic} {year}"),
    "tumor_board": ("{site} Tumor Board", "Tumor Board \u2014 {site}"),
    "journal_cme": ("Journal CME: {topic} ({year})",),
    "performance_improvement": ("PI-CME: Improving {topic} Outcomes",),
    "internet_searching_learning": ("Point-of-Care Learning: {topic}",),
    "learning_from_teaching": ("Learning from Teaching: {dept} Residency Program",),
    "committee_learning": ("{topic} Guideline Committee {year}",),
    "manuscript_review": ("Manuscript Review \u2014 {dept} Journals {year}",),
    "test_item_writing": ("{board} Exam Item Writing: {topic}",),
    "other": ("Blended Learning: {topic}",),
}
OPENERS = ("This {kind} reviews current evidence in {topic} for practicing {audience}.",
           "A {kind} on {topic} for {audience} and their care teams.",
           "Practical updates in {topic}, built around recent guidelines.")
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
    ("{brand} Health System CME", 10),
    ("{brand} Medical Center {city}", 8), ("{city} {brand} Hospital", 6),
    ("{brand} Health {city} Continuing Medical Education", 5),
    ("{state} State Medical Association", 3), ("{state} Medical Society", 3)))
FOCUSED_NAMES = _Weighted.of((("{chapter}", 3), ("{society}", 1)))
BRANDS = ("Mercy", "Baptist", "Methodist", "Presbyterian", "St. Luke's", "St. Joseph", "Valley",
          "Good Samaritan", "Providence", "Memorial", "Lutheran", "Adventist", "Covenant",
          "Trinity", "Sacred Heart", "Holy Cross", "Riverside", "Northside", "Summit", "Regional")
HOSPITAL_VENUES = ("{city} General Hospital", "{city} Medical Center, Main Auditorium",
                   "University Hospital, Education Center", "{city} Memorial Hospital",
                   "{city} Regional Medical Center, Conference Room B")
EVENT_VENUES = ("{city} Convention Center", "Hyatt Regency {city}", "{city} Marriott Downtown",
                "Hilton {city}", "Sheraton {city} Hotel", "The Westin {city}")
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
        name = _provider_name(rng, home, board, taken, i)
        taken.add(name)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        slug = slug if len(slug) <= 40 else slug[:41].rsplit("-", 1)[0]  # whole words, short host
        profiles.append(_Profile(DemoProvider(f"demo-{i:04d}", name), slug, board, home))
    return tuple(profiles)


def _provider_name(rng: _Random, home: Place, board: Board | None, taken: set[str], i: int) -> str:
    info = _info(board) if board else DEFAULT_BOARD
    state = _us_states()[home.state]
    templates = FOCUSED_NAMES if board else GENERAL_NAMES
    for _ in range(20):
        name = templates.pick(rng).format(
            state=state,
            city=home.city,
            brand=rng.choice(BRANDS),
            chapter=info.chapter.format(state=state),
            society=rng.choice(info.societies or (f"{state} Medical Society",)),
        )
        if name not in taken:
            return name
    return f"{home.city} Continuing Medical Education {i}"


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
    start, end = _dates(rng, kind, today)
    credits = round(rng.triangular(*QUARTERS.get(kind, OTHER_QUARTERS))) / 4
    boards = _boards(rng, profile.board, start)
    moc = [_registration(rng, b, kind, credits, end) for b in boards]
    area = moc[0]["practice_areas"][0]
    location = _location(rng, kind, profile.home) if fmt != "online" else None
    topic = rng.choice(_topics(area))
    city = location["city"] if location else ""
    pid = f"D{index:07d}"
    record: dict[str, Any] = {
        "provider_activity_id": pid,
        "title": _title(rng, kind, boards[0], area, topic, start, city),
        "description": _description(rng, kind, topic, boards[0], profile.provider.name),
        "activity_type": kind,
        "format": fmt,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "url": f"https://{profile.slug}.example.org/cme/{pid}",
        "fee": FEES.pick(rng),
        "cme_credits": credits,
        "specialties": _specialties(rng, boards[0]),
        # A few activities are plain CME without MOC registration.
        "moc": [] if rng.random() < 0.03 else moc,
        "listed": rng.random() >= 0.15,
        "registration": "limited" if rng.random() < 0.15 else "open",
    }
    if location is not None:
        record["location"] = location
    return record


def _dates(rng: _Random, kind: str, today: date) -> tuple[date, date]:
    """Pick start and end: ~10% already ended, the rest current or upcoming."""
    span = timedelta(days=rng.randint(*SPANS.get(kind, OTHER_SPAN)))
    if rng.random() < 0.10:
        end = today - timedelta(days=rng.randint(1, 400))
        return end - span, end
    start = today + timedelta(days=rng.randint(-span.days, HORIZON.get(kind, 90)))
    return start, start + span


def _boards(rng: _Random, own: Board | None, start: date) -> list[Board]:
    """Pick one board (a society's own most of the time), sometimes two; respect their dates."""
    table = _boards_table()
    first = own if own and rng.random() < 0.8 else table.pick(rng)
    for _ in range(5):
        if _open_on(first, start):
            break
        first = table.pick(rng)
    else:  # no board drawn accepts an activity starting this early: take one without a limit
        first = next(b for b in table.items if b.registrations_from is None)
    if rng.random() >= 0.15:
        return [first]
    # Redraw a few times: ABIM, the likeliest second board, is often the first one already.
    others = (table.pick(rng) for _ in range(4))
    second = next((b for b in others if b != first and _open_on(b, start)), None)
    return [first, second] if second else [first]


def _open_on(board: Board, start: date) -> bool:
    return board.registrations_from is None or start >= board.registrations_from


def _registration(
    rng: _Random, board: Board, kind: str, credits: float, end: date
) -> dict[str, Any]:
    """One board's MOC registration, valid for that board."""
    wanted = "improvement" if kind == "performance_improvement" else "evaluation_with_feedback"
    types = board.credit_types
    first = next((c.code for c in types if c.kind == wanted), types[0].code)
    extra = [c.code for c in types if c.code != first and rng.random() < 0.15]
    areas = board.practice_areas
    reg: dict[str, Any] = {
        "board": board.code,
        "points": credits if rng.random() < 0.85 else _fewer_points(rng, credits),
        "credit_types": [first, *extra],
        "practice_areas": rng.few(areas, min(len(areas), rng.choice((1, 1, 1, 2, 2, 3)))),
    }
    if rng.random() < 0.4:
        reg["credit_claim_date"] = (end + timedelta(days=rng.randint(0, 365))).isoformat()
    return reg


def _fewer_points(rng: _Random, credits: float) -> float:
    """Points below the credits, in quarter steps (rounding down never exceeds the credits)."""
    return max(0.25, math.floor(credits * rng.uniform(0.3, 0.95) * 4) / 4)


@cache
def _topics(area: str) -> tuple[str, ...]:
    """Title topics of a practice area; parenthetical notes dropped from the fallback."""
    return tuple(TOPICS.get(area, re.sub(r"\s*\([^)]*\)", "", area)).split("|"))


def _title(
    rng: _Random, kind: str, board: Board, area: str, topic: str, start: date, city: str
) -> str:
    if kind == "rss" and board.code in TUMOR_BOARDS and rng.random() < 0.2:
        kind = "tumor_board"
    # One-word subspecialties ("Nephrology") name their own rounds; others use the department.
    dept = area if " " not in area and area.endswith("ology") else _info(board).dept
    n = rng.randint(2, 45)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    title = rng.choice(TITLES[kind]).format(
        topic=topic,
        year=start.year,
        next_year=start.year + 1,
        n=n,
        ordinal=f"{n}{suffix}",
        dept=RSS_DEPTS.get(area, dept),
        board=board.display_code,
        city=city,
        site=rng.choice(TUMOR_SITES),
    )
    return title.strip()  # an online course has no city to open "{city} ... Conference"


def _description(rng: _Random, kind: str, topic: str, board: Board, provider: str) -> str:
    opener = rng.choice(OPENERS).format(
        kind=KIND_WORDS.get(kind, "activity"), topic=topic, audience=_info(board).audience
    )
    more = [
        rng.choice(p).format(provider=provider) for p in (DETAILS, CLOSERS) if rng.random() < 0.5
    ]
    return " ".join([opener, *more])


def _info(board: Board) -> _BoardInfo:
    return BOARDS.get(board.code, DEFAULT_BOARD)


@cache
def _own_specialties(board_code: str) -> tuple[str, ...]:
    known = reference().specialties
    return tuple(s for s in BOARDS.get(board_code, DEFAULT_BOARD).specialties if s in known)


def _specialties(rng: _Random, board: Board) -> list[str]:
    """0-3 specialty codes: the board's own first, then related ones."""
    own = _own_specialties(board.code)
    k = min(len(own), rng.choice((0, 1, 1, 1, 2, 3)))
    return [own[0], *rng.few(own[1:], k - 1)] if k else []


def _location(rng: _Random, kind: str, home: Place) -> dict[str, Any]:
    """A real US city: series meet at the provider's home, courses often travel."""
    place = _cities_table().pick(rng) if kind == "course" and rng.random() < 0.5 else home
    venues = EVENT_VENUES if kind == "course" and rng.random() < 0.7 else HOSPITAL_VENUES
    return {
        "venue": rng.choice(venues).format(city=place.city),
        "city": place.city,
        "state": place.state,
        "postal_code": place.zip_code,
        "country": "US",
        "lat": place.lat,
        "lng": place.lng,
    }
