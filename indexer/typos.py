"""Which indexed words a query word reaches: exactly, as a prefix, or with typos.

The rules are Meilisearch's (milli ``search/new/query_term/compute_derivations.rs``), so the
embedded engine finds what the production engine finds:

- no typo in words under 5 letters, one from 5, two from 9; none in numbers;
- a typo costs one edit (substitution, insertion, deletion or an adjacent transposition),
  except on the first letter, where it costs two: a 5-8 letter word must keep its first
  letter, and a 9+ letter word may change it only if nothing else changes;
- the last word of a query also matches as a prefix (with the same typo rules on the prefix);
- at most 150 one-typo and 50 two-typo words per query word, in alphabetical order.

Highlighting uses the same rules, so what is marked is what matched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

MAX_ONE_TYPO = 150
MAX_TWO_TYPOS = 50


def typo_budget(word: str) -> int:
    """How many typos a query word may carry (numbers none: typoTolerance.disableOnNumbers)."""
    if word.isdigit() or len(word) < 5:
        return 0
    return 1 if len(word) < 9 else 2


def distance(word: str, token: str, limit: int, *, prefix: bool) -> int:
    """Optimal string alignment distance of ``word`` to ``token`` (with ``prefix``: to the
    closest prefix of ``token``), or ``limit + 1`` once it is certainly above ``limit``."""
    if not prefix and abs(len(word) - len(token)) > limit:
        return limit + 1
    # Rows run over the token, columns over the word: row j holds the distances of word[:i]
    # to token[:j]; with prefix, the answer is the best last column over all rows.
    previous2: list[int] = []
    previous = list(range(len(word) + 1))
    best = previous[-1] if prefix else limit + 1
    for j, ct in enumerate(token, 1):
        current = [j] + [0] * len(word)
        for i, cw in enumerate(word, 1):
            cost = 0 if cw == ct else 1
            current[i] = min(previous[i] + 1, current[i - 1] + 1, previous[i - 1] + cost)
            if i > 1 and j > 1 and cw == token[j - 2] and word[i - 2] == ct:
                current[i] = min(current[i], previous2[i - 2] + 1)
        if prefix:
            best = min(best, current[-1])
        if min(current) > limit:
            return min(best, limit + 1)
        previous2, previous = previous, current
    return min(best, limit + 1) if prefix else min(previous[-1], limit + 1)


@lru_cache(maxsize=65_536)  # highlighting asks the same pairs page after page
def typo_cost(word: str, token: str, *, prefix: bool, budget: int | None = None) -> int | None:
    """The typos ``token`` costs as a match of ``word`` (0 for an exact or prefix match), or
    None when it is not a match within the word's budget (or ``budget``)."""
    if token == word or (prefix and token.startswith(word)):
        return 0
    budget = typo_budget(word) if budget is None else budget
    if budget == 0 or not token:
        return None
    if token[0] != word[0]:
        # A first-letter typo counts twice: only a 9+ letter word, and nothing else may differ.
        return 2 if budget == 2 and distance(word, token, 1, prefix=prefix) <= 1 else None
    cost = distance(word, token, budget, prefix=prefix)
    return cost if cost <= budget else None


@dataclass(frozen=True)
class Reach:
    """The indexed words one query word matches, besides itself: with typos, as a prefix."""

    typos: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()


def reach(
    word: str, vocabulary: Iterable[str], *, prefix: bool, budget: int | None = None
) -> Reach:
    """Match ``word`` against ``vocabulary`` (sorted, as Meilisearch's word list) under the
    rules above, keeping the first 150 one-typo and 50 two-typo words. ``budget`` overrides
    the typos a word may carry (an n-gram carries fewer)."""
    one: list[str] = []
    two: list[str] = []
    prefixes: list[str] = []
    budget = typo_budget(word) if budget is None else budget
    shortest, longest = len(word) - budget, len(word) + budget
    for token in vocabulary:
        # Most words are too short or too long to be within reach: skip them cheaply.
        if len(token) < shortest or (not prefix and len(token) > longest):
            continue
        cost = typo_cost(word, token, prefix=prefix, budget=budget)
        if cost == 0 and token != word:
            prefixes.append(token)
        elif cost == 1 and len(one) < MAX_ONE_TYPO:
            one.append(token)
        elif cost == 2 and len(two) < MAX_TWO_TYPOS:
            two.append(token)
    return Reach(typos=tuple(one + two), prefixes=tuple(prefixes))
