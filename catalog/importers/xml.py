"""XML: the PARS batch activity file, root ``ACCMEActivities``, one ``MedicalEducationMetrics``
per activity (domain.md §3.3); ``catalog.importers.pars`` maps each one.

The file is parsed with defusedxml and every DTD is refused: no entity can expand (billion
laughs) and nothing is fetched from disk or network (external entities). It is read in chunks
and each activity is dropped from the tree once mapped, so memory stays flat; the expat
parser underneath tells the line each activity starts on. Where the XML breaks inside an
activity (a character XML does not allow), the error names the activity and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from catalog.errors import ImportFileError
from catalog.importers.base import Record
from catalog.importers.mems import local
from catalog.importers.pars import activity_record
from catalog.importers.xml_errors import parse_problem

ROOT = "accmeactivities"
ACTIVITY = "medicaleducationmetrics"
MAX_BYTES = 50 * 1024 * 1024
MAX_ACTIVITIES = 100_000
# A PARS record nests a few levels (ACCMEActivities/MedicalEducationMetrics/.../entry); a
# deeper file is not one, and each open level costs time and error text.
MAX_DEPTH = 32
CHUNK = 64 * 1024


class _Collector:
    """Parser target: builds the tree, notes where each activity starts, hands finished ones on."""

    def __init__(self) -> None:
        self.builder = TreeBuilder()
        self.expat: Any = None  # the expat parser, for line numbers
        self.root: Element | None = None
        self.depth = 0
        self.count = 0
        self.line = 0
        self.finished: list[Record] = []
        self.open: list[Element] = []  # the elements started and not yet ended, root first

    def start(self, tag: str, attrib: dict[str, str]) -> Element:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ImportFileError(
                f"elements nested more than {MAX_DEPTH} deep (line {self.line}): not a PARS file"
            )
        element = self.builder.start(tag, attrib)
        self.open.append(element)
        if self.depth == 1:
            if local(tag).casefold() != ROOT:
                raise ImportFileError(
                    f"the root element is {local(tag)!r}; expected ACCMEActivities"
                )
            self.root = element
        elif self.depth == 2:
            self.line = self.expat.CurrentLineNumber
        return element

    def end(self, tag: str) -> Element:
        element = self.builder.end(tag)
        self.open.pop()
        if self.depth == 2 and self.root is not None:
            self.root.remove(element)  # mapped now or never: keep memory flat
            if local(tag).casefold() == ACTIVITY:
                self._finish(element)
        self.depth -= 1
        return element

    def data(self, text: str) -> None:
        self.builder.data(text)

    def close(self) -> Element:
        return self.builder.close()

    def _finish(self, element: Element) -> None:
        self.count += 1
        if self.count > MAX_ACTIVITIES:
            raise ImportFileError(f"the file holds more than {MAX_ACTIVITIES:,} activities")
        locator = f"activity {self.count} (line {self.line})"
        self.finished.append(activity_record(locator, element))

    def take(self) -> list[Record]:
        done, self.finished = self.finished, []
        return done

    def broken_at(self) -> str | None:
        """The activity and field the parser is inside, if an activity: where it broke."""
        if len(self.open) < 3 or local(self.open[1].tag).casefold() != ACTIVITY:
            return None
        locator = f"activity {self.count + 1} (line {self.line})"
        inside = _steps(self.open[1:])
        # What the activity holds so far maps its fields to their elements, as a whole one would.
        record = activity_record(locator, self.open[1])
        field = _field_of(record.columns, inside)
        path = "/".join(f"{name}[{n}]" for name, n in inside)
        return f"{locator}: {record.describe(field) if field else f'element {path!r}'}"


def _steps(lineage: list[Element]) -> list[tuple[str, int]]:
    """Each element below the first as (local name, its number among same-named siblings)."""
    steps = []
    for parent, element in zip(lineage, lineage[1:], strict=False):
        name = local(element.tag)
        same = [c for c in parent if local(c.tag).casefold() == name.casefold()]
        steps.append((name, next(i for i, c in enumerate(same, 1) if c is element)))
    return steps


def _field_of(columns: dict[str, str], inside: list[tuple[str, int]]) -> str | None:
    """The field whose element (``general/identifier[2]/entry``) the open elements run
    through, the most precise one if several do; a step's ``[n]`` must match, other
    brackets (``[catalog=URL]``) are conditions on children and match any."""
    best: tuple[int, str] | None = None
    for name, where in columns.items():
        steps = [_step(part) for part in where.split("/")]
        if any(_runs(inside[i : i + len(steps)], steps) for i in range(len(inside))):
            if best is None or len(steps) > best[0]:
                best = (len(steps), name)
    return best[1] if best else None


def _step(part: str) -> tuple[str, int | None]:
    name, _, condition = part.partition("[")
    number = condition.rstrip("]")
    return name.casefold(), int(number) if number.isdigit() else None


def _runs(path: list[tuple[str, int]], steps: list[tuple[str, int | None]]) -> bool:
    return len(path) == len(steps) and all(
        name.casefold() == want and (number is None or number == n)
        for (name, n), (want, number) in zip(path, steps, strict=True)
    )


def read_xml(stream: IO[bytes]) -> Iterator[Record]:
    """Yield one record per ``MedicalEducationMetrics`` element, in file order."""
    collector = _Collector()
    parser = DefusedXMLParser(
        target=collector, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    collector.expat = parser.parser
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > MAX_BYTES:
            raise ImportFileError(f"the file is larger than {MAX_BYTES // 2**20} MB")
        _parse(partial(parser.feed, chunk), collector)
        yield from collector.take()
    _parse(parser.close, collector)
    yield from collector.take()
    if collector.count == 0:
        raise ImportFileError("the file holds no MedicalEducationMetrics activity")


def _parse(step: Callable[[], object], collector: _Collector) -> None:
    """Run one parser step, turning what breaks the document into an ImportFileError."""
    try:
        step()
    except DefusedXmlException:
        raise ImportFileError(
            "the XML declares a DTD or entities, which are not accepted"
        ) from None
    except ParseError as exc:
        where = collector.broken_at()
        if where is None:
            raise ImportFileError(f"malformed XML: {exc}") from None
        raise ImportFileError(f"{where}: {parse_problem(exc)}; nothing was read past it") from None
