"""The engine contract catalog: hand-written, with known counts.

Thirteen public activities (A-N, no L) and three that must never surface: X is unlisted, Y
has ended, Z has no MOC registration. The catalog goes through the real path (rules, SQLite
catalog, outbox, rebuild), so what the engines hold is what production would hold.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from catalog.service import public_id

TODAY = date(2030, 1, 15)
PROVIDERS = {
    "acme": "ACME Medical Education",
    "kids": "Kids Hospital CME",
    "gas": "Anesthesia Educators Society",
    "cuts": "Surgical Learning Network",
}
PLACES = {
    "19107": ("Philadelphia", "PA"),
    "10001": ("New York", "NY"),
    "02115": ("Boston", "MA"),
    "60601": ("Chicago", "IL"),
    "07102": ("Newark", "NJ"),
    "90012": ("Los Angeles", "CA"),
}


def reg(
    board: str,
    points: float,
    credit_types: list[str],
    areas: list[str],
    outline: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A MOC registration; ``outline`` the ABA content outline areas every new ABA one needs."""
    found = {
        "board": board,
        "points": points,
        "credit_types": credit_types,
        "practice_areas": areas,
    }
    return found | ({"content_outline": list(outline)} if outline else {})


def activity(
    key: str,
    provider: str,
    title: str,
    kind: str,
    fmt: str,
    dates: tuple[str, str],
    credits: float,
    moc: list[dict[str, Any]],
    *,
    fee: str,
    registration: str = "open",
    zip_code: str | None = None,
    specialties: tuple[str, ...] = (),
    listed: bool = True,
    **more: Any,
) -> tuple[str, dict[str, Any]]:
    record: dict[str, Any] = {
        "provider_activity_id": key,
        "title": title,
        "activity_type": kind,
        "format": fmt,
        "start_date": dates[0],
        "end_date": dates[1],
        "cme_credits": credits,
        "moc": moc,
        "fee": fee,
        "registration": registration,
        "url": f"https://example.org/{key}",
        "specialties": list(specialties),
        "listed": listed,
    } | more
    if zip_code:
        city, state = PLACES[zip_code]
        record["location"] = {
            "city": city,
            "state": state,
            "postal_code": zip_code,
            "country": "US",
        }
    return provider, record


