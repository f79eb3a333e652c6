"""Real processes of a deployment under test, and the check that its index equals its catalog.

A deployment is a data directory, a catalog database and MOC_* settings. The app (uvicorn),
the sync worker and CLI commands run as subprocesses with those settings, as in production.
Each process writes its output to a log file (a pipe nobody reads fills up and blocks the
child), and every process started is SIGKILLed and reaped when the deployment is torn down.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import tantivy
from sqlalchemy import Engine, func, select

from catalog import repository as repo
from catalog.db import session_scope
from catalog.models import Activity, OutboxEntry, PublicChange
from catalog.service import indexable_activities
from indexer.documents import fold, to_document
from indexer.engines.tantivy import TantivyEngine
from indexer.engines.tantivy_schema import KEY_FIELDS, TEXT_BOOSTS, points_field, to_tantivy
from indexer.vocabulary import KEYWORD_FIELDS

REPO = Path(__file__).resolve().parents[2]
START_S = 60.0  # a cold start imports a lot; the 2-core machine may be busy with other tests
POLL_S = 0.05


def free_port() -> int:
    """A loopback port nobody listens on now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(POLL_S)


def environment(settings: Mapping[str, str]) -> dict[str, str]:
    """This environment without the caller's own MOC_* variables, plus ``settings``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MOC_")}
    return inherited | dict(settings)


# -- processes ---------------------------------------------------------------------------------


@dataclass
class Process:
    """A started subprocess and the file its output goes to."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL: no handler runs and nothing is flushed or closed, as in a crash."""
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def wait_for_output(self, text: str, timeout: float) -> None:
        def printed() -> bool:
            if text in self.output():
                return True
            if not self.alive():
                raise AssertionError(f"{self.name} exited before printing {text!r}:\n{self.tail()}")
            return False

        wait_until(printed, timeout, f"{self.name} to print {text!r}")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-lines:])


