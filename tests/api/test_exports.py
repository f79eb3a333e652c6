"""GET /api/v1/activities/export.csv and .ndjson through the real app, and their memory on 20k.

The catalog is the contract fixture (Y re-dated into the past so it has ended relative to the
real today) plus five public activities whose CSV cells would run as spreadsheet formulas.
The CSV is the import layout: the round trip (export, edit one row, import) is tested here.
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
from api.exports import export_stream, full_activities
from api.settings import Settings
from catalog import migrate
from catalog import repository as repo
from catalog.db import make_engine, session_scope
from catalog.demo_load import load_demo
from catalog.importers.csv import parse_header
from catalog.importers.csv_layout import csv_header
from catalog.providers import create_key
from catalog.reference import reference
from catalog.service import public_id
from indexer.engines.tantivy import TantivyEngine
from indexer.query import parse_search
from indexer.rebuild import rebuild_index
from indexer.service import SearchService
from tests.builders import build_catalog, make_record
from tests.contract.catalog_fixture import PROVIDERS, fixture_ended_y, id_of

EXPORT_CSV = "/api/v1/activities/export.csv"
EXPORT_NDJSON = "/api/v1/activities/export.ndjson"
EXPORTS = {"csv": EXPORT_CSV, "ndjson": EXPORT_NDJSON}
NDJSON = "application/x-ndjson"
CSV = "text/csv; charset=utf-8"
PUBLIC = set("ABCDEFGHIJKMN")
HIDDEN = {"X", "Y", "Z"}
COLUMNS = csv_header(reference())
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
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    formulas = [("acme", formula_record(key)) for key in FORMULAS]
    data_dir = tmp_path_factory.mktemp("exports")
    return build_catalog(data_dir, [*fixture_ended_y(), *formulas], PROVIDERS)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]


def ndjson_ids(text: str) -> list[str]:
    assert text == "" or text.endswith("\n")
    return [json.loads(line)["id"] for line in text.splitlines()]


def csv_rows(text: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text))
    assert next(reader) == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in reader]


def exported_ids(client: TestClient, kind: str, params: Any = None) -> list[str]:
    """The public ids an export holds, in its order (a CSV row names its provider's key)."""
    response = client.get(EXPORTS[kind], params=params)
    assert response.status_code == 200, response.text
    if kind == "ndjson":
        return ndjson_ids(response.text)
    owners = {r["title"]: r["provider"]["id"] for r in everything(client)}
    return [public_id(owners[r["title"].lstrip("'")], r["provider_activity_id"])
            for r in csv_rows(response.text)]  # fmt: skip


def everything(client: TestClient) -> list[dict[str, Any]]:
    return [json.loads(line) for line in client.get(EXPORT_NDJSON).text.splitlines()]


# -- addresses and formats --------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "media_type"), [("csv", CSV), ("ndjson", NDJSON)])
def test_export_addresses(client: TestClient, kind: str, media_type: str) -> None:
    response = client.get(EXPORTS[kind], headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"] == f'attachment; filename="activities.{kind}"'
    ids = exported_ids(client, kind)
    assert len(ids) == len(ALL_PUBLIC)
    assert set(ids) == ALL_PUBLIC


def test_export_ndjson_lines_are_full_activities_in_sort_order(client: TestClient) -> None:
    """api.md: NDJSON lines are Activity objects plus the catalog's read-only fields, so every
    field a provider gave (issue 14's PARS fields among them) leaves with the activity; they
    come in the search's order, and each holds at least what its hit holds."""
    hits = client.get("/api/v1/activities", params={"per_page": 100}).json()["hits"]
    lines = [json.loads(line) for line in client.get(EXPORT_NDJSON).text.splitlines()]
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


@pytest.mark.parametrize("query", ["?format=csv", "?format=ndjson", "", "?format=online"])
def test_the_old_export_address_names_the_new_ones(client: TestClient, query: str) -> None:
    response = client.get("/api/v1/activities/export" + query)
    assert response.status_code == 410
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert EXPORT_CSV in detail
    assert EXPORT_NDJSON in detail


def test_export_ndjson_lines_are_activities_in_search_order(client: TestClient) -> None:
    hits = client.get("/api/v1/activities", params={"q": "cardiology", "per_page": 100}).json()
    lines = [json.loads(line) for line in client.get(EXPORT_NDJSON, params={"q": "cardiology"})
             .text.splitlines()]  # fmt: skip
    assert [line["id"] for line in lines] == [hit["id"] for hit in hits["hits"]]
    for line in lines:
        assert "highlight" not in line
        assert line == client.get(f"/api/v1/activities/{line['id']}").json()


def test_export_csv_header_is_the_import_layout(client: TestClient) -> None:
    first = client.get(EXPORT_CSV).text.splitlines()[0]
    assert first.split(",") == COLUMNS
    assert [c.header for c in parse_header(COLUMNS)] == COLUMNS  # the importer reads every one
    assert {"provider_activity_id", "description", "ABIM practice areas", "ABPath points"} <= set(
        COLUMNS
    )


def test_export_csv_row_exact(client: TestClient) -> None:
    rows = csv_rows(client.get(EXPORT_CSV, params={"board": "ABP"}).text)
    filled = {k: v for k, v in rows[1].items() if v}
    assert filled == {
        "provider_activity_id": "D", "title": "Pediatric Cardiology Grand Rounds",
        "activity_type": "rss", "format": "in_person", "start_date": "2030-01-01",
        "end_date": "2030-12-31", "url": "https://example.org/D", "fee": "free",
        "cme_credits": "40", "listed": "yes", "registration": "open", "specialties": "pediatrics",
        "city": "Boston", "state": "MA", "postal_code": "02115", "country": "US",
        "lat": filled["lat"], "lng": filled["lng"],
        "ABIM points": "40", "ABIM credit types": "MK",
        "ABIM practice areas": "Adult Congenital Heart Disease",
        "ABP points": "40", "ABP credit types": "LLSA",
        "ABP practice areas": "Pediatric Cardiology",
        "providership": "direct", "rems": "no", "mips": "no",
    }  # fmt: skip
    assert float(filled["lng"]) < 0  # a negative number is not a formula: left as it is
    assert rows[0]["city"] == ""


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
    ids = exported_ids(client, kind, pairs(params))
    searched = client.get("/api/v1/activities", params=params | {"per_page": 100}).json()
    assert ids == [hit["id"] for hit in searched["hits"]]
    assert sorted(ids) == sorted(id_of(k) for k in expected)


@pytest.mark.parametrize("kind", ["ndjson", "csv"])
def test_export_format_is_only_the_activity_format_filter(client: TestClient, kind: str) -> None:
    online = {id_of(k) for k in "CFGHIMN"} | {fid(k) for k in ("EQ", "AT", "PLUS", "MINUS")}
    assert set(exported_ids(client, kind, {"format": "online"})) == online
    response = client.get(EXPORTS[kind], params={"format": kind})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "format"


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"page": "2"}, id="page"),
        pytest.param({"per_page": "1"}, id="per-page"),
        pytest.param({"page": "9", "per_page": "5000"}, id="both-out-of-range"),
    ],
)
def test_export_ignores_paging(client: TestClient, params: dict[str, str]) -> None:
    assert set(exported_ids(client, "ndjson", params)) == ALL_PUBLIC


