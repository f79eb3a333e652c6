"""The words of the tantivy index, and what each query word reaches among them.

Meilisearch derives typo and prefix matches from its sorted word list (``indexer.typos``);
tantivy's own fuzzy queries follow other rules (no extra cost for a first-letter typo), so the
embedded engine derives the same words here and searches for them as term sets. The word list
is read from the index once per index generation (every commit makes a new one), and what
each query word reaches is remembered until the next.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from indexer.query_terms import Term
from indexer.typos import Reach, reach

# Query words remembered per generation; random words from a hostile client cannot grow it.
MAX_REMEMBERED = 20_000


@dataclass(frozen=True)
class TermMatch:
    """A query term with the index words it reaches; an n-gram is only worth searching for
    when it is a word of the index, reaches one, or has synonyms."""

    term: Term
    reach: Reach
    known: bool
    split: tuple[str, str] | None = None  # two index words it may be read as ("heart failure")

    @property
    def viable(self) -> bool:
        found = self.reach.typos or self.reach.prefixes or self.term.synonyms or self.split
        return self.known or bool(found)


@dataclass(frozen=True)
class Derived:
    """What one term finds in one generation of the index."""

    reach: Reach
    known: bool
    split: tuple[str, str] | None


PairCount = Callable[[str, str], int]


def _is_word(vocabulary: list[str], word: str) -> bool:
    at = bisect.bisect_left(vocabulary, word)
    return at < len(vocabulary) and vocabulary[at] == word


def _best_split(word: str, vocabulary: list[str], pairs: PairCount) -> tuple[str, str] | None:
    """Meilisearch's split_best_frequency: of the ways to cut ``word`` into two index words,
    the one whose halves stand side by side in the most documents (the first on a tie)."""
    best: tuple[int, tuple[str, str]] | None = None
    for at in range(1, len(word)):
        left, right = word[:at], word[at:]
        if not (_is_word(vocabulary, left) and _is_word(vocabulary, right)):
            continue
        count = pairs(left, right)
        if count and (best is None or count > best[0]):
            best = (count, (left, right))
    return best[1] if best else None


class Lexicon:
    """The sorted words of ``fields`` for one index generation, and their reaches."""

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = tuple(fields)
        self._lock = threading.Lock()
        self._generation: Hashable = None
        self._words: list[str] = []
        self._reaches: dict[tuple[str, bool, int], Derived] = {}

    def matches(
        self, searcher: Any, generation: Hashable, terms: list[Term], pairs: PairCount
    ) -> list[TermMatch]:
        """What each query term reaches, whether it is itself a word of the index, and the
        split into two index words found next to each other most often (``pairs`` counts
        the documents where two words stand side by side)."""
        vocabulary, remembered = self._current(searcher, generation)
        out = []
        for term in terms:
            key = (term.text, term.prefix, term.budget)
            found = remembered.get(key)
            if found is None:
                found = Derived(
                    reach(term.text, vocabulary, prefix=term.prefix, budget=term.budget),
                    _is_word(vocabulary, term.text),
                    _best_split(term.text, vocabulary, pairs),
                )
                if len(remembered) < MAX_REMEMBERED:
                    remembered[key] = found
            split = found.split
            if (
                term.ngram
                and split is not None
                and "".join(split) == term.text
                and (term.end - term.start == 2)
            ):
                split = None  # "heart failure" read back as its own two words adds nothing
            out.append(TermMatch(term, found.reach, found.known, split))
        return out

    def _current(
        self, searcher: Any, generation: Hashable
    ) -> tuple[list[str], dict[tuple[str, bool, int], Derived]]:
        with self._lock:
            if generation != self._generation:
                terms = {t for f in self.fields for t, _ in searcher.terms_with_prefix(f, "")}
                self._words, self._reaches = sorted(terms), {}
                self._generation = generation
            return self._words, self._reaches
