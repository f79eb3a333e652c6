"""Typical searches for the benchmarks: a deterministic rotation of distinct ones.

A typical search is what the search page asks for on a visit: a word or two, a filter or two
(a board, a format, a fee, a place ...), 20 hits a page and every facet group (the default,
so no `facets` parameter). The rotation is every word with every filter pair and every order
or page size: WORDS x FILTERS x VARIANTS, all distinct, so a cache that only repeated
identical requests hit gains little (issue 17 does not count such a cache).

    python bench/rotation.py [--out paths.txt]     # print (or write) one path a line
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from urllib.parse import urlencode

Params = dict[str, list[str]]

SEARCH_PATH = "/api/v1/activities"
# Words of the demo catalog's titles and descriptions (catalog.demo_themes, catalog.demo);
# the first 14 are those bench/search.py and bench/engines.py were first measured with.
WORDS = ["cardiology", "pediatric", "surgery", "sleep", "review", "update", "oncology",
         "grand rounds", "asthma", "heart failure", "anesthesia", "safety", "diabetes",
         "pain", "sepsis", "hypertension", "dementia", "stroke", "trauma", "cancer",
         "transplant", "arthritis", "airway", "ethics", "hearing", "spine", "stewardship",
         "lymphoma", "kidney", "liver"]  # fmt: skip
# Filter pairs a physician ticks; the first five are the mix bench/search.py always used.
FILTERS: list[Params] = [
    {"board": ["ABIM"], "format": ["online"]},
    {"fee": ["free"], "registration": ["open"]},
    {"board": ["ABP", "ABA"], "activity_type": ["course"]},
    {"format": ["in_person"], "date_from": ["2026-12-01"]},
    {"near": ["10001"], "radius_mi": ["100"]},
    {"board": ["ABP"]},
    {"board": ["ABA"], "format": ["hybrid"]},
    {"state": ["CA"], "format": ["in_person"]},
    {"activity_type": ["enduring_material"], "fee": ["free"]},
    {"board": ["ABS"], "registration": ["open"]},
    {"near": ["60601"], "radius_mi": ["50"]},
    {"board": ["ABIM"], "credit_type": ["ABIM:MK"]},
]
# Orders and page sizes a visitor picks; relevance (the default with words) first. No page
# numbers: a page past the last answers 422, and which searches have a second page depends on
# the catalog's size.
VARIANTS: list[Params] = [
    {},
    {"sort": ["date"]},
    {"sort": ["points"]},
    {"sort": ["end"]},
    {"per_page": ["50"]},
    {"sort": ["-date"], "per_page": ["10"]},
]
# The five searches bench/datasette_compare.py has always compared (Datasette has no
# translation for our sorts and pages, and the published ratios were taken on these).
COMPARED = [
    "/api/v1/activities?q=cardiology&board=ABIM&format=online",
    "/api/v1/activities?q=pediatric&fee=free&registration=open",
    "/api/v1/activities?q=surgery&board=ABS&board=ABA&activity_type=course",
    "/api/v1/activities?q=sleep&format=in_person&date_from=2026-12-01",
    "/api/v1/activities?q=review&near=10001&radius_mi=100",
]


def rotation(seed: int = 17) -> list[Params]:
    """Every word x filter x variant, in a fixed shuffled order (neighbours differ)."""
    searches = [
        {"q": [word], **where, **variant}
        for word in WORDS
        for where in FILTERS
        for variant in VARIANTS
    ]
    random.Random(seed).shuffle(searches)
    return searches


def to_path(params: Params) -> str:
    return f"{SEARCH_PATH}?{urlencode(params, doseq=True)}"


def rotation_paths(seed: int = 17) -> list[str]:
    return [to_path(params) for params in rotation(seed)]


def write_paths(out: Path, seed: int = 17) -> int:
    """Write the rotation, one path a line (what bench/wrk_report.lua reads); return the count."""
    paths = rotation_paths(seed)
    out.write_text("\n".join(paths) + "\n", encoding="ascii")
    return len(paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the paths here instead of printing")
    args = parser.parse_args()
    if args.out:
        print(f"{write_paths(args.out)} searches written to {args.out}")
    else:
        print("\n".join(rotation_paths()))


if __name__ == "__main__":
    main()
