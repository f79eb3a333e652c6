"""GET /api/v1/activities/export through the real app, and the export's memory on 20k activities.

The catalog is the contract fixture (Y re-dated into the past so it has ended relative to the
real today) plus five public activities whose CSV cells would run as spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.exports import export_stream
from catalog import migrate
from catalog import repository as repo
from catalog.db import make_engine, session_scope
from catalog.demo_load import load_demo
from catalog.service import public_id
from indexer.engines.tantivy import TantivyEngine
from indexer.query import parse_search
from indexer.rebuild import rebuild_index
from indexer.service import SearchService
from tests.builders import build_catalog, make_record
from tests.contract.catalog_fixture import PROVIDERS, fixture_ended_y, id_of

EXPORT = "/api/v1/activities/export"
NDJSON = "application/x-ndjson"
CSV = "text/csv; charset=utf-8"
PUBLIC = set("ABCDEFGHIJKMN")
HIDDEN = {"X", "Y", "Z"}
COLUMNS = [
    "id", "title", "provider_id", "provider_name", "activity_type", "format", "start_date",
    "end_date", "city", "state", "country", "cme_credits", "moc", "registration", "fee", "url",
]  # fmt: skip
HYPERLINK = '=HYPERLINK("https://evil.example/x","Click here")'
# provider activity id -> (title, city); the city of an in-person activity is exported too.
FORMULAS = {
    "EQ": (HYPERLINK, None),
    "AT": ("@SUM(A1:A9) Review", None),
    "PLUS": ("+1 Airway Workshop", None),
    "MINUS": ("-2 Lipid Workshop", None),
    "CITY": ("Springfield Anesthesia Day", "=Springfield"),
}


def formula_record(key: str) -> dict[str, Any]:
    title, city = FORMULAS[key]
    record = make_record(provider_activity_id=key, title=title, format="online")
    if city:
        place = {"city": city, "state": "IL", "postal_code": "62701", "country": "US"}
        return record | {"format": "in_person", "location": place}
    del record["location"]
    return record


def fid(key: str) -> str:
    """Public id of a fixture (A-Z) or formula activity."""
    return public_id("acme", key) if key in FORMULAS else id_of(key)


ALL_PUBLIC = {fid(k) for k in PUBLIC | set(FORMULAS)}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    formulas = [("acme", formula_record(key)) for key in FORMULAS]
    data_dir = tmp_path_factory.mktemp("exports")
    settings = build_catalog(data_dir, [*fixture_ended_y(), *formulas], PROVIDERS)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
    """Query pairs, so a file format can be added next to a format filter."""
    return [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]


def ndjson_ids(text: str) -> list[str]:
    assert text == "" or text.endswith("\n")
    return [json.loads(line)["id"] for line in text.splitlines()]


def csv_rows(text: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text))
    assert next(reader) == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in reader]


# -- formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "headers", "media_type"),
    [
        pytest.param("", {}, NDJSON, id="default-ndjson"),
        pytest.param("?format=ndjson", {}, NDJSON, id="format-ndjson"),
        pytest.param("", {"Accept": NDJSON}, NDJSON, id="accept-ndjson"),
        pytest.param("?format=csv", {}, CSV, id="format-csv"),
        pytest.param("", {"Accept": "text/csv"}, CSV, id="accept-csv"),
        pytest.param("?format=ndjson", {"Accept": "text/csv"}, NDJSON, id="format-beats-accept"),
        pytest.param("?format=csv", {"Accept": NDJSON}, CSV, id="format-csv-beats-accept"),
    ],
)
def test_export_picks_format(
    client: TestClient, query: str, headers: dict[str, str], media_type: str
) -> None:
    response = client.get(EXPORT + query, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    kind = "csv" if media_type == CSV else "ndjson"
    assert response.headers["content-disposition"] == f'attachment; filename="activities.{kind}"'
    ids = [r["id"] for r in csv_rows(response.text)] if kind == "csv" else ndjson_ids(response.text)
    assert len(ids) == len(ALL_PUBLIC)
    assert set(ids) == ALL_PUBLIC


def test_export_ndjson_lines_are_full_activities_in_sort_order(client: TestClient) -> None:
    """api.md: NDJSON lines are Activity objects plus the catalog's read-only fields, so every
    field a provider gave (issue 14's PARS fields among them) leaves with the activity; they
    come in the search's order, and each holds at least what its hit holds."""
    hits = client.get("/api/v1/activities", params={"per_page": 100}).json()["hits"]
    lines = [json.loads(line) for line in client.get(EXPORT).text.splitlines()]
    assert [line["id"] for line in lines] == [hit["id"] for hit in hits]
    for hit, line in zip(hits, lines, strict=True):
        assert line == client.get(f"/api/v1/activities/{hit['id']}").json()
        assert {k: v for k, v in line.items() if k in hit and k not in ("location", "moc")} == {
            k: v for k, v in hit.items() if k not in ("location", "moc")
        }
        assert [{k: m[k] for k in h} for m, h in zip(line["moc"], hit["moc"], strict=True)] == (
            hit["moc"]
        )
        if hit["location"]:
            assert {k: line["location"][k] for k in hit["location"]} == hit["location"]


def test_export_csv_row_exact(client: TestClient) -> None:
    text = client.get(EXPORT, params={"format": "csv", "board": "ABP"}).text
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert csv_rows(text)[1] == {
        "id": id_of("D"), "title": "Pediatric Cardiology Grand Rounds", "provider_id": "kids",
        "provider_name": "Kids Hospital CME", "activity_type": "rss", "format": "in_person",
        "start_date": "2030-01-01", "end_date": "2030-12-31", "city": "Boston", "state": "MA",
        "country": "US", "cme_credits": "40.0", "moc": "ABP 40: LLSA | ABIM 40: MK",
        "registration": "open", "fee": "free", "url": "https://example.org/D",
    }  # fmt: skip
    assert csv_rows(text)[0]["city"] == ""


# -- same filters as search -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"board": "ABP"}, ["C", "D"], id="board"),
        pytest.param({"board": ["ABP", "ABS"]}, ["C", "D", "F"], id="board-or"),
        pytest.param({"provider": "gas", "registration": "limited"}, ["E", "I"], id="and"),
        pytest.param({"q": "cardiology"}, ["A", "B", "D", "H"], id="q"),
        pytest.param({"near": "10001", "radius_mi": "150"}, ["A", "B", "J"], id="near"),
        pytest.param({"date_from": "2030-04-01", "date_to": "2030-04-30"},
                     ["C", "D", "E", "F", "H", "I", "M", "N"], id="dates"),
        pytest.param({"min_points": "12", "board": ["ABIM", "ABA"]}, ["D", "E", "G"],
                     id="min-points"),
        pytest.param({"board": "ABS", "format": "in_person"}, [], id="nothing"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("kind", ["ndjson", "csv"])
def test_export_same_filters_as_search(
    client: TestClient, params: dict[str, Any], expected: list[str], kind: str
) -> None:
    response = client.get(EXPORT, params=[*pairs(params), ("format", kind)])
    assert response.status_code == 200
    if kind == "csv":
        ids = [row["id"] for row in csv_rows(response.text)]
    else:
        ids = ndjson_ids(response.text)
    searched = client.get("/api/v1/activities", params=params | {"per_page": 100}).json()
    assert ids == [hit["id"] for hit in searched["hits"]]
    assert sorted(ids) == sorted(id_of(k) for k in expected)


@pytest.mark.parametrize(
    ("params", "media_type"),
    [
        pytest.param([("format", "online"), ("format", "csv")], CSV, id="online-then-csv"),
        pytest.param([("format", "csv"), ("format", "online")], CSV, id="csv-then-online"),
        pytest.param([("format", "online")], NDJSON, id="online-only"),
    ],
)
def test_export_format_filter_and_file_format_together(
    client: TestClient, params: list[tuple[str, str]], media_type: str
) -> None:
    response = client.get(EXPORT, params=params)
    assert response.headers["content-type"] == media_type
    if media_type == CSV:
        rows = csv_rows(response.text)
        ids, formats = {r["id"] for r in rows}, {r["format"] for r in rows}
    else:
        lines = [json.loads(line) for line in response.text.splitlines()]
        ids, formats = {h["id"] for h in lines}, {h["format"] for h in lines}
    online = {id_of(k) for k in "CFGHIMN"} | {fid(k) for k in ("EQ", "AT", "PLUS", "MINUS")}
    assert ids == online
    assert formats == {"online"}


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"page": "2"}, id="page"),
        pytest.param({"per_page": "1"}, id="per-page"),
        pytest.param({"page": "9", "per_page": "5000"}, id="both-out-of-range"),
    ],
)
def test_export_ignores_paging(client: TestClient, params: dict[str, str]) -> None:
    response = client.get(EXPORT, params=params)
    assert response.status_code == 200
    assert set(ndjson_ids(response.text)) == ALL_PUBLIC


