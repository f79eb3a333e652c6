"""Our search API beside Datasette on the same public catalog: latency side by side, one run.

    python bench/datasette_compare.py --data-dir var/bench [--requests 200] [--warmup 3]
        [--facets board,format,...] [--search prefix|escaped] [--venv var/bench-venv]
        [--rebuild] [--json PATH]

The data directory must hold a loaded and indexed catalog (`python bench/api.py` prepares
one). Datasette is never a project dependency: it is installed from
bench/requirements-datasette.txt into its own virtualenv (`--venv`) and run from there.

Steps: copy the public catalog (the documents our index serves, ended activities left out)
into DATA_DIR/datasette/public.db, with FTS5 over the text fields our search covers and
indexes on the filter columns (timed); serve it with `datasette serve` and the catalog with
`moc-catalog serve` at once, one process each on loopback; warm both up; then send the
five typical searches of bench/rotation.py's COMPARED (q + filters + facet groups, 20 hits a
page; the ones the published ratios were measured on) to both,
interleaved, sequentially over keep-alive HTTP. Prints result counts and p50/p95/p99 per
query and side as a Markdown table, with our latency as a ratio of Datasette's (below 1:
we are faster).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from percentiles import percentile
from rotation import COMPARED

from catalog.db import make_engine, session_scope, sqlite_url
from catalog.service import indexable_activities
from indexer.documents import TEXT_FIELDS, day_number, to_document
from indexer.geo import EARTH_RADIUS_MI
from indexer.query import SearchQuery, parse_search
from indexer.text import query_words
from indexer.vocabulary import FACET_FIELDS, FACET_GROUPS

HERE = Path(__file__).parent
REQUIREMENTS = HERE / "requirements-datasette.txt"
SIDES = ("ours", "datasette")
# Document fields holding a list: JSON arrays in public.db, so that Datasette's _facet_array
# and __arraycontains work (_row stops on a list field not named here).
ARRAY_COLUMNS = (
    "boards", "credit_types", "practice_areas", "content_outlines", "specialties", "topics",
)  # fmt: skip
ARRAY_GROUPS = {group for group, field in FACET_FIELDS.items() if field in ARRAY_COLUMNS}
# public.db's activities table: one row per public search document.
COLUMNS = {
    "id": "text primary key",
    "title": "text",
    "description": "text",
    "provider_id": "text",
    "provider_name": "text",
    "activity_type": "text",
    "format": "text",
    "fee": "text",
    "registration": "text",
    "state": "text",
    "country": "text",
    "city": "text",
    "start_date": "text",
    "end_date": "text",
    "cme_credits": "real",
    "max_points": "real",
    **dict.fromkeys(ARRAY_COLUMNS, "text"),
    "practice_text": "text",
    "specialty_text": "text",
    "moc_text": "text",
    "lat": "real",
    "lng": "real",
    "url": "text",
}
# What our full-text search covers, in the same order.
FTS_COLUMNS = TEXT_FIELDS
INDEXED_COLUMNS = (
    "activity_type", "format", "fee", "registration", "state", "country", "provider_id",
    "start_date", "end_date", "lat",
)  # fmt: skip
DATASETTE_SETTINGS = {
    # High limits so a slow count or facet on a large catalog is timed, not silently dropped.
    "sql_time_limit_ms": "30000",
    "facet_time_limit_ms": "30000",
    "max_returned_rows": "1000",  # _facet_size=max: every value, as our API returns them all
    "suggest_facets": "off",  # extra work our API does not do
}


@dataclass
class Plan:
    """One typical search, as a URL for each side."""

    label: str
    urls: dict[str, str]


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


# -- the bench virtualenv ------------------------------------------------------------------


def ensure_datasette(venv: Path) -> Path:
    """Create the bench virtualenv and install the pinned requirements when they changed."""
    stamp = venv / "requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    binary = venv / "bin" / "datasette"
    if binary.exists() and stamp.exists() and stamp.read_text() == wanted:
        return binary
    print(f"installing {REQUIREMENTS.name} into {venv}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return binary


# -- public.db -----------------------------------------------------------------------------


def build_public_db(data_dir: Path, today: date, rebuild: bool) -> tuple[Path, float | None]:
    """Return public.db and its build time, or None when today's copy was reused.

    The copy is dated in PRAGMA user_version: which activities have ended changes daily. A copy
    with other columns than COLUMNS (made by an older version of this script) is rebuilt too.
    """
    target = data_dir / "datasette" / "public.db"
    if not rebuild and target.exists() and _built_with(target) == (today.toordinal(), [*COLUMNS]):
        return target, None
    target.parent.mkdir(exist_ok=True)
    scratch = target.with_suffix(".tmp")
    scratch.unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(scratch)
    try:
        _fill(conn, data_dir, today)
        conn.execute(f"pragma user_version = {today.toordinal()}")
        conn.commit()
    finally:
        conn.close()
    scratch.replace(target)
    return target, time.perf_counter() - started


def _built_with(path: Path) -> tuple[int, list[str]]:
    """The day a public.db was built and its columns."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        day = int(conn.execute("pragma user_version").fetchone()[0])
        columns = [row[1] for row in conn.execute("pragma table_info(activities)")]
        return day, columns
    finally:
        conn.close()


