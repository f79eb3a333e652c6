"""Great-circle distance, shared by both engines so distances agree to the tenth of a mile."""

from __future__ import annotations

import math

EARTH_RADIUS_MI = 3958.7613  # 6,371 km, as Meilisearch's haversine


def haversine_mi(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in miles between two (lat, lng) points."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MI * math.asin(min(1.0, math.sqrt(h)))


def miles_from(point: tuple[float, float], lats: list[float], lngs: list[float]) -> list[float]:
    """``haversine_mi(point, (lat, lng))`` for many points: the same arithmetic, so the same
    floats, without a call and a tuple per pair (a radius search near a city tests ~50k)."""
    sin, cos, asin, sqrt, radians = math.sin, math.cos, math.asin, math.sqrt, math.radians
    lat1, lng1 = radians(point[0]), radians(point[1])
    cos1 = cos(lat1)
    out = []
    for lat, lng in zip(lats, lngs, strict=True):
        lat2 = radians(lat)
        h = sin((lat2 - lat1) / 2) ** 2 + cos1 * cos(lat2) * sin((radians(lng) - lng1) / 2) ** 2
        out.append(2 * EARTH_RADIUS_MI * asin(min(1.0, sqrt(h))))
    return out
