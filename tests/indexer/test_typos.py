"""Meilisearch's typo and prefix rules (milli compute_derivations.rs), as indexer.typos
applies them for tantivy and for highlighting."""

from __future__ import annotations

import pytest

from indexer.typos import (
    MAX_ONE_TYPO,
    MAX_TWO_TYPOS,
    Reach,
    distance,
    reach,
    typo_budget,
    typo_cost,
)


@pytest.mark.parametrize(
    ("word", "budget"),
    [("hert", 0), ("sleep", 1), ("cardiolo", 1), ("cardiolog", 2), ("123456", 0), ("2029", 0)],
)
def test_budget_grows_with_length_and_numbers_have_none(word: str, budget: int) -> None:
    assert typo_budget(word) == budget


@pytest.mark.parametrize(
    ("word", "token", "prefix", "cost"),
    [
        ("sleep", "sleep", False, 0),
        ("slee", "sleep", True, 0),
        ("sleep", "sleeps", False, 1),
        ("sleep", "slepe", False, 1),  # a transposition is one typo
        ("sleep", "xleep", False, None),  # first letter: two typos, over a 5-letter budget
        ("xleep", "sleep", False, None),
        ("kardiology", "cardiology", False, 2),  # first letter on a 9+ letter word: allowed
        ("kardiolgy", "cardiology", False, None),  # ... but nothing else may differ
        ("ardiology", "cardiology", False, 2),  # a dropped first letter is a first-letter typo
        ("pediatric", "geriatric", False, None),
        ("cardiolgy", "cardiology", False, 1),
        ("nefrology", "nephrology", False, 2),
        ("ashtm", "asthma", True, 1),  # the prefix "asthm" is one transposition away
        ("ashtm", "asthma", False, None),
        ("hert", "heart", False, None),
    ],
)
def test_typo_cost(word: str, token: str, prefix: bool, cost: int | None) -> None:
    assert typo_cost(word, token, prefix=prefix) == cost


def test_prefix_distance_is_to_the_closest_prefix() -> None:
    assert distance("cardio", "cardiology", 1, prefix=True) == 0
    assert distance("cardoi", "cardiology", 1, prefix=True) == 1
    assert distance("cardio", "cardiology", 1, prefix=False) == 2  # over the limit: limit + 1


def test_reach_sorts_typos_and_prefixes_apart() -> None:
    vocabulary = sorted(["sleep", "sleeps", "sleepy", "slept", "sweep", "xleep", "sheep"])
    expected = Reach(typos=("sheep", "sleeps", "sleepy", "sweep"))
    assert reach("sleep", vocabulary, prefix=False) == expected
    found = reach("sleep", vocabulary, prefix=True)
    assert found.prefixes == ("sleeps", "sleepy")
    assert "xleep" not in found.typos


def test_reach_keeps_at_most_150_one_typo_and_50_two_typo_words() -> None:
    word = "abcdefghij"  # 10 letters: two typos
    one = sorted(word[:5] + c + word[6:] for c in "0123456789klmnopqrstuvwxyz" for _ in (0,))
    one = sorted({word[:i] + "z" + word[i + 1 :] for i in range(1, 10)} | set(one))
    two = sorted({word[:3] + a + b + word[5:] for a in "0123456789" for b in "0123456789"})
    found = reach(word, sorted(set(one) | set(two)), prefix=False)
    assert len(found.typos) <= MAX_ONE_TYPO + MAX_TWO_TYPOS
    assert sum(1 for t in found.typos if typo_cost(word, t, prefix=False) == 2) == MAX_TWO_TYPOS
