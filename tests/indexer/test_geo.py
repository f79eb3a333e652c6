"""The batch distance helper gives exactly the floats of the single one (radius edges agree)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from indexer.geo import haversine_mi, miles_from

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
