"""Uploads without a valid key or session are refused before their body is read.

A real uvicorn process takes a dozen uploads of 16 MB at once, over raw sockets, from a
client that sends the request head and one megabyte, waits for an answer, then sends the
rest anyway (as an attacker ignoring the answer would). Each must be answered (401 on the
API, a redirect to sign-in on the page) while most of its body is still unsent, and the
server's memory must not grow by the bodies: it reads none of them into memory.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.reliability.live import show
from tests.reliability.processes import Deployment, free_port

MB = 1024 * 1024
BODY = 16 * MB  # within the upload limit: only the missing key or session refuses it
PIECE = 256 * 1024
FIRST = 1 * MB  # sent before waiting for an answer
ANSWER_WITHIN_S = 5.0  # an authentication check takes milliseconds, even on a busy machine
SEND_TIMEOUT_S = 60.0
BOUNDARY = "upload-boundary"


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    headers: dict[str, str]
    chunked: bool
    multipart: bool
    expected: int  # the status that refuses it


IMPORTS = "/api/v1/providers/acme/imports?format=csv"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
CASES = [
    Case("api raw chunked, no key", IMPORTS, {"Content-Type": "text/csv"}, True, False, 401),
    Case("api multipart chunked, no key", IMPORTS, {"Content-Type": MULTIPART}, True, True, 401),
    Case("api multipart, bad key", IMPORTS,
         {"Content-Type": MULTIPART, "Authorization": "Bearer moc_not-a-key"}, False, True, 401),
    Case("page multipart chunked, no cookie", "/provider/upload",
         {"Content-Type": MULTIPART}, True, True, 303),
    Case("page multipart, no cookie", "/provider/upload", {"Content-Type": MULTIPART},
         False, True, 303),
    Case("page multipart, forged cookie", "/provider/upload",
         {"Content-Type": MULTIPART, "Cookie": "moc_provider=abc|def"}, False, True, 303),
]  # fmt: skip


@dataclass
class Outcome:
    case: Case
    status: int | None = None
    answered_after: int | None = None  # body bytes sent when the answer was there
    sent: int = 0
    error: str | None = None


def body_pieces(case: Case) -> Iterator[bytes]:
    """The body, a piece at a time: a CSV file, alone or as the form part "file"."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nforged\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    filler = b"provider_activity_id,title\r\n" + b"X1,a title\r\n" * (PIECE // 12)
    size = BODY - (len(head) + len(tail) if case.multipart else 0)
    if case.multipart:
        yield head
    while size > 0:
        piece = filler[: min(size, PIECE)]
        size -= len(piece)
        yield piece
    if case.multipart:
        yield tail


def request_head(case: Case, host: str) -> bytes:
    framing = {"Transfer-Encoding": "chunked"} if case.chunked else {"Content-Length": str(BODY)}
    lines = [f"POST {case.path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in (case.headers | framing).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def frame(case: Case, piece: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(piece), piece) if case.chunked else piece


def answered(sock: socket.socket, wait_s: float) -> bool:
    return bool(select.select([sock], [], [], wait_s)[0])


def upload(url: str, outcome: Outcome) -> None:
    """Send the head and FIRST bytes, wait for an answer, then send the rest regardless."""
    parts = urlsplit(url)
    case = outcome.case
    with socket.create_connection((parts.hostname, parts.port), timeout=SEND_TIMEOUT_S) as sock:
        sock.sendall(request_head(case, parts.netloc))
        waited = False
        try:
            for piece in body_pieces(case):
                wait_s = ANSWER_WITHIN_S if outcome.sent >= FIRST and not waited else 0
                waited = waited or wait_s > 0
                if outcome.answered_after is None and answered(sock, wait_s):
                    outcome.answered_after = outcome.sent
                sock.sendall(frame(case, piece))
                outcome.sent += len(piece)
            if case.chunked:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection on the unread body: that is fine too
        except TimeoutError:
            outcome.error = f"sending stalled after {outcome.sent:,} bytes"
        outcome.status = read_status(sock)


def read_status(sock: socket.socket) -> int | None:
    try:
        data = sock.recv(65536)
    except (ConnectionResetError, TimeoutError):
        return None
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


class PeakRss(threading.Thread):
    """Samples a process's resident memory until stopped; keeps the highest."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = rss_bytes(pid)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.01):
            self.peak = max(self.peak, rss_bytes(self.pid))


@pytest.mark.parametrize("deployment", ["sqlite"], indirect=True)
def test_unauthenticated_uploads_are_refused_before_their_bodies_are_read(
    deployment: Deployment, request: pytest.FixtureRequest
) -> None:
    app = deployment.start_app(free_port())
    pid = app.process.popen.pid
    warm_up = [Outcome(case) for case in CASES]  # each path once, so its code is loaded
    for outcome in warm_up:
        upload(app.url, outcome)
    before = rss_bytes(pid)
    sampler = PeakRss(pid)
    sampler.start()
    outcomes = [Outcome(case) for case in CASES * 2]
    threads = [threading.Thread(target=upload, args=(app.url, o)) for o in outcomes]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    sampler.done.set()
    sampler.join()
    growth = sampler.peak - before
    sent = sum(o.sent for o in outcomes) / MB
    took = time.monotonic() - started
    show(request.config, f"{len(outcomes)} unauthenticated uploads of {BODY // MB} MB "
         f"({sent:.0f} MB sent) in {took:.1f} s: server RSS {before / MB:.0f} -> peak "
         f"{sampler.peak / MB:.0f} MB (+{growth / MB:.0f} MB)")  # fmt: skip
    for o in warm_up + outcomes:
        show(request.config, f"  {o.case.name}: {o.status}, answered {answered_when(o)}")
    for o in warm_up + outcomes:
        assert o.error is None, (o.case.name, o.error)
        assert o.status == o.case.expected, (o.case.name, o.status)
        assert o.answered_after is not None, f"{o.case.name}: no answer until the body was sent"
        assert o.answered_after < FIRST + PIECE, (o.case.name, o.answered_after)
    assert growth < BODY, f"the server grew by {growth / MB:.0f} MB"
    assert app.process.alive()


def answered_when(outcome: Outcome) -> str:
    if outcome.answered_after is None:
        return "only once the whole body was sent"
    return f"after {outcome.answered_after / MB:.1f} MB of the body"
