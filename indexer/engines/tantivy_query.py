"""SearchQuery -> tantivy Query objects. User text only ever becomes term values, never syntax."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from tantivy import FieldType, Occur, Query

from indexer.documents import day_number
from indexer.engines.tantivy_geo import GEO_FIELD
from indexer.engines.tantivy_lexicon import TermMatch
from indexer.engines.tantivy_schema import TEXT_BOOSTS, points_field
from indexer.query import SearchQuery
from indexer.vocabulary import FILTERS, FLAGS, MINIMUMS

EXACT_TITLE_BOOST = 100.0
PHRASE_TITLE_BOOST = 10.0


def all_of(clauses: list[Any]) -> Any:
    if not clauses:
        return Query.all_query()
    if len(clauses) == 1:
        return clauses[0]
    return Query.boolean_query([(Occur.Must, c) for c in clauses])


def any_of(clauses: list[Any]) -> Any:
    if not clauses:
        return Query.empty_query()
    return Query.boolean_query([(Occur.Should, c) for c in clauses])


def text_query(schema: Any, words: list[str], matches: list[TermMatch]) -> Any | None:
    """Every query word must be matched in some field, by itself or inside an n-gram
    (``indexer.query_terms``): exactly, through a word it reaches (typos, prefix) or a
    synonym."""
    if not words:
        return None
    singles = {m.term.start: m for m in matches if not m.term.ngram}
    ngrams: dict[int, list[TermMatch]] = {}
    for m in matches:
        if m.term.ngram and m.viable:
            ngrams.setdefault(m.term.start, []).append(m)
    clauses = [(Occur.Must, _cover(schema, 0, len(words), singles, ngrams, {}))]
    exact = Query.term_query(schema, "title_exact", " ".join(words))
    clauses.append((Occur.Should, Query.boost_query(exact, EXACT_TITLE_BOOST)))
    if len(words) > 1:
        phrase = Query.phrase_query(schema, "title", list[str | tuple[int, str]](words))
        clauses.append((Occur.Should, Query.boost_query(phrase, PHRASE_TITLE_BOOST)))
    return Query.boolean_query(clauses)


def _cover(
    schema: Any,
    start: int,
    end: int,
    singles: dict[int, TermMatch],
    ngrams: dict[int, list[TermMatch]],
    memo: dict[int, Any],
) -> Any:
    """Words ``start`` to ``end`` all matched: word by word, or with an n-gram for a run.

    Without n-grams this is every word AND-ed; each n-gram adds the alternative of matching
    its words as one.
    """
    if start in memo:
        return memo[start]
    if not any(at >= start for at in ngrams):
        found = all_of([_single(schema, singles, i) for i in range(start, end)])
    else:
        options = [
            [_single(schema, singles, start)] + _rest(schema, start + 1, end, singles, ngrams, memo)
        ]
        for m in ngrams.get(start, []):
            options.append(
                [_term(schema, m)] + _rest(schema, m.term.end, end, singles, ngrams, memo)
            )
        found = any_of([all_of(o) for o in options])
    memo[start] = found
    return found


def _rest(
    schema: Any,
    start: int,
    end: int,
    singles: dict[int, TermMatch],
    ngrams: dict[int, list[TermMatch]],
    memo: dict[int, Any],
) -> list[Any]:
    return [_cover(schema, start, end, singles, ngrams, memo)] if start < end else []


def _single(schema: Any, singles: dict[int, TermMatch], at: int) -> Any:
    """Word ``at`` alone; a word longer than any indexed word (query_terms.MAX_WORD_LENGTH)
    has no term and matches nothing."""
    match = singles.get(at)
    return _term(schema, match) if match is not None else Query.empty_query()


def _term(schema: Any, match: TermMatch) -> Any:
    """One term in any text field: exactly, a word it reaches, or one of its synonyms."""
    text, reach = match.term.text, match.reach
    options = []
    for name, boost in TEXT_BOOSTS.items():
        options.append(Query.boost_query(Query.term_query(schema, name, text), boost * 2))
        if reach.typos:
            options.append(Query.boost_query(_any_term(schema, name, reach.typos), boost * 0.5))
        if reach.prefixes:
            prefixes = _any_term(schema, name, reach.prefixes)
            options.append(Query.boost_query(prefixes, boost * 0.75))
        for phrase in match.term.synonyms:
            options.append(Query.boost_query(_phrase(schema, name, phrase), boost * 1.5))
        if match.split:
            options.append(Query.boost_query(_phrase(schema, name, match.split), boost * 0.5))
    return any_of(options)


# Up to this many words, term queries beat a term set, whose automaton costs more to build
# than a few postings lookups (measured: a 3-word term set doubled a typical search's time).
TERM_SET_FROM = 16


def _any_term(schema: Any, field: str, words: tuple[str, ...]) -> Any:
    """Documents holding any of ``words`` in ``field``, the cheaper way for that many."""
    if len(words) >= TERM_SET_FROM:
        return Query.term_set_query(schema, field, list(words))
    return any_of([Query.term_query(schema, field, w) for w in words])


def side_by_side(schema: Any, left: str, right: str) -> Any:
    """Documents where ``left`` is followed by ``right`` in some text field."""
    return any_of([_phrase(schema, name, (left, right)) for name in TEXT_BOOSTS])


def _phrase(schema: Any, field: str, words: tuple[str, ...]) -> Any:
    if len(words) == 1:
        return Query.term_query(schema, field, words[0])
    return Query.phrase_query(schema, field, list[str | tuple[int, str]](words))


def filter_clauses(
    schema: Any, query: SearchQuery, today: date, *, without: str | None = None
) -> list[Any]:
    """Every filter of the query as tantivy clauses, leaving out facet group ``without``."""
    clauses = [_range(schema, "end_day", FieldType.Integer, day_number(today), None)]
    for param in FILTERS:
        values = query.selected(param.name)
        if values and param.name != without:
            clauses.append(_any_term(schema, param.field, values))
    if query.date_from:
        clauses.append(
            _range(schema, "end_day", FieldType.Integer, day_number(query.date_from), None)
        )
    if query.date_to:
        clauses.append(
            _range(schema, "start_day", FieldType.Integer, None, day_number(query.date_to))
        )
    for param in FLAGS:
        if param.name in query.flags:
            clauses.append(Query.term_query(schema, param.field, param.name))
    for param in MINIMUMS:
        minimum = query.minimum(param.name)
        if minimum is not None:
            boards = query.selected("board") if param.per_board else ()
            clauses.append(_at_least(schema, str(param.field), boards, minimum))
    return clauses


def _range(schema: Any, field: str, kind: Any, low: Any, high: Any) -> Any:
    return Query.range_query(schema, field, kind, low, high)


def _at_least(schema: Any, field: str, boards: Iterable[str], minimum: float) -> Any:
    """``field`` at least ``minimum``, or, given boards, one board's points at least that."""
    fields = [points_field(b) for b in boards] or [field]
    return any_of([_range(schema, f, FieldType.Float, minimum, None) for f in fields])