def _fill(conn: sqlite3.Connection, data_dir: Path, today: date) -> None:
    # A scratch file rebuilt from scratch on failure: no journal or fsync needed.
    conn.execute("pragma journal_mode = off")
    conn.execute("pragma synchronous = off")
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
    conn.execute(f"create table activities ({columns})")
    placeholders = ", ".join("?" for _ in COLUMNS)
    insert = f"insert into activities values ({placeholders})"
    for rows in _public_rows(data_dir, today):
        conn.executemany(insert, rows)
    _enable_fts(conn)
    for column in INDEXED_COLUMNS:
        conn.execute(f"create index activities_{column} on activities ({column})")
    conn.execute("analyze")  # planner statistics, as a tuned Datasette deployment would have


def _public_rows(data_dir: Path, today: date) -> Iterator[list[tuple[Any, ...]]]:
    """Stream, a batch at a time, the rows of the documents our index serves today."""
    db = make_engine(sqlite_url(data_dir))
    try:
        with session_scope(db) as session:
            for part in indexable_activities(session):
                docs = (to_document(a) for a in part)
                yield [_row(d) for d in docs if d["end_day"] >= day_number(today)]
    finally:
        db.dispose()


def _row(doc: dict[str, Any]) -> tuple[Any, ...]:
    hit = doc["hit"]
    flat = {
        **{name: doc.get(name) for name in COLUMNS},
        "city": (hit["location"] or {}).get("city"),
        "start_date": hit["start_date"],
        "end_date": hit["end_date"],
        "cme_credits": hit["cme_credits"],
        "url": hit["url"],
    }
    for name, value in flat.items():
        if isinstance(value, list) and name not in ARRAY_COLUMNS:
            raise SystemExit(f"document field {name} holds a list: add it to ARRAY_COLUMNS")
    for name in ARRAY_COLUMNS:
        flat[name] = json.dumps(doc[name])
    return tuple(flat[name] for name in COLUMNS)


def _enable_fts(conn: sqlite3.Connection) -> None:
    """FTS5 as Datasette expects it: an external-content table it detects by its content=."""
    names = ", ".join(FTS_COLUMNS)
    conn.execute(f'create virtual table activities_fts using fts5({names}, content="activities")')
    conn.execute(
        f"insert into activities_fts (rowid, {names}) select rowid, {names} from activities"
    )
    conn.execute("insert into activities_fts (activities_fts) values ('optimize')")


def count_rows(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("select count(*) from activities").fetchone()[0])
    finally:
        conn.close()


# -- the queries ---------------------------------------------------------------------------


