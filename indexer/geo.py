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
