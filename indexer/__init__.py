"""The search side: documents, the search vocabulary and queries, engines, sync and rebuild.

``__all__`` is the public surface: the only names web and api import from the indexer, each
from the module that defines it (tests/test_public_surface.py checks both ways).
"""

from catalog.surface import lazy_exports

_HOMES = {
    "BY_NAME": "vocabulary",
    "BackgroundSync": "sync",
    "CHIP_PARAMS": "vocabulary",
    "EngineUnavailable": "errors",
    "FEE_LABELS": "vocabulary",
    "FLAGS": "vocabulary",
    "FORMAT_LABELS": "vocabulary",
    "FacetValue": "query",
    "GIVEN_TWICE": "query",
    "FanOutSyncer": "sync",
    "Hit": "documents",
    "HitMoc": "documents",
    "IndexOutdated": "errors",
    "InvalidQuery": "errors",
    "MAX_DEPTH": "query",
    "MeilisearchEngine": "engines.meilisearch",
    "MeilisearchInstances": "engines.meilisearch_instances",
    "Observer": "service",
    "PARAMS": "vocabulary",
    "Param": "vocabulary",
    "SORTS": "vocabulary",
    "SearchEngine": "engines.base",
    "SearchError": "errors",
    "SearchQuery": "query",
    "SearchResult": "query",
    "SearchService": "service",
    "Sort": "query",
    "Syncer": "sync",
    "TantivyEngine": "engines.tantivy",
    "Target": "sync",
    "WEB_FACETS": "vocabulary",
    "board_codes": "documents",
    "count_indexable": "rebuild",
    "parse": "query",
    "parse_search": "query",
    "public_hit": "documents",
    "rebuild_index": "rebuild",
    "rebuild_targets": "rebuild",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