CV = "Cardiovascular Disease"
FIXTURE = [
    activity("A", "acme", "Cardiology Update 2030", "course", "in_person",
             ("2030-03-01", "2030-03-03"), 10, [reg("ABIM", 10, ["MK", "PS"], [CV])],
             fee="yes", zip_code="19107", specialties=("internal_medicine",),
             topics=["risk_management"], mips=True),
    activity("B", "acme", "Heart Failure Masterclass", "course", "hybrid",
             ("2030-02-10", "2030-02-11"), 8,
             [reg("ABIM", 8, ["MK"], ["Advanced Heart Failure and Transplant Cardiology"])],
             fee="variable", registration="limited", zip_code="10001",
             specialties=("internal_medicine",)),
    activity("C", "kids", "Pediatric Asthma Review", "enduring_material", "online",
             ("2029-06-01", "2031-05-01"), 2, [reg("ABP", 2, ["LLSA"], ["Pediatric Pulmonology"])],
             fee="free", specialties=("pediatrics",)),
    activity("D", "kids", "Pediatric Cardiology Grand Rounds", "rss", "in_person",
             ("2030-01-01", "2030-12-31"), 40,
             [reg("ABP", 40, ["LLSA"], ["Pediatric Cardiology"]),
              reg("ABIM", 40, ["MK"], ["Adult Congenital Heart Disease"])],
             fee="free", zip_code="02115", specialties=("pediatrics",)),
    activity("E", "gas", "Anesthesia Patient Safety Course", "course", "in_person",
             ("2030-04-10", "2030-04-12"), 12,
             [reg("ABA", 12, ["PS", "LL"], ["Regional Anesthesia/Acute Pain"],
                  ("Regional Anesthesia", "Special Problems or Issues in Anesthesiology"))],
             fee="yes", registration="limited", zip_code="60601", specialties=("anesthesiology",),
             topics=["controlled_substances", "pain_management"], rems=True),
    activity("F", "cuts", "Surgical Skills Podcast", "enduring_material", "online",
             ("2030-01-01", "2031-01-01"), 1, [reg("ABS", 1, ["CME"], ["General Surgery"])],
             fee="free", specialties=("surgery",)),
    activity("G", "acme", "Nephrology Board Review", "course", "online",
             ("2030-05-01", "2030-05-05"), 30, [reg("ABIM", 30, ["MK"], ["Nephrology"])],
             fee="yes", specialties=("internal_medicine",), topics=["medical_ethics"]),
    activity("H", "acme", "Cardiology Journal Club", "journal_cme", "online",
             ("2030-01-20", "2030-12-20"), 1, [reg("ABIM", 1, ["MK"], [CV])], fee="free"),
    activity("I", "gas", "Sleep Medicine Essentials", "enduring_material", "online",
             ("2030-01-05", "2030-06-30"), 3,
             [reg("ABA", 3, ["LL"], ["Sleep Medicine"], ("Respiratory System",)),
              reg("ABIM", 3, ["MK"], ["Sleep Medicine"])],
             fee="variable", registration="limited"),
    activity("J", "acme", "Hospital Medicine Update", "course", "in_person",
             ("2030-06-15", "2030-06-16"), 6, [reg("ABIM", 6, ["MK"], ["Hospital Medicine"])],
             fee="yes", zip_code="07102"),
    activity("K", "gas", "Critical Care Symposium", "course", "in_person",
             ("2030-09-09", "2030-09-11"), 7,
             [reg("ABIM", 7, ["PA"], ["Critical Care Medicine"]),
              reg("ABA", 7, ["LL"], ["Critical Care Medicine"], ("Clinical Subspecialties",))],
             fee="yes", zip_code="90012"),
    activity("M", "acme", "Tips & <b>Tricks</b> in Sleep", "enduring_material", "online",
             ("2030-02-01", "2030-08-01"), 2, [reg("ABIM", 2, ["MK"], ["Sleep Medicine"])],
             fee="free"),
    activity("N", "acme", "Sleep Medicine", "enduring_material", "online",
             ("2030-03-01", "2030-09-01"), 1, [reg("ABIM", 1, ["MK"], ["Hospital Medicine"])],
             fee="free"),
    activity("X", "acme", "Cardiology Secrets", "course", "online", ("2030-03-01", "2030-03-02"),
             5, [reg("ABIM", 5, ["MK"], [CV])], fee="yes", listed=False,
             topics=["controlled_substances"], rems=True, mips=True),
    activity("Y", "acme", "Cardiology Update 2029", "course", "online",
             ("2029-12-01", "2029-12-31"), 5, [reg("ABIM", 5, ["MK"], [CV])], fee="yes"),
    activity("Z", "acme", "Cardiology Without MOC", "course", "online",
             ("2030-03-01", "2030-03-02"), 5, [], fee="yes"),
]  # fmt: skip
KEYS = {public_id(provider, record["provider_activity_id"]): record["provider_activity_id"]
        for provider, record in FIXTURE}  # fmt: skip
HIDDEN = {"X", "Y", "Z"}
# Y ends before TODAY. The API and the pages judge "ended" by the real date, so the catalogs
# they serve move Y into the past instead.
ENDED_DATES = {"start_date": "2025-01-01", "end_date": "2025-01-31"}


def fixture_ended_y() -> list[tuple[str, dict[str, Any]]]:
    """FIXTURE with Y ended before the real today (for catalogs served by the app)."""
    return [
        (pid, record | ENDED_DATES if record["provider_activity_id"] == "Y" else record)
        for pid, record in FIXTURE
    ]


def key_of(activity_id: str) -> str:
    return KEYS[activity_id]


def id_of(key: str) -> str:
    return next(i for i, k in KEYS.items() if k == key)
