"""The terms a search looks for: each word, and each run of 2 or 3 consecutive words read as
one (an n-gram), with their synonyms, as Meilisearch builds them (milli
``search/new/query_term/parse_query.rs``).

An n-gram is matched as one word made of its words run together ("ob gyn" as "obgyn",
"health care" as "healthcare") with one typo fewer per extra word, and brings the synonyms of
both spellings. A search matches when every word is matched, by itself or inside an n-gram.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from indexer.typos import typo_budget

Words = tuple[str, ...]
MAX_NGRAM = 3
MAX_WORD_LENGTH = 250  # Meilisearch's MAX_WORD_LENGTH; longer n-grams are not formed


@dataclass(frozen=True)
class Term:
    """A word, or an n-gram spanning query words ``start`` to ``end`` (exclusive)."""

    text: str
    start: int
    end: int
    prefix: bool  # the last word of the query is also matched as a prefix
    budget: int  # typos allowed
    synonyms: tuple[Words, ...] = ()

    @property
    def ngram(self) -> bool:
        return self.end - self.start > 1


def query_terms(words: list[str], synonyms: Mapping[Words, tuple[Words, ...]]) -> list[Term]:
    """Every word and n-gram of ``words``, with its typo budget and synonyms."""
    terms = []
    last = len(words) - 1
    for start in range(len(words)):
        for size in range(1, MAX_NGRAM + 1):
            end = start + size
            if end > len(words):
                break
            parts = tuple(words[start:end])
            text = "".join(parts)
            if len(text) > MAX_WORD_LENGTH:
                break
            meanings = synonyms.get((text,), ())
            if size > 1:
                meanings = tuple(dict.fromkeys([*synonyms.get(parts, ()), *meanings]))
            budget = max(0, typo_budget(text) - (size - 1))
            terms.append(Term(text, start, end, end - 1 == last, budget, meanings))
    return terms
