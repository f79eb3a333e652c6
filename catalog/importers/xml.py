"""XML: the PARS batch activity file, root ``ACCMEActivities``, one ``MedicalEducationMetrics``
per activity (domain.md §3.3); ``catalog.importers.pars`` maps each one.

The file is parsed with defusedxml and every DTD is refused: no entity can expand (billion
laughs) and nothing is fetched from disk or network (external entities). It is read in chunks
and each activity is dropped from the tree once mapped, so memory stays flat; the expat
parser underneath tells the line each activity starts on.
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

ROOT = "accmeactivities"
ACTIVITY = "medicaleducationmetrics"
MAX_BYTES = 50 * 1024 * 1024
MAX_ACTIVITIES = 100_000
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

    def start(self, tag: str, attrib: dict[str, str]) -> Element:
        self.depth += 1
        element = self.builder.start(tag, attrib)
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
        _parse(partial(parser.feed, chunk))
        yield from collector.take()
    _parse(parser.close)
    yield from collector.take()
    if collector.count == 0:
        raise ImportFileError("the file holds no MedicalEducationMetrics activity")


def _parse(step: Callable[[], object]) -> None:
    """Run one parser step, turning what breaks the document into an ImportFileError."""
    try:
        step()
    except DefusedXmlException:
        raise ImportFileError(
            "the XML declares a DTD or entities, which are not accepted"
        ) from None
    except ParseError as exc:
        raise ImportFileError(f"malformed XML: {exc}") from None
