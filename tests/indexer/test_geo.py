"""Distances: the batch helper gives exactly the floats of the single one (radius edges
agree), and a radius search reaches across the antimeridian."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from indexer.engines.tantivy import TantivyEngine
from indexer.engines.tantivy_query import longitude_spans
from indexer.geo import haversine_mi, miles_from
from indexer.query import parse_search
from indexer.service import SearchService
from tests.builders import build_catalog, make_record

lats = st.floats(min_value=-90, max_value=90, allow_nan=False)
lngs = st.floats(min_value=-180, max_value=180, allow_nan=False)
points = st.tuples(lats, lngs)


@given(points, st.lists(points, max_size=30))
def test_miles_from_equals_haversine_bit_for_bit(
    origin: tuple[float, float], others: list[tuple[float, float]]
) -> None:
    expected = [haversine_mi(origin, other) for other in others]
    got = miles_from(origin, [p[0] for p in others], [p[1] for p in others])
    assert got == expected


def test_known_distance() -> None:
    # New York (10001) to Philadelphia (19107): about 80 miles.
    assert miles_from((40.7506, -73.9972), [39.9522], [-75.1596])[0] == haversine_mi(
        (40.7506, -73.9972), (39.9522, -75.1596)
    )
    assert 78 < haversine_mi((40.7506, -73.9972), (39.9522, -75.1596)) < 84


def test_longitude_spans_wrap_at_the_antimeridian() -> None:
    assert longitude_spans(-80, -70) == [(-80, -70)]
    assert longitude_spans(-185, -169) == [(175, 180.0), (-180.0, -169)]
    assert longitude_spans(172, 186) == [(172, 180.0), (-180.0, -174)]
    assert longitude_spans(-200, 200) == [(-180.0, 180.0)]


def location(city: str, lat: float, lng: float) -> dict[str, Any]:
    return {"city": city.title(), "state": "AK", "country": "US", "lat": lat, "lng": lng}


def test_radius_search_reaches_across_the_antimeridian(tmp_path: Path) -> None:
    # Adak (ZIP 99546, -177.09) and Shemya (+178.88) are ~170 miles apart across 180 degrees.
    places = {"ADAK": (51.8549, -177.0888), "SHEMYA": (51.5672, 178.8775), "ANCH": (61.2, -149.9)}
    records = [
        ("acme", make_record(provider_activity_id=key, title=key, location=location(key, *point)))
        for key, point in places.items()
    ]
    build_catalog(tmp_path, records, {"acme": "ACME CME"})
    engine = TantivyEngine(tmp_path / "index")
    service = SearchService(engine, today=lambda: date(2030, 1, 1))
    cases = [
        ("99546", "300", {"ADAK", "SHEMYA"}),
        ("51.5672,178.8775", "300", {"ADAK", "SHEMYA"}),
        ("99546", "100", {"ADAK"}),
    ]
    for near, radius, expected in cases:
        result = service.search(parse_search({"near": [near], "radius_mi": [radius]}))
        assert {hit["title"] for hit in result.hits} == expected, (near, radius)
        assert result.total == len(expected)
    engine.close()
