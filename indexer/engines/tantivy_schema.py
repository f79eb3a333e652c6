"""The tantivy schema of a search document, and the conversion into tantivy documents."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import tantivy

from indexer.documents import fold
from indexer.engines.tantivy_geo import GEO_FIELD, cells_of
from indexer.text import WORD
from indexer.vocabulary import KEYWORD_FIELDS, MINIMUMS

FOLDED = "folded"
# Searchable fields and their weights: title > practice areas, specialties > provider > text.
TEXT_BOOSTS = {
    "title": 5.0,
    "practice_text": 3.0,
    "specialty_text": 3.0,
    "provider_name": 2.0,
    "moc_text": 1.5,
    "description": 1.0,
}
KEY_FIELDS = ("date_key", "end_key", "points_key")
# Numbers filtered with "at least": the vocabulary's minimums and the per-board points.
MINIMUM_FIELDS = tuple(dict.fromkeys(p.field for p in MINIMUMS))


def folding_analyzer() -> Any:
    """Words split on non-alphanumerics, lower-cased and accent-folded (see text.query_words)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def points_field(board: str) -> str:
    return f"points_{board}"


def build_schema(boards: list[str]) -> Any:
    """The schema; one points field per board, so adding a board means a reindex, not code."""
    b = tantivy.SchemaBuilder()
    b.add_text_field("id", tokenizer_name="raw", index_option="basic")
    for name in TEXT_BOOSTS:
        b.add_text_field(name, tokenizer_name=FOLDED)
    b.add_text_field("title_exact", tokenizer_name="raw", index_option="basic")
    b.add_text_field(GEO_FIELD, tokenizer_name="raw", index_option="basic")
    for name in KEYWORD_FIELDS:
        b.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    b.add_text_field("title_sort", tokenizer_name="raw", fast=True, index_option="basic")
    for name in ("start_day", "end_day"):
        b.add_integer_field(name, indexed=True, fast=True)
    for name in KEY_FIELDS:
        b.add_integer_field(name, fast=True)
    for name in [*MINIMUM_FIELDS, "lat", "lng"] + [points_field(x) for x in boards]:
        b.add_float_field(name, indexed=True, fast=True)
    b.add_unsigned_field("doc_num", indexed=True, fast=True)
    b.add_unsigned_field("tie", fast=True)
    b.add_bytes_field("payload", stored=True)
    return b.build()


def doc_num(activity_id: str) -> int:
    """A 63-bit number per document, for the exact geo set (collisions would leak hits)."""
    digest = hashlib.blake2b(activity_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def date_key(doc: dict[str, Any]) -> int:
    """start day, then the tie breaker: date order with stable ties."""
    return int(doc["start_day"]) << 32 | int(doc["tie"])


def end_key(doc: dict[str, Any]) -> int:
    """end day, then the tie breaker: ending soonest first with stable ties."""
    return int(doc["end_day"]) << 32 | int(doc["tie"])


def points_key(doc: dict[str, Any]) -> int:
    """Most points first, then soonest start, then the tie breaker, read in descending order."""
    quarters = round(float(doc["max_points"]) * 4)
    return quarters << 48 | (0xFFFF - int(doc["start_day"])) << 32 | (0xFFFFFFFF - int(doc["tie"]))


def to_tantivy(doc: dict[str, Any], boards: list[str], schema: Any) -> Any:
    """Convert a search document into a tantivy Document."""
    fields: dict[str, Any] = {
        "id": doc["id"],
        "title_exact": " ".join(WORD.findall(fold(doc["title"]))),
        "title_sort": doc["title_sort"],
        "start_day": doc["start_day"],
        "end_day": doc["end_day"],
        "date_key": date_key(doc),
        "end_key": end_key(doc),
        "points_key": points_key(doc),
        "doc_num": doc_num(doc["id"]),
        "tie": doc["tie"],
        "payload": orjson.dumps(doc["hit"]),
    }
    for name in TEXT_BOOSTS:
        fields[name] = doc[name]
    for name in MINIMUM_FIELDS:
        fields[name] = float(doc[name])
    for name in KEYWORD_FIELDS:
        value = doc[name]
        values = value if isinstance(value, list) else [value]
        fields[name] = [v for v in values if v]
    for board, points in doc["points"].items():
        if board in boards:
            fields[points_field(board)] = float(points)
    if doc["lat"] is not None and doc["lng"] is not None:
        fields["lat"], fields["lng"] = float(doc["lat"]), float(doc["lng"])
        fields[GEO_FIELD] = cells_of(fields["lat"], fields["lng"])
    return tantivy.Document.from_dict(fields, schema)
