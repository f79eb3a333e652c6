"""The catalog: the source of truth (model, rules, storage, reference data, importers, demo).

``__all__`` is the public surface: the only names the other packages (indexer, web, api)
import from the catalog, each from the module that defines it (tests/test_public_surface.py
checks both ways). It imports nothing of ours.
"""

from catalog.surface import lazy_exports

_HOMES = {
    "ActivityNotFound": "errors",
    "ActivityOut": "schemas",
    "CatalogError": "errors",
    "FORMATS": "importers",
    "FieldError": "errors",
    "ImportFileError": "errors",
    "ImportReport": "imports",
    "InvalidActivity": "errors",
    "InvalidInput": "errors",
    "KEY_PREFIX": "providers",
    "ProviderNotFound": "errors",
    "Reference": "reference",
    "SchemaNotReady": "errors",
    "active_key_owner": "providers",
    "add_provider": "providers",
    "begin_write": "db",
    "closest": "hints",
    "count_activities": "repository",
    "create_key": "providers",
    "csv_header": "importers.csv_layout",
    "csv_row": "importers.csv_layout",
    "day_problem": "hints",
    "delete_activity": "service",
    "detect_format": "importers",
    "find_key_owner": "providers",
    "get_provider_activity": "service",
    "get_public_activities": "service",
    "get_public_activity": "service",
    "get_public_provider": "service",
    "hash_key": "providers",
    "import_records": "imports",
    "indexable_activities": "service",
    "installation_secret": "secrets_store",
    "lazy_exports": "surface",
    "list_provider_activities": "service",
    "list_providers": "providers",
    "list_public_changes": "service",
    "load_demo": "demo_load",
    "make_engine": "db",
    "migrate": "migrate",
    "normalise_url": "db",
    "parse_activity": "rules",
    "read_records": "importers",
    "reference": "reference",
    "repository": "repository",
    "resolve_point": "geo",
    "revoke_keys": "providers",
    "same_ignoring_case": "hints",
    "search_queue": "search_queue",
    "session_scope": "db",
    "sqlite_url": "db",
    "synonyms": "synonyms",
    "upsert_activity": "service",
    "visibility": "service",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
