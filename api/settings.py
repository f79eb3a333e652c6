"""The one Settings object: environment variables prefixed MOC_, read when built, not at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from catalog.db import normalise_url, sqlite_url
from catalog.imports import ImportLimits


class Settings(BaseSettings):
    """Every setting of MOC Catalog. Each field's description is its documentation."""

    model_config = SettingsConfigDict(env_prefix="MOC_", extra="forbid")

    data_dir: Path = Field(
        Path("var"), description="Directory for the SQLite catalog and the tantivy index."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the catalog; default SQLite in the data directory. "
        "PostgreSQL: postgresql://user@host/db (psycopg 3).",
    )
    search_engine: Literal["tantivy", "meilisearch"] = Field(
        "tantivy", description="Search engine: embedded tantivy (default) or Meilisearch."
    )
    meili_url: str | None = Field(None, description="Meilisearch server URL.")
    meili_urls: list[str] = Field(
        [],
        description="Several independent Meilisearch instances (JSON list of URLs), instead of "
        "MOC_MEILI_URL: the sync worker feeds each from a queue of its own, the API reads from "
        "the first that answers. MOC_MEILI_KEY must be valid on every one.",
    )
    meili_key: str | None = Field(None, description="Meilisearch API key.")
    meili_index: str = Field("activities", description="Meilisearch index name.")
    sync_interval_s: float = Field(
        1.0, gt=0, description="Seconds between outbox polls of the sync worker."
    )
    sync_in_app: bool = Field(
        True,
        description="Whether `serve` with the embedded engine runs the sync worker in the app "
        "process. Set it to false when a separate `moc-catalog sync` feeds the index (several "
        "app processes that only read it, one worker); Meilisearch always needs that worker.",
    )
    cors_origins: list[str] = Field(
        ["*"], description="Origins allowed to call the GET API from browsers (JSON list)."
    )
    secret_key: str | None = Field(
        None,
        description="Secret that signs provider page cookies; default: one generated and kept "
        "in the data directory (set it when processes do not share that directory).",
    )
    max_upload_bytes: int = Field(
        20_000_000, gt=0, description="Largest batch file accepted by the imports endpoint."
    )
    import_max_records: int = Field(
        200_000,
        gt=0,
        description="Most records one batch file may hold on the imports endpoint and the "
        "upload page (422 above): the valid ones stay in memory until they are written.",
    )
    import_timeout_s: float = Field(
        60.0,
        gt=0,
        description="Most seconds an import through the imports endpoint or the upload page "
        "may spend reading and checking its file (422 after); it holds no write lock meanwhile.",
    )
    max_body_bytes: int = Field(
        1_000_000,
        gt=0,
        description="Largest request body of every endpoint but the two batch uploads (413 above).",
    )
    max_query_chars: int = Field(
        4096,
        gt=0,
        description="Longest query string accepted, in characters once decoded (414 above).",
    )
    rate_limit_per_minute: int = Field(
        600,
        ge=0,
        description="Requests per minute per client IP on the public GET endpoints and pages "
        "(429 above); 0 disables rate limiting.",
    )
    rate_limit_burst: int = Field(
        120, ge=1, description="Requests a client may make at once before the rate applies."
    )
    trusted_proxies: list[str] = Field(
        [],
        description="Addresses of reverse proxies whose X-Forwarded-For names the client "
        "(JSON list of IPs or networks); empty: the peer address is the client.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )

    def meili_instances(self) -> list[str]:
        """The Meilisearch URLs in use: MOC_MEILI_URLS, else MOC_MEILI_URL (possibly none)."""
        return list(self.meili_urls) or ([self.meili_url] if self.meili_url else [])

    def import_limits(self) -> ImportLimits:
        """What one import through the API or the upload page may take."""
        return ImportLimits(self.import_max_records, self.import_timeout_s)

    def catalog_url(self) -> str:
        """Return the database URL in use: MOC_DATABASE_URL, else SQLite under the data dir."""
        return normalise_url(self.database_url) if self.database_url else sqlite_url(self.data_dir)
