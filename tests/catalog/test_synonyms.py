"""The shipped medical abbreviations and synonyms: enough of them, each sourced, each in the
folded form the engines compare (lower-case words), none listed twice."""

from __future__ import annotations

import re

from catalog.synonyms import parse_synonyms, raw_synonyms, synonyms

WORDS = re.compile(r"^[a-z0-9]+( [a-z0-9]+)*$")


def test_at_least_150_entries_each_with_a_known_source() -> None:
    raw = raw_synonyms()
    assert len(raw["entries"]) >= 150
    assert all(e["source"] in raw["sources"] for e in raw["entries"])
    assert all(s["title"] for s in raw["sources"].values())


def test_terms_and_meanings_are_folded_words_and_terms_are_unique() -> None:
    entries = raw_synonyms()["entries"]
    assert all(WORDS.match(e["term"]) for e in entries)
    assert all(WORDS.match(m) for e in entries for m in e["means"])
    terms = [e["term"] for e in entries]
    assert len(terms) == len(set(terms))


def test_what_physicians_type() -> None:
    found = synonyms()
    assert found[("chf",)] == (("congestive", "heart", "failure"), ("heart", "failure"))
    assert ("otolaryngology",) in found[("ent",)]
    assert ("obstetrics", "and", "gynecology") in found[("obgyn",)]
    assert found[("heart", "attack")] == (("myocardial", "infarction"),)
    assert found[("anaesthesia",)] == (("anesthesia",),)


def test_a_term_given_twice_keeps_every_meaning_once() -> None:
    raw = {
        "entries": [
            {"term": "af", "means": ["atrial fibrillation"]},
            {"term": "AF", "means": ["atrial flutter", "atrial fibrillation"]},
        ]
    }
    assert parse_synonyms(raw) == {("af",): (("atrial", "fibrillation"), ("atrial", "flutter"))}
