"""Grid cells for the radius filter of the embedded engine.

Each located document is indexed with the latitude/longitude grid cell that holds it at every
level (cells of 8°, 4°, ... 1/256°, each level halving the side). A radius search covers its
circle with cells, coarse ones inside and fine ones along the edge, classified with a bound
that is proven, not estimated:

- inside: every point of the cell is within the radius, so its members need no test;
- outside: no point of the cell is within the radius;
- edge: anything else; only the members of these are listed and tested one by one with the
  same great-circle formula as before (``indexer.geo``), so the set is exactly the one a test
  of every document would give.

Before this a search near a city listed every member of the circle's bounding box in Python
(4,807 documents 100 miles around Manhattan in a 100k catalog) and ran two range scans over
every document's coordinates for the search and each facet count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from indexer.geo import EARTH_RADIUS_MI, miles_from

GEO_FIELD = "geo_cell"
# Cell sides in degrees: 2**3 down to 2**-8 (about 0.27 miles of latitude).
COARSEST, FINEST = 3, -8
LEVELS = tuple(range(COARSEST, FINEST - 1, -1))
# How many levels the cover may go below the one it starts at (4x finer along the edge).
# Measured at 100k, 10 to 100 miles around four cities: deeper covers list fewer edge
# members but send more cells (depth 4: ~1,300 cells, the cover alone ~1 ms in Python);
# depth 2 gave the cheapest radius filter and search (docs/benchmarks.md).
DEPTH = 2
# Float error of the distance formula is below 1e-9 miles; cells are judged with this margin
# so that a rounding never decides between inside and edge.
MARGIN_MI = 0.001


def _side(level: int) -> float:
    return 2.0**level


def _cell(level: int, lat: float, lng: float) -> tuple[int, int]:
    side = _side(level)
    columns = round(360 / side)
    return math.floor((lat + 90) / side), math.floor((lng + 180) / side) % columns


def term(level: int, row: int, column: int) -> str:
    return f"{level}:{row}:{column}"


def cells_of(lat: float, lng: float) -> list[str]:
    """The terms of the cells holding (lat, lng), one per level."""
    return [term(level, *_cell(level, lat, lng)) for level in LEVELS]


@dataclass(frozen=True)
class Cover:
    """The cells that cover a circle: ``inside`` need no test, ``edge`` members do."""

    inside: tuple[str, ...]
    edge: tuple[str, ...]


@lru_cache(maxsize=1024)
def cover(point: tuple[float, float], radius_mi: float) -> Cover:
    """Cells covering the circle of ``radius_mi`` around ``point``, coarse inside, fine on
    the edge (at most DEPTH levels below the start, never below FINEST).

    Pure arithmetic, independent of the index, so remembered: searches near the same place
    with the same radius (any words, any other filters) reuse the cover."""
    level = _start_level(radius_mi)
    finest = max(FINEST, level - DEPTH)
    rows, columns = _box_cells(level, point, radius_mi)
    inside: list[str] = []
    while True:
        ins, edges = _classify(level, rows, columns, point, radius_mi)
        inside += _terms(level, rows[ins], columns[ins])
        rows, columns = rows[edges], columns[edges]
        if level == finest or not len(rows):
            return Cover(tuple(inside), tuple(_terms(level, rows, columns)))
        rows, columns = _children(rows, columns)
        level -= 1


def _terms(level: int, rows: np.ndarray, columns: np.ndarray) -> list[str]:
    return [term(level, r, c) for r, c in zip(rows.tolist(), columns.tolist(), strict=True)]


def _start_level(radius_mi: float) -> int:
    """The level whose cells are about a quarter of the circle's diameter."""
    diameter = 2 * math.degrees(radius_mi / EARTH_RADIUS_MI)
    return max(FINEST, min(COARSEST, math.floor(math.log2(diameter / 4))))


def _box_cells(
    level: int, point: tuple[float, float], radius_mi: float
) -> tuple[np.ndarray, np.ndarray]:
    """The cells of ``level`` meeting a box around the circle (rows may pass a pole; columns
    wrap at the antimeridian)."""
    side = _side(level)
    lat, lng = point
    dlat = math.degrees(radius_mi / EARTH_RADIUS_MI) * 1.01
    low_row, _ = _cell(level, max(-90.0, lat - dlat), 0.0)
    high_row, _ = _cell(level, min(90.0, lat + dlat), 0.0)
    total = round(360 / side)
    widest = abs(lat) + dlat  # the circle's widest parallel is no nearer the equator
    dlng = 180.0 if widest >= 90 else dlat / math.cos(math.radians(widest))
    if dlng >= 180:
        cols = list(range(total))
    else:
        first = math.floor((lng - dlng + 180) / side)
        last = math.floor((lng + dlng + 180) / side)
        cols = sorted({c % total for c in range(first, min(last, first + total - 1) + 1)})
    grid_rows, grid_cols = np.meshgrid(np.arange(low_row, high_row + 1), np.array(cols))
    return grid_rows.ravel(), grid_cols.ravel()


def _classify(
    level: int,
    rows: np.ndarray,
    columns: np.ndarray,
    point: tuple[float, float],
    radius_mi: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the cells wholly inside the circle and of those on its edge.

    Any point X of a cell is reached from the cell's centre C along a meridian (at most half
    the side) then along X's parallel (at most half the side times the cosine of X's
    latitude), and the great circle is no longer than that path; so every point lies within
    ``reach`` of C and the triangle inequality bounds its distance from the centre of the
    circle by d(C) ± reach.
    """
    side = _side(level)
    south = rows * side - 90.0
    north = south + side
    nearest_equator = np.where((south <= 0) & (north >= 0), 0.0, np.minimum(abs(south), abs(north)))
    widest = np.cos(np.radians(np.minimum(nearest_equator, 90.0)))
    reach = EARTH_RADIUS_MI * math.radians(side / 2) * (1 + widest)
    centre_lat = south + side / 2
    centre_lng = columns * side - 180.0 + side / 2
    d = np.asarray(miles_from(point, centre_lat, centre_lng))
    inside = d + reach <= radius_mi - MARGIN_MI
    edge = ~inside & (d - reach <= radius_mi + MARGIN_MI)
    return inside, edge


def _children(rows: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The four cells of the next level inside each cell."""
    r = np.repeat(rows * 2, 4) + np.tile([0, 0, 1, 1], len(rows))
    c = np.repeat(columns * 2, 4) + np.tile([0, 1, 0, 1], len(columns))
    return r, c
