"""Great-circle distance, shared by both engines so distances agree to the tenth of a mile."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

EARTH_RADIUS_MI = 3958.7613  # 6,371 km, as Meilisearch's haversine


def haversine_mi(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in miles between two (lat, lng) points."""
    return miles_from(a, [b[0]], [b[1]])[0]


def miles_from(
    point: tuple[float, float],
    lats: Sequence[float] | np.ndarray,
    lngs: Sequence[float] | np.ndarray,
) -> list[float]:
    """``haversine_mi(point, (lat, lng))`` for many points at once (a radius search near a city
    tests thousands): numpy does the arithmetic, one pair or many alike, so the same floats."""
    lat1, lng1 = math.radians(point[0]), math.radians(point[1])
    lat2 = np.radians(np.asarray(lats, dtype=np.float64))
    lng2 = np.radians(np.asarray(lngs, dtype=np.float64))
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) / 2) ** 2
    )
    miles: list[float] = (2 * EARTH_RADIUS_MI * np.arcsin(np.minimum(1.0, np.sqrt(h)))).tolist()
    return miles
