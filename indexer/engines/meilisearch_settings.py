"""What a Meilisearch index of activities is set to, for the server version it runs on.

The one place where the server version matters: the adapter reads ``GET /version`` once and
asks ``index_settings`` for settings that version accepts (search-engines.md 1.1 and its
"Seen on a live server" section).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from catalog.synonyms import synonyms
from indexer.documents import TEXT_FIELDS
from indexer.vocabulary import KEYWORD_FIELDS, MINIMUMS

# Totals must be exact on any catalog (EngineResult.total): totalHits is
# min(candidates, maxTotalHits), and offsets are clamped to it too, so it is set far above any
# catalog. Only ranking-score thresholds (unused here) make the server rank that many; the
# page depth is capped by the service (indexer.query.MAX_DEPTH), not by the engine.
MAX_TOTAL_HITS = 2**31 - 1
FACET_LIMIT = 10_000  # every value; the service cuts the list
# Searches stop ranking after this and return the rest unranked; the adapter detects that and
# reports EngineTimeout (HTTP 503) rather than a page in the wrong order. Meilisearch's default.
SEARCH_CUTOFF_MS = 1_500
# The tokenizer keeps these inside words ("Risk=Reward", "<b>Tricks</b>" are one word each);
# tantivy splits on every non-alphanumeric character, and so must this index.
SEPARATOR_TOKENS = ["<", ">", "=", "|", "~", "^", "$"]
# attributeRank and wordPosition replace "attribute" from this version on.
ATTRIBUTE_SPLIT = (1, 36)


def parse_version(text: str) -> tuple[int, int, int]:
    """'1.21.0' (or 'v1.36.2-rc.1') -> (1, 21, 0)."""
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text.strip())
    if match is None:
        raise ValueError(f"not a Meilisearch version: {text!r}")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def ranking_rules(version: tuple[int, int, int] | None) -> list[str]:
    """The ranking rules for a server version (None: unknown, when the key may not read it).

    "sort" first: tantivy orders strictly by the sort key when one is asked for, even with q,
    and Meilisearch applies sort only where it sits (#1810); without a sort parameter the
    rule does nothing, so relevance searches are ranked by the rest. Exactness comes right
    after the attribute rank, so that a title equal to the query beats titles that merely
    start with its words (search-engines.md 1.9, #3856).
    """
    if version is not None and version[:2] >= ATTRIBUTE_SPLIT:
        return ["sort", "words", "typo", "proximity", "attributeRank", "exactness", "wordPosition"]
    # Before 1.36 "attribute" is rank and position together, so exactness comes after both.
    # Every version accepts it (seen on 1.21.0 and 1.50.0), so it is also the unknown case.
    return ["sort", "words", "typo", "proximity", "attribute", "exactness"]


def _filterable(patterns: list[str], *, comparison: bool) -> dict[str, Any]:
    features = {"facetSearch": False, "filter": {"equality": True, "comparison": comparison}}
    return {"attributePatterns": patterns, "features": features}


def index_settings(
    boards: Iterable[str],
    version: tuple[int, int, int] | None,
    search_cutoff_ms: int = SEARCH_CUTOFF_MS,
) -> dict[str, Any]:
    """The complete settings of the index on a server of ``version`` (search-engines.md 1.1)."""
    minimums = dict.fromkeys(p.field for p in MINIMUMS)
    ranges = ["start_day", "end_day", *minimums, *(f"points.{b}" for b in boards)]
    return {
        "searchableAttributes": list(TEXT_FIELDS),
        "displayedAttributes": ["hit", "_geo"],
        "filterableAttributes": [
            _filterable(list(KEYWORD_FIELDS), comparison=False),
            _filterable(ranges, comparison=True),
            "_geo",  # must be the plain string form
        ],
        "sortableAttributes": ["start_day", "end_day", "max_points", "title_sort", "tie", "_geo"],
        "rankingRules": ranking_rules(version),
        "separatorTokens": SEPARATOR_TOKENS,
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
            "disableOnNumbers": True,
        },
        "faceting": {"maxValuesPerFacet": FACET_LIMIT, "sortFacetValuesBy": {"*": "count"}},
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
        "searchCutoffMs": search_cutoff_ms,
        "synonyms": synonym_settings(),
    }


def synonym_settings() -> dict[str, list[str]]:
    """The shipped synonyms as Meilisearch takes them: one-way, term -> phrases."""
    return {" ".join(t): [" ".join(p) for p in means] for t, means in synonyms().items()}
