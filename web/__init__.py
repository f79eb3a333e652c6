"""The pages for physicians and providers, over the catalog and the search service.

``__all__`` is the public surface: the only names api imports from web (checked by
tests/test_public_surface.py).
"""

from catalog.surface import lazy_exports

_HOMES = {
    "NoStoreMiddleware": "no_store",
    "STATIC_DIR": "deps",
    "error_page": "errors",
    "in_search_thread": "threads",
    "page_text": "errors",
    "provider_pages": "provider_pages",
    "routes": "routes",
    "search_limiter": "threads",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
