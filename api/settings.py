"""The one Settings object: environment variables prefixed MOC_, read when built, not at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from catalog.db import normalise_url, sqlite_url


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
    meili_key: str | None = Field(None, description="Meilisearch API key.")
    meili_index: str = Field("activities", description="Meilisearch index name.")
    sync_interval_s: float = Field(
        1.0, gt=0, description="Seconds between outbox polls of the sync worker."
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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )

    def catalog_url(self) -> str:
        """Return the database URL in use: MOC_DATABASE_URL, else SQLite under the data dir."""
        return normalise_url(self.database_url) if self.database_url else sqlite_url(self.data_dir)