def make_plans(searches: Sequence[str], groups: Sequence[str], *, prefix: bool) -> list[Plan]:
    plans = []
    for search in searches:
        url = urlsplit(search)
        query = parse_search(parse_qs(url.query) | {"facets": list(groups)})
        ours = [*parse_qs(url.query).items(), ("facets", list(groups)), ("per_page", ["20"])]
        datasette = urlencode(datasette_params(query, groups, prefix=prefix))
        plans.append(
            Plan(
                label=url.query,
                urls={
                    "ours": f"{url.path}?{urlencode(ours, doseq=True)}",
                    "datasette": f"/public/activities.json?{datasette}",
                },
            )
        )
    return plans


def datasette_params(
    query: SearchQuery, groups: Sequence[str], *, prefix: bool
) -> list[tuple[str, str]]:
    """The same search in Datasette's table API: _search, column filters, facets."""
    if query.minimums or query.page != 1:
        raise SystemExit("min_points and page have no Datasette translation here")
    params = [("_size", "20"), ("_facet_size", "max"), ("_nocol", "description")]
    if query.q:
        params += _search(query.q, prefix)
    for group, column in FACET_FIELDS.items():
        values = query.selected(group)
        if values:
            params += _filter(column, values, array=group in ARRAY_GROUPS)
    # Our window test: the activity's [start, end] overlaps [date_from, date_to].
    if query.date_from:
        params.append(("end_date__gte", query.date_from.isoformat()))
    if query.date_to:
        params.append(("start_date__lte", query.date_to.isoformat()))
    if query.point:
        params += _within(query.point, query.radius_mi)
    for group in groups:
        kind = "_facet_array" if group in ARRAY_GROUPS else "_facet"
        params.append((kind, FACET_FIELDS[group]))
    return params


def _search(q: str, prefix: bool) -> list[tuple[str, str]]:
    """Datasette's own escaped search (every word exact), or ours as near as FTS5 gets.

    Ours: every word must match, the last one also as a prefix, with typos allowed from five
    letters. FTS5 has no typo tolerance, so `prefix` keeps the rest: the same folded words,
    quoted, the last with `*` (raw mode, which Datasette passes to MATCH as it is).
    """
    if not prefix:
        return [("_search", q)]
    words = [f'"{w}"' for w in query_words(q)]
    words[-1] += "*"
    return [("_search", " ".join(words)), ("_searchmode", "raw")]


def _filter(column: str, values: Sequence[str], *, array: bool) -> list[tuple[str, str]]:
    """OR within a parameter, as ours; Datasette has no any-of for arrays, so that is SQL."""
    if len(values) == 1:
        return [(f"{column}__arraycontains" if array else column, values[0])]
    if not array:
        return [(f"{column}__in", json.dumps(list(values)))]
    listed = ", ".join(_literal(v) for v in values)
    sql = f"exists (select 1 from json_each(activities.{column}) where value in ({listed}))"
    return [("_where", sql)]


def _within(point: tuple[float, float], radius_mi: float) -> list[tuple[str, str]]:
    """Our geo filter: a bounding box on indexed columns, then the exact great-circle test."""
    lat, lng = point
    dlat = math.degrees(radius_mi / EARTH_RADIUS_MI) * 1.01
    dlng = dlat / max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    haversine = (
        f"2 * {EARTH_RADIUS_MI} * asin(sqrt(power(sin(radians(lat - {lat}) / 2), 2)"
        f" + cos(radians({lat})) * cos(radians(lat)) * power(sin(radians(lng - {lng}) / 2), 2)))"
    )
    return [
        ("lat__gte", str(lat - dlat)),
        ("lat__lte", str(lat + dlat)),
        ("lng__gte", str(lng - dlng)),
        ("lng__lte", str(lng + dlng)),
        ("_where", f"{haversine} <= {radius_mi}"),
    ]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# -- the servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_ours(data_dir: Path, port: int) -> Server:
    # Rate limiting off: the single load generator on loopback is one client by design.
    env = {**os.environ, "MOC_DATA_DIR": str(data_dir), "MOC_LOG_LEVEL": "WARNING",
           "MOC_RATE_LIMIT_PER_MINUTE": "0"}  # fmt: skip
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    return _start("ours", command, env, data_dir / "datasette" / "ours.log")


