"""Query words, typo budgets and highlighting, shared by both engines.

The rules follow Meilisearch's defaults so the two engines agree: no typo under 5 letters,
1 from 5, 2 from 9; a transposition counts as one typo; the last word also matches as a prefix.
"""

from __future__ import annotations

import html
import re

from indexer.documents import fold

WORD = re.compile(r"\w+")
MAX_WORDS = 10  # Meilisearch reads only the first 10 words of q


def query_words(q: str | None) -> list[str]:
    """Split free text into folded words, as the index analyser does."""
    if not q:
        return []
    return [w for w in WORD.findall(fold(q)) if w != "_"][:MAX_WORDS]


def typo_budget(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 9 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (adjacent transposition = 1), stopping past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def word_matches(token: str, word: str, *, prefix: bool) -> bool:
    """Whether an indexed token matches a query word under the typo and prefix rules."""
    budget = typo_budget(word)
    if token == word or (prefix and token.startswith(word)):
        return True
    if budget == 0:
        return False
    if prefix and len(token) > len(word):
        return edit_distance(token[: len(word)], word, budget) <= budget
    return edit_distance(token, word, budget) <= budget


def highlight(text: str, words: list[str]) -> str:
    """HTML-escape ``text`` and wrap the words that match the query in <mark>."""
    out, last = [], 0
    for match in WORD.finditer(text):
        token = fold(match.group())
        hit = any(word_matches(token, w, prefix=(i == len(words) - 1)) for i, w in enumerate(words))
        if hit:
            out.append(html.escape(text[last : match.start()]))
            out.append(f"<mark>{html.escape(match.group())}</mark>")
            last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