class Processes:
    """Starts subprocesses and kills every one of them at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[Process] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> Process:
        log = self.logs / f"{len(self.started):02d}-{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                args, env=env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )
        process = Process(name, popen, log)
        self.started.append(process)
        return process

    def kill_all(self) -> None:
        for process in self.started:
            process.kill()


def cli_args(*args: str) -> list[str]:
    """The ``moc-catalog`` command line, run by this interpreter."""
    return [sys.executable, "-m", "api.cli", *args]


@dataclass
class App:
    """A running app process and its base URL."""

    process: Process
    url: str

    def healthy(self) -> bool:
        if not self.process.alive():
            raise AssertionError(f"the app exited while starting:\n{self.process.tail()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False


# -- a deployment ------------------------------------------------------------------------------


@dataclass
class Deployment:
    """One catalog and one data directory, shared by every process started from here."""

    data_dir: Path
    database_url: str
    db: Engine  # the test's own connection, to set up and to check the catalog
    processes: Processes
    provider: str
    key: str  # a bearer key of ``provider``
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return environment(
            {
                "MOC_DATA_DIR": str(self.data_dir),
                "MOC_DATABASE_URL": self.database_url,
                "MOC_SYNC_INTERVAL_S": "0.1",
                "MOC_RATE_LIMIT_PER_MINUTE": "0",  # the tests are one client sending a lot
                "MOC_LOG_LEVEL": "WARNING",  # no access log line per request
            }
            | self.settings
        )

    @property
    def index_root(self) -> Path:
        return self.data_dir / "index"

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a CLI command to its end; the caller checks its exit code."""
        return subprocess.run(
            cli_args(*args),
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start_cli(self, name: str, *args: str) -> Process:
        return self.processes.start(name, cli_args(*args), self.env)

    def start_worker(self) -> Process:
        """Start `moc-catalog sync` and wait until it runs (the index then exists)."""
        worker = self.start_cli("sync", "sync")
        worker.wait_for_output("sync worker running", START_S)
        return worker

    def start_app(self, port: int) -> App:
        """Serve the app with uvicorn, reading the index only (MOC_SYNC_IN_APP=false)."""
        args = [sys.executable, "-m", "uvicorn", "api.app:app_from_env", "--factory"]
        args += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
        env = self.env | {"MOC_SYNC_IN_APP": "false"}
        app = App(self.processes.start("app", args, env), f"http://127.0.0.1:{port}")
        wait_until(app.healthy, START_S, "the app to answer /healthz")
        return app

    def counts(self) -> dict[str, int]:
        """Rows of the tables every activity write touches."""
        with session_scope(self.db) as session:
            return {
                model.__name__: int(
                    session.execute(select(func.count()).select_from(model)).one()[0]
                )
                for model in (Activity, OutboxEntry, PublicChange)
            }

    def outbox_size(self) -> int:
        with session_scope(self.db) as session:
            return repo.count_outbox(session)

    def wait_drained(self, timeout: float) -> None:
        wait_until(lambda: self.outbox_size() == 0, timeout, "the sync worker to drain the outbox")


# -- the index against the catalog -------------------------------------------------------------

TOKEN = re.compile(r"[^\W_]+")  # tantivy's simple tokenizer: runs of letters and digits
TEXT_FIELDS = tuple(TEXT_BOOSTS)  # analysed, neither stored nor fast
STRING_FIELDS = (*KEYWORD_FIELDS, "title_sort")  # raw and fast: counted by aggregation
RAW_FIELDS = ("id", "title_exact", *STRING_FIELDS)  # raw: one term per value


def numeric_fields(boards: list[str]) -> list[str]:
    fixed = ["start_day", "end_day", *KEY_FIELDS, "max_points", "lat", "lng", "doc_num", "tie"]
    return fixed + [points_field(b) for b in boards]


def catalog_documents(db: Engine) -> dict[str, dict[str, Any]]:
    """What the index should hold: the document of every indexable activity, by id."""
    with session_scope(db) as session:
        return {a.id: to_document(a) for part in indexable_activities(session) for a in part}


def assert_index_matches_catalog(db: Engine, index_root: Path) -> int:
    """Fail unless the index holds exactly the catalog's indexable activities, each one as
    ``to_document`` makes it now, once; return how many it holds.

    The index stores only the public hit, so the whole document is compared field by field
    through what tantivy can give back: the stored hit and every numeric fast field exactly;
    every raw string field (facets, title_sort) by a query for each expected value plus
    equal per-value document counts across the index (so no value is missing or extra); and
    the analysed text fields by a query for each of their words.
    """
    expected = catalog_documents(db)
    indexed, problems = _compare(index_root, expected)
    assert problems == [], f"{len(problems)} problems, e.g.:\n" + "\n".join(problems[:10])
    return indexed


def _compare(index_root: Path, expected: dict[str, dict[str, Any]]) -> tuple[int, list[str]]:
    """How many documents the index holds, and what is wrong with them.

    The tantivy objects live only in here: a failed assertion's traceback would otherwise
    keep the index files open (and a disk that holds them mounted).
    """
    engine = TantivyEngine(index_root)
    index = engine._index()  # noqa: SLF001 - the test reads the raw index, not search results
    index.reload()  # see the latest commit now rather than after the reader's reload delay
    searcher = index.searcher()
    everything = searcher.search(tantivy.Query.all_query(), limit=max(1, searcher.num_docs))
    addresses = [a for _, a in everything.hits]
    hits = [json.loads(searcher.doc(a).get_first("payload")) for a in addresses]
    ids = [hit["id"] for hit in hits]
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    missing, extra = sorted(expected.keys() - set(ids)), sorted(set(ids) - expected.keys())
    wrong_set = [
        f"{len(found)} {what}, e.g. {found[:3]}"
        for found, what in [
            (twice, "activities indexed more than once"),
            (missing, "indexable activities not indexed"),
            (extra, "indexed activities not indexable"),
        ]
        if found
    ]
    if wrong_set:  # the documents are compared only once the ids agree
        return len(ids), wrong_set
    wanted = {i: to_tantivy(d, engine.boards, engine.schema).to_dict() for i, d in expected.items()}
    problems = _hit_problems(hits, expected)
    problems += _numeric_problems(searcher, addresses, ids, wanted, engine.boards)
    problems += _string_count_problems(searcher, wanted)
    problems += _term_problems(searcher, engine.schema, wanted)
    return len(ids), problems


def _hit_problems(hits: list[dict[str, Any]], expected: dict[str, dict[str, Any]]) -> list[str]:
    # Through JSON, as the engine stores it: tuples become lists.
    return [
        f"{hit['id']}: stored hit {hit} != {expected[hit['id']]['hit']}"
        for hit in hits
        if hit != json.loads(json.dumps(expected[hit["id"]]["hit"]))
    ]


def _numeric_problems(
    searcher: Any,
    addresses: list[Any],
    ids: list[str],
    wanted: dict[str, dict[str, list[Any]]],
    boards: list[str],
) -> list[str]:
    problems = []
    for name in numeric_fields(boards):
        values = searcher.fast_field_values(name, addresses) if addresses else []
        for activity_id, value in zip(ids, values, strict=True):
            want = wanted[activity_id].get(name, [None])[0]
            if value != want:
                problems.append(f"{activity_id}: {name} is {value!r}, not {want!r}")
    return problems


def _string_count_problems(searcher: Any, wanted: dict[str, dict[str, list[Any]]]) -> list[str]:
    """Documents per value of each raw string field, across the whole index."""
    size = max(10_000, 2 * len(wanted))
    spec = {name: {"terms": {"field": name, "size": size}} for name in STRING_FIELDS}
    found = searcher.aggregate(tantivy.Query.all_query(), spec)
    problems = []
    for name in STRING_FIELDS:
        counts = Counter({str(b["key"]): int(b["doc_count"]) for b in found[name]["buckets"]})
        want = Counter(v for doc in wanted.values() for v in set(doc.get(name, [])))
        if counts != want:
            diff = (counts - want) + (want - counts)
            problems.append(f"{name}: documents per value differ for {sorted(diff)[:5]}")
    return problems


def _term_problems(
    searcher: Any, schema: Any, wanted: dict[str, dict[str, list[Any]]]
) -> list[str]:
    """Each document found by the id, every raw value and every word it should hold."""
    problems = []
    for activity_id, doc in wanted.items():
        terms = [(name, v) for name in RAW_FIELDS for v in doc.get(name, [])]
        terms += [(name, w) for name in TEXT_FIELDS for w in _words(doc.get(name, []))]
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.term_query(schema, f, v)) for f, v in terms]
        )
        if searcher.search(query, limit=1).count != 1:
            problems.append(f"{activity_id}: not found by all of its terms {terms}")
    return problems


def _words(texts: list[str]) -> set[str]:
    # Only ASCII words: tantivy's ascii folding and Python's fold could differ beyond that.
    return {w for text in texts for w in TOKEN.findall(fold(text)) if w.isascii()}