def start_datasette(binary: Path, public_db: Path, port: int) -> Server:
    # Immutable (-i): read-only with no locking, Datasette's mode for data that does not change.
    command = [str(binary), "serve", "-i", str(public_db), "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    for name, value in DATASETTE_SETTINGS.items():
        command += ["--setting", name, value]
    return _start("datasette", command, dict(os.environ), public_db.with_name("datasette.log"))


def _start(name: str, command: list[str], env: dict[str, str], log: Path) -> Server:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, process, log)


def wait_ready(server: Server, url: str) -> None:
    for _ in range(240):
        if server.process.poll() is not None:
            break
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{server.name} did not become ready; see {server.log}")


def stop(servers: Sequence[Server]) -> None:
    for server in servers:
        server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()


# -- measuring -----------------------------------------------------------------------------


def fetch(client: httpx.Client, url: str) -> tuple[float, httpx.Response]:
    """GET one URL; return the milliseconds until the whole body arrived, and the response."""
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:500]}")
    return elapsed, response


def result_counts(clients: dict[str, httpx.Client], plan: Plan, groups: int) -> dict[str, Any]:
    """Check that both sides answer the search in full; return their totals and body sizes."""
    responses = {side: fetch(clients[side], plan.urls[side])[1] for side in SIDES}
    ours, theirs = (responses[side].json() for side in SIDES)
    # Datasette leaves out a facet that ran out of time and still answers 200: that would
    # flatter it, so every group asked for must be there.
    if len(theirs["facet_results"]) != groups:
        raise SystemExit(
            f"Datasette left out a facet group of {plan.label} (over facet_time_limit_ms?)"
        )
    if len(ours["facets"]) != groups:
        raise SystemExit(f"our API computed not every facet group for {plan.label}")
    return {
        "ours": ours["total"],
        "datasette": theirs["filtered_table_rows_count"],
        "bytes": {side: len(responses[side].content) for side in SIDES},
    }


def run_interleaved(
    clients: dict[str, httpx.Client], plans: Sequence[Plan], total: int
) -> dict[str, dict[str, list[float]]]:
    """``total`` requests per side, round-robin over the plans, alternating which side goes first.

    One request at a time, so neither server competes with the other for the 2 cores, and
    any machine noise falls on both alike.
    """
    timings: dict[str, dict[str, list[float]]] = {p.label: {s: [] for s in SIDES} for p in plans}
    for i in range(total):
        plan = plans[i % len(plans)]
        for side in SIDES if i % 2 == 0 else SIDES[::-1]:
            timings[plan.label][side].append(fetch(clients[side], plan.urls[side])[0])
    return timings


# -- reporting -----------------------------------------------------------------------------


