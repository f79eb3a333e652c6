"""Meilisearch deployments for the reliability tests: servers the test may kill and restart,
the documented keys, and the check that an index equals the catalog document for document."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from indexer.engines.meilisearch import meili_document
from indexer.engines.meilisearch_keys import SEARCH_KEY, SYNC_KEY
from tests.meili_server import MeiliServer, binary, unavailable
from tests.reliability.processes import Deployment, catalog_documents

INDEX = "activities"


def servers(root: Path, count: int) -> list[MeiliServer]:
    """``count`` servers sharing one master key (so a key made with a fixed uid has the same
    value on each, as docs/deploy.md says), each with its own data."""
    path = binary()
    if path is None:
        unavailable("no Meilisearch binary: run scripts/test-meilisearch.sh")
    master = f"test-master-{uuid.uuid4().hex}"
    started = []
    for n in range(count):
        server = MeiliServer(path, root / f"meili{n}", master_key=master)
        server.start()
        started.append(server)
    return started


def documented_keys(meilis: list[MeiliServer]) -> tuple[str, str]:
    """Create the search and sync keys on every server with fixed uids; return their values."""
    values = []
    for spec, uid in ((SEARCH_KEY, str(uuid.uuid4())), (SYNC_KEY, str(uuid.uuid4()))):
        made = {m.admin("POST", "/keys", spec.request(INDEX, uid=uid))["key"] for m in meilis}
        assert len(made) == 1, "the same uid and master key gave different key values"
        values.append(made.pop())
    return values[0], values[1]


def use_meilisearch(d: Deployment, meilis: list[MeiliServer]) -> tuple[str, str]:
    """Point the deployment at the servers; return (search key, sync key)."""
    search, sync = documented_keys(meilis)
    urls = [m.url for m in meilis]
    where = {"MOC_MEILI_URL": urls[0]} if len(urls) == 1 else {"MOC_MEILI_URLS": json.dumps(urls)}
    d.settings |= {"MOC_SEARCH_ENGINE": "meilisearch", "MOC_MEILI_INDEX": INDEX} | where
    return search, sync


def indexed_documents(server: MeiliServer) -> list[dict[str, Any]]:
    """Every document of the index, through the documents route (all fields, master key)."""
    docs: list[dict[str, Any]] = []
    while True:
        page = server.admin("GET", f"/indexes/{INDEX}/documents?limit=1000&offset={len(docs)}")
        docs += page["results"]
        if len(docs) >= page["total"] or not page["results"]:
            return docs


def assert_meili_matches_catalog(db: Engine, server: MeiliServer) -> int:
    """Fail unless the index holds exactly the catalog's indexable activities, each equal to
    what the adapter sends for ``to_document`` of it now, once; return how many it holds."""
    expected = {i: _plain(meili_document(d)) for i, d in catalog_documents(db).items()}
    found = indexed_documents(server)
    ids = [d["id"] for d in found]
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    missing, extra = sorted(expected.keys() - set(ids)), sorted(set(ids) - expected.keys())
    assert (twice, missing[:5], extra[:5]) == ([], [], []), (len(missing), len(extra))
    wrong = [d["id"] for d in found if _plain(d) != expected[d["id"]]]
    assert wrong == [], f"{len(wrong)} documents differ from the catalog, e.g. {wrong[:3]}"
    return len(found)


def _plain(value: Any) -> Any:
    """JSON as both sides hold it, numbers as floats (10 and 10.0 are the same value)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value