@pytest.mark.parametrize("kind", ["ndjson", "csv"])
def test_export_never_contains_hidden_activities(client: TestClient, kind: str) -> None:
    text = client.get(EXPORT, params={"format": kind}).text
    for key in HIDDEN:
        assert id_of(key) not in text
    assert "Cardiology Secrets" not in text
    assert "Cardiology Without MOC" not in text
    assert "Cardiology Update 2029" not in text


@pytest.mark.parametrize("kind", ["ndjson", "csv"])
def test_export_nothing_matching(client: TestClient, kind: str) -> None:
    response = client.get(EXPORT, params={"format": kind, "q": "secrets"})
    assert response.status_code == 200
    assert response.text == ("" if kind == "ndjson" else ",".join(COLUMNS) + "\r\n")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"board": "ABX"}, "board", id="unknown-board"),
        pytest.param({"format": "xml"}, "format", id="unknown-file-format"),
        pytest.param({"sort": "distance"}, "sort", id="distance-without-near"),
        pytest.param({"date_from": "2030-02-30"}, "date_from", id="bad-date"),
        pytest.param({"near": "10001", "radius_mi": "501"}, "radius_mi", id="radius"),
    ],
)
def test_export_invalid_parameter_is_422_problem(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get(EXPORT, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


# -- CSV formula neutralisation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "column", "cell"),
    [
        pytest.param("EQ", "title", "'" + HYPERLINK, id="equals"),
        pytest.param("AT", "title", "'@SUM(A1:A9) Review", id="at"),
        pytest.param("PLUS", "title", "'+1 Airway Workshop", id="plus"),
        pytest.param("MINUS", "title", "'-2 Lipid Workshop", id="minus"),
        pytest.param("CITY", "city", "'=Springfield", id="city"),
        pytest.param("CITY", "title", "Springfield Anesthesia Day", id="plain-untouched"),
    ],
)
def test_export_csv_neutralises_formula_cells(
    client: TestClient, key: str, column: str, cell: str
) -> None:
    rows = {r["id"]: r for r in csv_rows(client.get(EXPORT, params={"format": "csv"}).text)}
    assert rows[fid(key)][column] == cell


def test_export_csv_raw_hyperlink_cell_is_quoted_text(client: TestClient) -> None:
    text = client.get(EXPORT, params={"format": "csv"}).text
    assert '"\'=HYPERLINK(""https://evil.example/x"",""Click here"")"' in text
    assert ",=HYPERLINK(" not in text
    assert ',"=HYPERLINK(' not in text


def test_export_ndjson_keeps_titles_as_given(client: TestClient) -> None:
    lines = [json.loads(line) for line in client.get(EXPORT).text.splitlines()]
    titles = {h["id"]: h["title"] for h in lines}
    assert {k: titles[fid(k)] for k in FORMULAS} == {k: t for k, (t, _) in FORMULAS.items()}


# -- memory: a 20k catalog streams in flat memory ---------------------------------------------


def demo_engine(data_dir: Path, activities: int) -> tuple[TantivyEngine, int]:
    """A demo catalog of this size indexed in tantivy, and its count of public activities."""
    db = make_engine(f"sqlite:///{data_dir / 'catalog.db'}")
    migrate.upgrade(db)
    load_demo(db, activities=activities, seed=11, today=date.today())
    engine = TantivyEngine(data_dir / "index")
    rebuild_index(db, engine, data_dir / "sync.lock")
    with session_scope(db) as session:
        public = repo.count_rows(session, repo.public_activities(date.today()))
    db.dispose()
    return engine, public


def measure(engine: TantivyEngine, kind: str) -> tuple[int, int]:
    """Stream the whole export chunk by chunk, keeping nothing: (records, peak bytes traced)."""
    service = SearchService(engine)
    records = 0
    tracemalloc.start()
    try:
        for chunk in export_stream(service.iter_hits(parse_search({})), kind):
            records += chunk.count(b"\n")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (records - 1 if kind == "csv" else records), peak


@pytest.fixture(scope="module")
def demo_exports(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    """Per catalog size: the public count and, per export kind, (records, peak)."""
    out: dict[int, dict[str, Any]] = {}
    for size in (2_000, 20_000):
        engine, public = demo_engine(tmp_path_factory.mktemp(f"demo-{size}"), size)
        out[size] = {"public": public} | {kind: measure(engine, kind) for kind in ("ndjson", "csv")}
        engine.close()
    return out


@pytest.mark.parametrize("kind", ["ndjson", "csv"])
def test_export_stream_memory_flat_on_20k_catalog(
    demo_exports: dict[int, dict[str, Any]], kind: str
) -> None:
    small, large = demo_exports[2_000][kind][1], demo_exports[20_000][kind][1]
    assert large < 1.5 * small + 1_000_000, (small, large)


@pytest.mark.parametrize("size", [2_000, 20_000])
@pytest.mark.parametrize("kind", ["ndjson", "csv"])
def test_export_stream_emits_every_public_activity(
    demo_exports: dict[int, dict[str, Any]], size: int, kind: str
) -> None:
    public = demo_exports[size]["public"]
    assert demo_exports[size][kind][0] == public
    assert public > 0.5 * size  # the demo catalog is mostly public: the stream is not trivial
