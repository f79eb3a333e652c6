"""Medical abbreviations and synonyms that physicians type ("chf", "peds", "obgyn"), as
reference data with a source for each (``data/synonyms.json``).

A term is one or more words; each of its meanings is a phrase of words. Both are lower-case
letters and digits: the search engines fold text the same way before they compare.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

Words = tuple[str, ...]


def _words(text: str) -> Words:
    return tuple(text.lower().split())


def parse_synonyms(raw: Mapping[str, Any]) -> dict[Words, tuple[Words, ...]]:
    """Term words -> meanings; a term listed twice keeps every meaning once, in order."""
    out: dict[Words, tuple[Words, ...]] = {}
    for entry in raw["entries"]:
        term = _words(entry["term"])
        meanings = [_words(m) for m in entry["means"]]
        out[term] = tuple(dict.fromkeys([*out.get(term, ()), *meanings]))
    return out


@cache
def synonyms() -> dict[Words, tuple[Words, ...]]:
    """The shipped synonyms, loaded on first use."""
    return parse_synonyms(raw_synonyms())


@cache
def raw_synonyms() -> dict[str, Any]:
    text = resources.files("catalog").joinpath("data/synonyms.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
