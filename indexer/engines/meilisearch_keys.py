"""The two Meilisearch API keys a deployment creates (docs/deploy.md, "API keys").

Defined once here: docs/deploy.md shows them, the tests create exactly these, and a refused
request names the action its key lacks (``needed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KeySpec:
    name: str
    actions: tuple[str, ...]
    index_suffix: str  # the index patterns are the index name plus this

    def request(self, index: str = "activities", uid: str | None = None) -> dict[str, Any]:
        """The body of ``POST /keys`` for an index name (``uid`` fixes the key's value)."""
        body: dict[str, Any] = {
            "name": self.name,
            "actions": list(self.actions),
            "indexes": [index + self.index_suffix],
            "expiresAt": None,
        }
        if uid is not None:
            body["uid"] = uid
        return body


# The API processes: searches on the live index only. GET /health needs no key.
SEARCH_KEY = KeySpec("moc-search", ("search",), "")
# The sync worker and `moc-catalog reindex`: documents, settings, indexes (a rebuild creates
# <index>_new and swaps it in), tasks to wait on, search to count documents. The swap task
# itself belongs to no index, so it cannot be read with this key; the adapter sees the swap
# done through the live index instead. No `version`: Meilisearch 1.50 refuses a global action
# on an index-scoped key (index_scoped_api_key_with_global_action; 1.21 accepted it).
SYNC_KEY = KeySpec(
    "moc-sync", ("search", "documents.*", "indexes.*", "settings.*", "tasks.get"), "*"
)