@pytest.mark.parametrize("kind", ["ndjson", "csv"])
def test_export_never_contains_hidden_activities(client: TestClient, kind: str) -> None:
    text = client.get(EXPORTS[kind]).text
    for key in HIDDEN:
        assert id_of(key) not in text
    assert "Cardiology Secrets" not in text
    assert "Cardiology Without MOC" not in text
    assert "Cardiology Update 2029" not in text


@pytest.mark.parametrize("kind", ["ndjson", "csv"])
def test_export_nothing_matching(client: TestClient, kind: str) -> None:
    response = client.get(EXPORTS[kind], params={"q": "secrets"})
    assert response.status_code == 200
    assert response.text == ("" if kind == "ndjson" else ",".join(COLUMNS) + "\r\n")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"board": "ABX"}, "board", id="unknown-board"),
        pytest.param({"format": "xml"}, "format", id="unknown-format"),
        pytest.param({"sort": "distance"}, "sort", id="distance-without-near"),
        pytest.param({"date_from": "2030-02-30"}, "date_from", id="bad-date"),
        pytest.param({"near": "10001", "radius_mi": "501"}, "radius_mi", id="radius"),
    ],
)
@pytest.mark.parametrize("kind", ["ndjson", "csv"])
def test_export_invalid_parameter_is_422_problem(
    client: TestClient, params: dict[str, str], field: str, kind: str
) -> None:
    response = client.get(EXPORTS[kind], params=params)
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
    rows = csv_rows(client.get(EXPORT_CSV, params={"provider": "acme"}).text)
    assert {r["provider_activity_id"]: r for r in rows}[key][column] == cell


