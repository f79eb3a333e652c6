"""The demo catalog generator: deterministic, valid under the rules, realistically shaped."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from catalog.demo import DemoProvider, demo_activities, demo_providers
from catalog.geo import gazetteer
from catalog.reference import reference
from catalog.rules import parse_activity

TODAY = date(2026, 3, 1)
Records = list[tuple[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def large() -> Records:
    return list(demo_activities(20_000, 7, TODAY))


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
        assert (place.city, place.state, place.lat, place.lng) == (
            loc["city"],
            loc["state"],
            loc["lat"],
            loc["lng"],
        )
    assert all("location" not in r for _, r in large if r["format"] == "online")


def test_specialties_and_titles_look_real(large: Records) -> None:
    known = set(reference().specialties)
    assert all(0 <= len(r["specialties"]) <= 3 for _, r in large)
    assert all(set(r["specialties"]) <= known for _, r in large)
    assert all(3 <= len(r["title"]) <= 300 for _, r in large)
    assert len({r["title"] for _, r in large}) > 1_000
    assert any("Grand Rounds" in r["title"] for _, r in large)
    assert any("Tumor Board" in r["title"] for _, r in large)