def summarise(samples: dict[str, list[float]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        side: {f"p{p}": round(percentile(samples[side], p), 2) for p in (50, 95, 99)}
        for side in SIDES
    }
    out["n"] = len(samples["ours"])
    for p in ("p50", "p95"):
        out[f"ratio_{p}"] = round(out["ours"][p] / out["datasette"][p], 3)
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    head = (
        "| query | hits ours | hits Datasette | ours p50 / p95 / p99 ms "
        "| Datasette p50 / p95 / p99 ms | ratio p50 | ratio p95 |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    lines = [head]
    for row in rows:
        s = row["stats"]
        sides = [" / ".join(f"{s[side][p]:.1f}" for p in ("p50", "p95", "p99")) for side in SIDES]
        counts = row.get("counts") or {"ours": "", "datasette": ""}
        lines.append(
            f"| {row['query']} | {counts['ours']} | {counts['datasette']} | {sides[0]} "
            f"| {sides[1]} | {s['ratio_p50']:.3f} | {s['ratio_p95']:.3f} |"
        )
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--venv", type=Path, default=Path("var/bench-venv"))
    parser.add_argument("--requests", type=int, default=200, help="timed requests per side")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds of every query")
    parser.add_argument(
        "--facets",
        default=",".join(FACET_GROUPS),
        help="facet groups both sides compute (comma-separated; default all)",
    )
    parser.add_argument(
        "--search",
        choices=("prefix", "escaped"),
        default="prefix",
        help="Datasette's text match: ours minus typos (default), or its plain _search",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild public.db even if fresh")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    args.facets = [g for g in args.facets.split(",") if g]
    unknown = set(args.facets) - set(FACET_GROUPS)
    if unknown:
        parser.error(f"unknown facet groups: {', '.join(sorted(unknown))}")
    missing = {*FACET_FIELDS.values(), *FTS_COLUMNS} - set(COLUMNS)
    if missing:  # the search vocabulary grew: public.db must hold the new fields too
        parser.error(f"COLUMNS lacks document fields {', '.join(sorted(missing))}")
    if not (args.data_dir / "catalog.db").exists():
        parser.error(f"{args.data_dir} holds no catalog.db: load and index a catalog first")
    return args


def measure(args: argparse.Namespace, binary: Path, public_db: Path) -> list[dict[str, Any]]:
    """Serve both, check they agree on what is public, warm up, time; one row per query."""
    plans = make_plans(COMPARED, args.facets, prefix=args.search == "prefix")
    ports = {side: free_port() for side in SIDES}
    servers = [
        start_ours(args.data_dir, ports["ours"]),
        start_datasette(binary, public_db, ports["datasette"]),
    ]
    # Identity encoding: our app gzips large bodies, Datasette does not.
    clients = {
        side: httpx.Client(
            base_url=f"http://127.0.0.1:{ports[side]}",
            headers={"Accept-Encoding": "identity"},
            timeout=600,  # eleven facet queries of up to 30 s each on a 1M catalog
        )
        for side in SIDES
    }
    try:
        wait_ready(servers[0], f"http://127.0.0.1:{ports['ours']}/readyz")
        wait_ready(servers[1], f"http://127.0.0.1:{ports['datasette']}/-/versions.json")
        _check_same_catalog(clients["ours"], count_rows(public_db))
        counts = {p.label: result_counts(clients, p, len(args.facets)) for p in plans}
        run_interleaved(clients, plans, args.warmup * len(plans))
        timings = run_interleaved(clients, plans, args.requests)
    finally:
        for client in clients.values():
            client.close()
        stop(servers)
    rows: list[dict[str, Any]] = [
        {"query": p.label, "counts": counts[p.label], "stats": summarise(timings[p.label])}
        for p in plans
    ]
    pooled = {s: [t for p in plans for t in timings[p.label][s]] for s in SIDES}
    rows.append({"query": "**all**", "counts": None, "stats": summarise(pooled)})
    return rows


def _check_same_catalog(client: httpx.Client, rows: int) -> None:
    total = fetch(client, "/api/v1/activities?per_page=1&facets=")[1].json()["total"]
    if total != rows:
        raise SystemExit(f"public.db holds {rows} activities, our API {total}: use --rebuild")


def main() -> None:
    args = parse_args()
    binary = ensure_datasette(args.venv)
    public_db, seconds = build_public_db(args.data_dir, date.today(), args.rebuild)
    rows_in_db = count_rows(public_db)
    built = f"built in {seconds:.1f}s" if seconds is not None else "reused (built today)"
    print(f"public.db: {rows_in_db} public activities, FTS5 + indexes, {built}")
    rows = measure(args, binary, public_db)
    print(f"\nfacet groups on both sides: {', '.join(args.facets)}; 20 hits a page")
    print(f"Datasette text match: {args.search} (ours: every word, the last as a prefix, typos)")
    print(f"{args.requests} timed requests per side, interleaved, one at a time\n")
    print(markdown(rows))
    sized = [row["counts"]["bytes"] for row in rows if row["counts"]]
    sizes = {side: sum(b[side] for b in sized) / len(sized) / 1000 for side in SIDES}
    print(f"\nmean response: ours {sizes['ours']:.0f} kB, Datasette {sizes['datasette']:.0f} kB")
    if args.json:
        report = {
            "public_rows": rows_in_db,
            "build_seconds": seconds,
            "facets": args.facets,
            "requests": args.requests,
            "search": args.search,
            "datasette_settings": DATASETTE_SETTINGS,
            "queries": rows,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
