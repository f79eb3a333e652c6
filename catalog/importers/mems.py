"""Reading MEMS elements by local name, and the raw record a PARS activity becomes.

Elements are matched by local name without regard to case: namespaces vary between files,
and ACCME's draft mapping spells some names differently from the MedBiquitous schemas.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import Element

from catalog.errors import FieldError


def local(tag: str) -> str:
    """Return an element name without its namespace."""
    return tag.rpartition("}")[2]


@lru_cache(maxsize=4096)
def _key(tag: str) -> str:
    """The casefolded local name of a tag; cached, as a file repeats a few hundred tags."""
    return local(tag).casefold()


def children(parent: Element | None, name: str) -> list[Element]:
    """The direct children of an element with this local name (any case)."""
    if parent is None:
        return []
    wanted = name.casefold()
    return [c for c in parent if _key(c.tag) == wanted]


def child(parent: Element | None, name: str) -> Element | None:
    found = children(parent, name)
    return found[0] if found else None


def first_by_name(activity: Element) -> dict[str, Element]:
    """The first element of each casefolded local name inside an activity, in one pass."""
    found: dict[str, Element] = {}
    for element in activity.iter():
        found.setdefault(_key(element.tag), element)
    return found


def text(element: Element | None) -> str | None:
    """The trimmed text of an element, or of the first (English if marked) LOM ``string``."""
    if element is None:
        return None
    strings = children(element, "string")
    if strings:
        english = [s for s in strings if (s.get("language") or "en").lower().startswith("en")]
        element = (english or strings)[0]
    value = (element.text or "").strip()
    return value or None


def name_of(element: Element | None, default: str) -> str:
    return local(element.tag) if element is not None else default


def first(*elements: Element | None) -> Element | None:
    """The first element found (an Element's truth value is its child count, so no ``or``)."""
    return next((e for e in elements if e is not None), None)


def attribute_or_child(element: Element, name: str) -> str | None:
    """A value given as an attribute (MEMS ``supportSource="..."``) or as a child element."""
    wanted = name.casefold()
    found = next((v for k, v in element.attrib.items() if local(k).casefold() == wanted), None)
    return found.strip() or None if found is not None else text(child(element, name))


class Fields:
    """The raw record being built, per field path the element it came from, and what made the
    element unreadable as a record (a contradiction the rules cannot see)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.columns: dict[str, str] = {}
        self.problems: list[FieldError] = []

    def put(self, path: str, value: object, where: str) -> None:
        self.columns[path] = where
        if value is not None and value != []:
            self.data[path] = value

    def reject(self, path: str, where: str, message: str) -> None:
        """Note a contradiction between elements, named as the rules name problems."""
        self.problems.append(FieldError(f'{path} (element "{where}")', message))

    def put_list(self, path: str, values: Sequence[tuple[object, str]], where: str) -> None:
        """A list field, each item with the element it came from."""
        self.put(path, [value for value, _ in values], where)
        for j, (_, found) in enumerate(values):
            self.columns[f"{path}.{j}"] = found