def test_export_csv_raw_hyperlink_cell_is_quoted_text(client: TestClient) -> None:
    text = client.get(EXPORT_CSV).text
    assert '"\'=HYPERLINK(""https://evil.example/x"",""Click here"")"' in text
    assert ",=HYPERLINK(" not in text
    assert ',"=HYPERLINK(' not in text


def test_export_ndjson_keeps_titles_as_given(client: TestClient) -> None:
    titles = {line["id"]: line["title"] for line in everything(client)}
    assert {k: titles[fid(k)] for k in FORMULAS} == {k: t for k, (t, _) in FORMULAS.items()}


# -- the round trip: export, edit one row, import ---------------------------------------------


def test_export_edit_one_row_and_import_it_again(settings: Settings, client: TestClient) -> None:
    db = make_engine(settings.catalog_url())
    with session_scope(db, write=True) as session:
        key = create_key(session, provider_id="kids")
    db.dispose()
    text = client.get(EXPORT_CSV, params={"provider": "kids"}).text
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 3  # the header, C and D
    edited = [[cell.replace("Grand Rounds", "Grand Rounds (new date)") for cell in row]
              for row in rows]  # fmt: skip
    out = io.StringIO()
    csv.writer(out).writerows(edited)
    response = client.post(
        "/api/v1/providers/kids/imports?format=csv",
        content=out.getvalue().encode(),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["ok"], report["records"], report["accepted"]) == (True, 2, 2)
    assert report["written"] == {"created": 0, "updated": 1, "unchanged": 1, "deleted": 0}
    detail = client.get(f"/api/v1/activities/{id_of('D')}").json()
    assert detail["title"] == "Pediatric Cardiology Grand Rounds (new date)"


# -- memory: a 20k catalog streams in flat memory ---------------------------------------------


def demo_engine(data_dir: Path, activities: int) -> tuple[TantivyEngine, Any, int]:
    """A demo catalog of this size indexed in tantivy, its database, and its public count."""
    db = make_engine(f"sqlite:///{data_dir / 'catalog.db'}")
    migrate.upgrade(db)
    load_demo(db, activities=activities, seed=11, today=date.today())
    engine = TantivyEngine(data_dir / "index")
    rebuild_index(db, engine, data_dir / "sync.lock")
    with session_scope(db) as session:
        public = repo.count_rows(session, repo.public_activities(date.today()))
    return engine, db, public


def measure(engine: TantivyEngine, db: Any, kind: str) -> tuple[int, int]:
    """Stream the whole export chunk by chunk, keeping nothing: (records, peak bytes traced)."""
    service = SearchService(engine)
    records = 0
    tracemalloc.start()
    try:
        activities = full_activities(service.iter_hits(parse_search({})), db)
        for chunk in export_stream(activities, kind):
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
        engine, db, public = demo_engine(tmp_path_factory.mktemp(f"demo-{size}"), size)
        out[size] = {"public": public} | {
            kind: measure(engine, db, kind) for kind in ("ndjson", "csv")
        }
        engine.close()
        db.dispose()
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
