"""The demo catalog generator: deterministic, valid under the rules, realistically shaped."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from catalog.demo import (
    BOARDS,
    VENUE_RADIUS_KM,
    DemoProvider,
    demo_activities,
    demo_providers,
)
from catalog.demo_themes import THEMES
from catalog.geo import gazetteer
from catalog.reference import reference
from catalog.rules import parse_activity
from catalog.schemas import MocIn

TODAY = date(2026, 3, 1)
Records = list[tuple[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def large() -> Records:
    return list(demo_activities(20_000, 7, TODAY))


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def share(records: Records, predicate: Callable[[dict[str, Any]], bool]) -> float:
    return sum(1 for _, r in records if predicate(r)) / len(records)


def test_same_inputs_give_identical_output() -> None:
    assert list(demo_activities(500, 3, TODAY)) == list(demo_activities(500, 3, TODAY))
    assert demo_providers(500, 3) == demo_providers(500, 3)


def test_another_seed_or_day_gives_other_output() -> None:
    first = list(demo_activities(500, 3, TODAY))
    assert first != list(demo_activities(500, 4, TODAY))
    assert first != list(demo_activities(500, 3, date(2026, 9, 1)))
    assert demo_providers(500, 3) != demo_providers(500, 4)


@pytest.mark.parametrize("count", [0, 1, 7, 1234])
def test_yields_exactly_the_requested_count(count: int) -> None:
    assert len(list(demo_activities(count, 1, TODAY))) == count


@pytest.mark.parametrize(("activities", "expected"), [(10, 5), (2_000, 40), (50_000, 1_000)])
def test_provider_count_scales_with_activities(activities: int, expected: int) -> None:
    providers = demo_providers(activities, 1)
    assert len(providers) == expected
    assert len({p.id for p in providers}) == expected
    assert len({p.name for p in providers}) == expected
    assert all(isinstance(p, DemoProvider) and p.name.strip() for p in providers)


def test_every_record_passes_the_rules() -> None:
    provider_ids = {p.id for p in demo_providers(2_000, 11)}
    seen: set[tuple[str, str]] = set()
    for provider_id, record in demo_activities(2_000, 11, TODAY):
        activity = parse_activity(record)
        assert provider_id in provider_ids
        key = (provider_id, activity.provider_activity_id)
        assert key not in seen
        seen.add(key)


def test_type_shares(large: Records) -> None:
    types = Counter(r["activity_type"] for _, r in large)
    assert 0.40 <= types["enduring_material"] / len(large) <= 0.50
    assert 0.25 <= types["rss"] / len(large) <= 0.35
    assert 0.15 <= types["course"] / len(large) <= 0.25
    assert len(types) == 11  # the 5% share is spread over the eight other types


def test_formats_follow_the_type(large: Records) -> None:
    def format_share(kind: str, fmt: str) -> float:
        formats = [str(r["format"]) for _, r in large if r["activity_type"] == kind]
        return formats.count(fmt) / len(formats)

    assert format_share("enduring_material", "online") > 0.9
    assert format_share("rss", "in_person") > 0.6
    assert {r["format"] for _, r in large if r["activity_type"] == "course"} == {
        "in_person",
        "hybrid",
        "online",
    }


def test_visibility_registration_and_fee_shares(large: Records) -> None:
    assert 0.10 <= share(large, lambda r: not r["listed"]) <= 0.20
    assert 0.10 <= share(large, lambda r: r["registration"] == "limited") <= 0.20
    assert 0.01 <= share(large, lambda r: not r["moc"]) <= 0.05
    assert 0.10 <= share(large, lambda r: len(r["moc"]) == 2) <= 0.20
    fees = Counter(r["fee"] for _, r in large)
    assert set(fees) == {"yes", "free", "variable"}
    assert all(r["url"].startswith("https://") and ".example.org/" in r["url"] for _, r in large)


def test_a_few_providers_own_many_activities(large: Records) -> None:
    per_provider = Counter(provider_id for provider_id, _ in large)
    top = max(1, len(demo_providers(20_000, 7)) // 100)
    assert sum(n for _, n in per_provider.most_common(top)) >= 0.10 * len(large)


def test_boards_are_active_and_abim_leads(large: Records) -> None:
    active = {b.code for b in reference().active_boards()}
    boards = Counter(m["board"] for _, r in large for m in r["moc"])
    assert set(boards) <= active
    assert boards.most_common(1)[0][0] == "ABIM"
    assert 0.35 <= boards["ABIM"] / sum(boards.values()) <= 0.55


def test_registrations_fit_their_board(large: Records) -> None:
    boards = reference().boards
    for _, r in large[:3_000]:
        for m in r["moc"]:
            board = boards[m["board"]]
            assert 0 < m["points"] <= r["cme_credits"]
            assert set(m["credit_types"]) <= {c.code for c in board.credit_types}
            assert 1 <= len(m["practice_areas"]) <= 3
            assert set(m["practice_areas"]) <= set(board.practice_areas)
            if board.registrations_from:
                assert date.fromisoformat(r["start_date"]) >= board.registrations_from


def test_some_activities_ended_and_some_are_upcoming(large: Records) -> None:
    ended = share(large, lambda r: date.fromisoformat(r["end_date"]) < TODAY)
    upcoming = share(large, lambda r: date.fromisoformat(r["start_date"]) > TODAY)
    assert 0.05 <= ended <= 0.15
    assert upcoming > 0.2


def test_locations_are_real_us_places(large: Records) -> None:
    places = gazetteer()
    located = [r for _, r in large if r["format"] in ("in_person", "hybrid")]
    assert located
    for r in located:
        loc = r["location"]
        assert loc["country"] == "US"
        assert 18 <= loc["lat"] <= 72  # the 50 states and DC, Hawaii and Alaska included
        assert -180 <= loc["lng"] <= -65
        place = places.find_zip(loc["postal_code"])
        assert place is not None
        assert (place.city, place.state) == (loc["city"], loc["state"])
        # A venue sits near its city's centre, not on it (issue 14: one point per city made
        # "nearest first" unable to order a city's activities).
        assert distance_km(place.lat, place.lng, loc["lat"], loc["lng"]) <= VENUE_RADIUS_KM + 0.1
    assert all("location" not in r for _, r in large if r["format"] == "online")


def test_venues_of_a_city_sit_at_distinct_points_and_each_venue_at_one(large: Records) -> None:
    points: dict[tuple[str, str, str], set[tuple[float, float]]] = {}
    for _, r in large:
        if "location" in r:
            loc = r["location"]
            key = (loc["city"], loc["state"], loc["venue"])
            points.setdefault(key, set()).add((loc["lat"], loc["lng"]))
    assert all(len(spots) == 1 for spots in points.values())
    by_city: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for (city, state, _), spots in points.items():
        by_city.setdefault((city, state), []).extend(spots)
    busy = [spots for spots in by_city.values() if len(spots) >= 5]
    assert len(busy) >= 20
    assert all(len(set(spots)) == len(spots) for spots in by_city.values())


def test_specialties_and_titles_look_real(large: Records) -> None:
    known = set(reference().specialties)
    assert all(0 <= len(r["specialties"]) <= 3 for _, r in large)
    assert all(set(r["specialties"]) <= known for _, r in large)
    assert all(3 <= len(r["title"]) <= 300 for _, r in large)
    assert len({r["title"] for _, r in large}) > 1_000
    assert any("Grand Rounds" in r["title"] for _, r in large)
    assert any("Tumor Board" in r["title"] for _, r in large)


# -- issue 14: a coherent demo that passes every board rule --------------------------------


@pytest.fixture(scope="module")
def ten_thousand() -> Records:
    return list(demo_activities(10_000, 5, TODAY))


def test_every_theme_names_real_practice_areas_specialties_topics_and_outline_codes() -> None:
    ref = reference()
    aba_outline = ref.boards["ABA"].content_outline
    assert aba_outline is not None
    for theme in THEMES:
        for code, areas in theme.boards:
            assert areas, (theme.name, code)
            assert all(ref.boards[code].find_practice_area(a) == a for a in areas), theme.name
        assert set(theme.specialties) <= set(ref.specialties), theme.name
        assert set(theme.topics) <= set(ref.topics), theme.name
        assert all(aba_outline.find(c) == c for c in theme.outline), theme.name
        if theme.areas("ABA"):
            assert theme.outline, f"{theme.name}: an ABA theme needs content outline areas"
    assert len({t.focus for t in THEMES}) == len(THEMES)  # a description names one theme
    assert {b.code for b in ref.active_boards()} <= {c for t in THEMES for c, _ in t.boards}


def test_10k_demo_activities_pass_every_rule_unchanged_and_pair_boards_coherently(
    ten_thousand: Records,
) -> None:
    """Through the rules: no violation, nothing the rules would change (points, implied credit
    types, outline areas), and every registration's practice areas fit the theme its
    description names (issue 14: "Medicine M&M Conference" with a sleep-medicine description
    and an ABA pediatric-anesthesia credit)."""
    by_focus = {t.focus: t for t in THEMES}
    for _, record in ten_thousand:
        activity = parse_activity(record)
        assert [m.model_dump(exclude_defaults=True) for m in activity.moc] == [
            MocIn.model_validate(m).model_dump(exclude_defaults=True) for m in record["moc"]
        ], record["provider_activity_id"]
        (theme,) = [t for focus, t in by_focus.items() if focus in record["description"]]
        for m in activity.moc:
            assert set(m.practice_areas) <= set(theme.areas(m.board)), (theme.name, m)
            assert set(m.content_outline) <= set(theme.outline or ("Anatomy",)), (theme.name, m)
        # A board's own specialty may lead (a plain-CME activity dropped its registration).
        registered = [m["board"] for m in record["moc"]] or list(BOARDS)
        own = {s for code in registered for s in BOARDS[code].specialties[:1]}
        assert set(activity.specialties) <= set(theme.specialties) | own
        assert activity.topics == list(theme.topics)
        assert not activity.rems or theme.rems


def test_points_and_credit_types_follow_the_board_rules(ten_thousand: Records) -> None:
    boards = reference().boards
    types: Counter[str] = Counter()
    for _, r in ten_thousand:
        for m in r["moc"]:
            board = boards[m["board"]]
            if board.code in ("ABA", "ABP"):
                assert m["points"] == r["cme_credits"]
            assert 0 < m["points"] <= r["cme_credits"]
            assert "SAM" not in m["credit_types"]  # ABPath discontinued it on 2021-01-01
            assert board.with_implied(m["credit_types"]) == m["credit_types"]
            types.update(f"{board.code}:{c}" for c in m["credit_types"])
    # ABS self-assessment always comes with accredited CME ("CME, SA").
    assert types["ABS:SA"] > 0
    assert all(
        "CME" in m["credit_types"] for _, r in ten_thousand for m in r["moc"] if m["board"] == "ABS"
    )
    assert types["ABA:PS"] > 0
    assert types["ABA:LL"] > types["ABA:PS"]  # most ABA activities are not patient safety


def test_durations_are_typical_of_their_type(ten_thousand: Records) -> None:
    spans: dict[str, list[int]] = {}
    for _, r in ten_thousand:
        days = (date.fromisoformat(r["end_date"]) - date.fromisoformat(r["start_date"])).days
        spans.setdefault(r["activity_type"], []).append(days)
    assert set(spans["course"]) == {0, 1, 2}  # one to three days
    assert max(spans["rss"]) <= 364
    assert min(spans["rss"]) >= 90
    assert max(spans["enduring_material"]) <= 1094  # up to three years


def test_provider_names_look_real_and_accreditors_vary() -> None:
    providers = demo_providers(100_000, 1)
    assert len({p.name for p in providers}) == len(providers) == 1000
    assert not [p.name for p in providers if re.search(r"\d", p.name)]
    accreditors = Counter(
        p.accreditor if not p.accreditor.startswith("state:") else "state" for p in providers
    )
    assert set(accreditors) == {"ACCME", "JA", "state"}
    assert accreditors["ACCME"] > accreditors["state"] > accreditors["JA"]


def test_pars_fields_at_plausible_rates(ten_thousand: Records) -> None:
    assert 0.7 <= share(ten_thousand, lambda r: "accme_activity_id" in r) <= 0.9
    assert 0.05 <= share(ten_thousand, lambda r: r.get("providership") == "joint") <= 0.15
    assert 0.04 <= share(ten_thousand, lambda r: bool(r.get("commercial_support"))) <= 0.12
    assert 0.03 <= share(ten_thousand, lambda r: r.get("mips", False)) <= 0.12
    assert 0 < share(ten_thousand, lambda r: r.get("rems", False)) <= 0.05
    assert 0.1 <= share(ten_thousand, lambda r: bool(r.get("topics"))) <= 0.5
    kinds = Counter(s["kind"] for _, r in ten_thousand for s in r.get("commercial_support", []))
    assert kinds["monetary"] > kinds["in_kind"] > 0
