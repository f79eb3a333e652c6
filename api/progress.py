"""Progress bars for long commands (import, demo load), drawn on stderr."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, BinaryIO, cast

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)


class Bar:
    """A thin wrapper over rich's Progress that is a no-op when disabled."""

    def __init__(self, progress: Progress, enabled: bool) -> None:
        self.progress = progress
        self.enabled = enabled

    def wrap_file(self, raw: IO[bytes], *, total: int, description: str) -> IO[bytes]:
        if not self.enabled:
            return raw
        return self.progress.wrap_file(cast(BinaryIO, raw), total=total, description=description)

    def counter(self, description: str, total: int | None = None) -> Callable[[int], None]:
        """Return a callback that advances a new task by the count it is given."""
        if not self.enabled:
            return lambda _n: None
        task = self.progress.add_task(description, total=total)
        return lambda n: self.progress.advance(task, n)


@contextmanager
def progress_bar(console: Console, *, enabled: bool) -> Iterator[Bar]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False, disable=not enabled) as progress:
        yield Bar(progress, enabled)
