"""Query words, typo budgets and highlighting, shared by both engines.

Words match as ``indexer.typos`` says (Meilisearch's rules), so a highlighted word is one
that matched.
"""

from __future__ import annotations

import html
import re

from indexer.documents import fold
from indexer.typos import typo_cost

WORD = re.compile(r"\w+")
MAX_WORDS = 10  # Meilisearch reads only the first 10 words of q


def query_words(q: str | None) -> list[str]:
    """Split free text into folded words, as the index analyser does."""
    if not q:
        return []
    return [w for w in WORD.findall(fold(q)) if w != "_"][:MAX_WORDS]


def highlight(text: str, words: list[str]) -> str:
    """HTML-escape ``text`` and wrap the words that match the query in <mark>."""
    out, last = [], 0
    for match in WORD.finditer(text):
        token = fold(match.group())
        final = len(words) - 1
        hit = any(typo_cost(w, token, prefix=i == final) is not None for i, w in enumerate(words))
        if hit:
            out.append(html.escape(text[last : match.start()]))
            out.append(f"<mark>{html.escape(match.group())}</mark>")
            last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
