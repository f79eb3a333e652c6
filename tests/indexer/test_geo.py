"""Distances: the batch helper gives exactly the floats of the single one (radius edges
agree); the grid cells covering a circle hold every point within it and their inside cells
only such points; a radius search reaches across the antimeridian and finds exactly the
documents a test of every one finds."""

from __future__ import annotations

import math
import random
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.engines.tantivy import TantivyEngine
from indexer.engines.tantivy_geo import cells_of, cover
from indexer.geo import EARTH_RADIUS_MI, haversine_mi, miles_from
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


radii = st.floats(min_value=0.1, max_value=500, allow_nan=False)
# Where a circle meets a pole or the antimeridian, or sits on the equator.
awkward = st.sampled_from([(89.99, 0.0), (-89.5, 120.0), (51.85, -177.09), (0.0, 179.99),
                           (0.0, 0.0), (64.8, -147.7), (40.7506, -73.9972)])  # fmt: skip


def near_the_edge(
    draw: st.DrawFn, centre: tuple[float, float], radius: float
) -> tuple[float, float]:
    """A point about ``radius`` from ``centre`` (0.9-1.1 of it), where a cover can go wrong."""
    ratio = draw(st.floats(min_value=0.9, max_value=1.1))
    bearing = math.radians(draw(st.floats(min_value=0, max_value=360)))
    angle = radius * ratio / EARTH_RADIUS_MI
    lat1, lng1 = math.radians(centre[0]), math.radians(centre[1])
    lat2 = math.asin(
        math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing)
    )
    lng2 = lng1 + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(lat1),
        math.cos(angle) - math.sin(lat1) * math.sin(lat2),
    )
    return math.degrees(lat2), (math.degrees(lng2) + 180) % 360 - 180


@st.composite
def circles_and_points(
    draw: st.DrawFn,
) -> tuple[tuple[float, float], float, list[tuple[float, float]]]:
    centre = draw(st.one_of(points, awkward))
    radius = draw(radii)
    near = [near_the_edge(draw, centre, radius) for _ in range(draw(st.integers(1, 20)))]
    return centre, radius, near + draw(st.lists(points, max_size=5))


@settings(max_examples=300, deadline=None)
@given(circles_and_points())
def test_cover_holds_every_point_within_and_its_inside_cells_no_point_beyond(
    case: tuple[tuple[float, float], float, list[tuple[float, float]]],
) -> None:
    centre, radius, others = case
    cells = cover(centre, radius)
    inside, covered = set(cells.inside), set(cells.inside) | set(cells.edge)
    for point, miles in zip(others, miles_from(centre, *zip(*others, strict=True)), strict=True):
        terms = set(cells_of(*point))
        if miles <= radius:
            assert terms & covered, (centre, radius, point, miles)
        if terms & inside:
            assert miles <= radius, (centre, radius, point, miles)


def test_cover_stays_small() -> None:
    """The cells a search sends to the index: a few hundred, whatever the radius."""
    for radius in (0.1, 1, 10, 50, 100, 500):
        cells = cover((40.7506, -73.9972), radius)
        assert 0 < len(cells.inside) + len(cells.edge) < 2_000, radius


def location(city: str, lat: float, lng: float) -> dict[str, Any]:
    return {"city": city.title(), "state": "AK", "country": "US", "lat": lat, "lng": lng}


def catalog_of(
    tmp_path: Path, places: dict[str, tuple[float, float]]
) -> tuple[TantivyEngine, SearchService]:
    """A catalog of one activity per place (titled by its key), indexed, and its search."""
    records = [
        ("acme", make_record(provider_activity_id=key, title=key, location=location(key, *point)))
        for key, point in places.items()
    ]
    build_catalog(tmp_path, records, {"acme": "ACME CME"})
    engine = TantivyEngine(tmp_path / "index")
    return engine, SearchService(engine, today=lambda: date(2030, 1, 1))


def test_radius_search_reaches_across_the_antimeridian(tmp_path: Path) -> None:
    # Adak (ZIP 99546, -177.09) and Shemya (+178.88) are ~170 miles apart across 180 degrees.
    places = {"ADAK": (51.8549, -177.0888), "SHEMYA": (51.5672, 178.8775), "ANCH": (61.2, -149.9)}
    engine, service = catalog_of(tmp_path, places)
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


def test_radius_search_finds_exactly_the_documents_within(tmp_path: Path) -> None:
    """300 places scattered 0-150 miles around Manhattan; every radius finds exactly those a
    test of every place finds, whichever cells (inside or edge) hold them. From 25 miles on,
    each circle has places on its edge cells both within and beyond the radius (the case the
    exact test decides)."""
    rng = random.Random(5)
    centre = (40.7506, -73.9972)
    places = {}
    for i in range(300):
        lat = centre[0] + rng.gauss(0, 1.0)
        lng = centre[1] + rng.gauss(0, 1.3)
        places[f"Place-{i}"] = (lat, lng)
    engine, service = catalog_of(tmp_path, places)
    for radius in (0.5, 5, 10, 25, 50, 75, 100, 150):
        edge = set(cover(centre, radius).edge)
        on_edge = [k for k, point in places.items() if set(cells_of(*point)) & edge]
        if radius >= 25:
            beyond = [k for k in on_edge if haversine_mi(centre, places[k]) > radius]
            assert 0 < len(beyond) < len(on_edge), radius
        result = service.search(
            parse_search(
                {
                    "near": ["40.7506,-73.9972"],
                    "radius_mi": [str(radius)],
                    "per_page": ["100"],
                    "sort": ["distance"],
                }
            )  # fmt: skip
        )
        expected = {key for key, point in places.items() if haversine_mi(centre, point) <= radius}
        assert result.total == len(expected), radius
        found = {hit["title"] for hit in result.hits}
        assert found == set(sorted(expected, key=lambda k: haversine_mi(centre, places[k]))[:100])
        assert [h["distance_mi"] for h in result.hits] == sorted(
            h["distance_mi"] for h in result.hits
        )
    engine.close()
