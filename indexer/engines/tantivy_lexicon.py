"""The words of the tantivy index, and what each query word reaches among them.

Meilisearch derives typo and prefix matches from its sorted word list (``indexer.typos``);
tantivy's own fuzzy queries follow other rules (no extra cost for a first-letter typo), so the
embedded engine derives the same words here and searches for them as term sets. The word list
is read from the index once per index generation (every commit makes a new one), and what
each query word reaches is remembered until the next.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable
from typing import Any

from indexer.typos import Reach, reach

# Query words remembered per generation; random words from a hostile client cannot grow it.
MAX_REMEMBERED = 20_000


class Lexicon:
    """The sorted words of ``fields`` for one index generation, and their reaches."""

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = tuple(fields)
        self._lock = threading.Lock()
        self._generation: Hashable = None
        self._words: list[str] = []
        self._reaches: dict[tuple[str, bool], Reach] = {}

    def reaches(self, searcher: Any, generation: Hashable, words: list[str]) -> list[Reach]:
        """What each query word reaches; the last one also as a prefix."""
        vocabulary, known = self._current(searcher, generation)
        out = []
        for i, word in enumerate(words):
            key = (word, i == len(words) - 1)
            found = known.get(key)
            if found is None:
                found = reach(word, vocabulary, prefix=key[1])
                if len(known) < MAX_REMEMBERED:
                    known[key] = found
            out.append(found)
        return out

    def _current(
        self, searcher: Any, generation: Hashable
    ) -> tuple[list[str], dict[tuple[str, bool], Reach]]:
        with self._lock:
            if generation != self._generation:
                terms = {t for f in self.fields for t, _ in searcher.terms_with_prefix(f, "")}
                self._words, self._reaches = sorted(terms), {}
                self._generation = generation
            return self._words, self._reaches