def as_filter(clauses: list[Any]) -> Any:
    """Filters restrict without adding to the relevance score."""
    return Query.const_score_query(all_of(clauses), 0.0)


# Up to this many numbers, term queries beat a term set on the numeric doc_num field
# (measured at 100k: 20 numbers 0.04 ms against 0.63 ms, 500 numbers 0.86 ms against 3.2 ms;
# at 2,000 the term set wins, 5.5 ms against 12 ms).
DOC_SET_FROM = 1_000


def doc_set(schema: Any, numbers: list[int]) -> Any:
    """Documents numbered ``numbers`` (tantivy_schema.doc_num)."""
    if len(numbers) >= DOC_SET_FROM:
        return Query.term_set_query(schema, "doc_num", numbers)
    return any_of([Query.term_query(schema, "doc_num", n) for n in numbers])


def cell_set(schema: Any, cells: Sequence[str]) -> Any:
    """Documents in any of the grid cells ``cells`` (tantivy_geo terms)."""
    return Query.term_set_query(schema, GEO_FIELD, list(cells)) if cells else Query.empty_query()


def set_without(schema: Any, members: Any, outside: list[int]) -> Any:
    """The documents of ``members`` except those numbered ``outside``.

    The radius filter is its cells minus the edge members the exact test put outside the
    circle, not the set of those inside: a term set of tens of thousands of numbers made
    every search and facet count near a city several times slower.
    """
    if not outside:
        return members
    return Query.boolean_query([(Occur.Must, members), (Occur.MustNot, doc_set(schema, outside))])
