"""Domain errors of the catalog, each with a stable code.

CatalogError
 ├── InvalidActivity      one record breaks rules; carries every {field, message}
 ├── ActivityNotFound     no such activity (or not visible to the caller)
 ├── ProviderNotFound     no such provider
 ├── ProviderExists       a provider with that id already exists
 ├── InvalidInput         a bad argument that is not an activity record (provider id, name)
 ├── ImportFileError      a batch file that cannot be read at all (bad header, wrong format)
 └── SchemaNotReady       the database has not been migrated to the current schema
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; ``field`` is a dotted path such as ``moc.1.credit_types.0``.

    ``value`` is the offending value where one value is to blame (one of several given for a
    search parameter), so a caller can drop just that value and keep the rest.
    """

    field: str
    message: str
    value: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class CatalogError(Exception):
    code = "catalog_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidActivity(CatalogError):
    code = "invalid_activity"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} problem(s) with this activity")
        self.errors = errors


class ActivityNotFound(CatalogError):
    code = "activity_not_found"


class ProviderNotFound(CatalogError):
    code = "provider_not_found"


class ProviderExists(CatalogError):
    code = "provider_exists"


class InvalidInput(CatalogError):
    code = "invalid_input"


class ImportFileError(CatalogError):
    code = "import_file_error"


class SchemaNotReady(CatalogError):
    code = "schema_not_ready"
