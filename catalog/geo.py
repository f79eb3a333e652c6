"""Offline US gazetteer over the ``zipcodes`` package: ZIP and city -> coordinates.

``zipcodes.matching`` scans its whole list on every call, so the lists are indexed once here,
on first use, into dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import zipcodes


@dataclass(frozen=True)
class Place:
    zip_code: str
    city: str
    state: str
    lat: float
    lng: float


@dataclass(frozen=True)
class Gazetteer:
    by_zip: dict[str, Place]
    by_city: dict[tuple[str, str], Place]

    def find_zip(self, postal_code: str) -> Place | None:
        """Return the place of a US ZIP code (``12345`` or ``12345-6789``), if known."""
        return self.by_zip.get(postal_code.strip()[:5])

    def find_city(self, city: str, state: str) -> Place | None:
        """Return a representative place for a US city in a state, if known."""
        return self.by_city.get((_city_key(city), state.strip().upper()))


def _city_key(city: str) -> str:
    return " ".join(city.replace(".", "").split()).casefold()


def _place(row: dict[str, object]) -> Place | None:
    try:
        lat, lng = float(str(row["lat"])), float(str(row["long"]))
    except (KeyError, ValueError):
        return None
    return Place(str(row["zip_code"]), str(row["city"]), str(row["state"]), lat, lng)


@cache
def gazetteer() -> Gazetteer:
    """Build the gazetteer once, on first use."""
    by_zip: dict[str, Place] = {}
    by_city: dict[tuple[str, str], Place] = {}
    # Standard ZIPs first: they give a city's usual centre better than PO boxes or unique ZIPs.
    everything: list[dict[str, object]] = zipcodes.list_all()  # type: ignore[no-untyped-call]
    rows = sorted(everything, key=lambda r: r.get("zip_code_type") != "STANDARD")
    for row in rows:
        place = _place(row)
        if place is None:
            continue
        by_zip[place.zip_code] = place
        by_city.setdefault((_city_key(place.city), place.state), place)
    return Gazetteer(by_zip, by_city)


def resolve_point(text: str) -> tuple[float, float] | None:
    """Resolve a US ZIP code or a ``lat,lng`` pair to coordinates; None when unknown."""
    if "," in text:
        try:
            lat, lng = (float(p) for p in text.split(","))
        except ValueError:
            return None
        return (lat, lng) if -90 <= lat <= 90 and -180 <= lng <= 180 else None
    place = gazetteer().find_zip(text)
    return (place.lat, place.lng) if place else None
