"""The full-text index finds the same incidents on SQLite (FTS5) and on PostgreSQL (tsvector): each
run of the suite holds its database's index to one reference, written here in Python, for queries
chosen to find where two engines part: scripts, long words, digits, underscores, operators and
quotes of either query language. CI runs the suite on both (`make test`, `make test-postgres`)."""
from __future__ import annotations

import numpy as np
import pytest

from incidents.models import Incident, PublishedIncident
from incidents.publication import facet_index, fulltext
from incidents.publication.search_keys import query_keys
from tests.factories import make_facility, make_incident, move, publish

LONG = "д" * 1500 + "ж"  # 3,000 bytes in UTF-8: longer than PostgreSQL's longest lexeme
TEXTS = [
    "Избиение в ОТБ-1 Саратов, 2020 год: палата 0_0 и камера № 3",
    "Beatings at Saratov TB hospital 1; the warden Osechkin spoke",
    "Катування у Саратові: «Осєчкін» розповів, πρόσωπο 東京 مرحبا",
    f"Слово {LONG} в середине и потом конец",
    "Пытки водой; O'Brien и D'Arcy; AND OR NOT NEAR",
]
QUERIES = ["пытки", "Saratov", "Саратов 2020", "0_0", "0", "osetchkine", "Осечкин", "πρόσωπο", "東京", "مرحبا",
           LONG, LONG[:1400], "O'Brien", "d'arcy", "AND", "OR NOT", "NEAR", '"', "'", "\\", "a:*", "x & y | !z",
           "*", "(", "-", "палата камера", "камера катування", "1", "№", "...", "год:", "2020-03-15"]


def reference(words: list[tuple[str, ...]]) -> set[int]:
    """The sort keys of incidents holding, for every word, all the tokens of one of its keys."""
    found = set()
    for row in PublishedIncident.select(PublishedIncident.sort_key, PublishedIncident.search_keys):
        held = set(fulltext.tokens(row.search_keys))
        if words and all(any(fulltext.tokens(key) and set(fulltext.tokens(key)) <= held for key in keys)
                         for keys in words):
            found.add(row.sort_key)
    return found


@pytest.fixture
def published(users):
    place = make_facility(users["contributor"])
    for text in TEXTS:
        publish(make_incident(users["contributor"], place, title={"ru": text[:200]}, narrative={"ru": text}),
                users["contributor"], users["reviewer"])


@pytest.mark.parametrize("q", QUERIES)
def test_the_index_finds_what_the_reference_finds(published, q):
    """Does the index find, count and page exactly the incidents the reference finds for this query?"""
    words = query_keys(q)
    expected = reference(words)
    assert {row[0] for row in fulltext.all_keys(words)} == expected
    assert fulltext.count(words) == len(expected)
    assert fulltext.page(words, True, 3, 0) == sorted(expected, reverse=True)[:3]
    assert fulltext.page(words, False, 10, 1) == sorted(expected)[1:11]


def found_in_memory(arrays, words) -> set[int]:
    return {int(key) for key in arrays.keys[arrays.matching(words) & arrays.everything()]}


def test_the_arrays_find_what_the_index_finds(users, published, monkeypatch):
    """Do the in-memory arrays, which keep common tokens' incidents, find for every query exactly what the
    index finds: built, asked twice (the second time from what they kept), and after a publication
    and a retraction they followed from the log?"""
    monkeypatch.setitem(facet_index._built, "generation", None)
    monkeypatch.setitem(facet_index._built, "arrays", None)
    asked = [q for q in QUERIES if query_keys(q)]  # a query with no key is searched for as text instead
    for q in asked:
        words = query_keys(q)
        assert found_in_memory(facet_index.current(), words) == reference(words), q
        assert found_in_memory(facet_index.current(), words) == reference(words), q
    assert facet_index.current().token_bits, "no token was kept: the second asking proved nothing"
    built = facet_index.current()
    place = make_facility(users["contributor"], names={"en": "Another place"})
    publish(make_incident(users["contributor"], place, title={"ru": TEXTS[0][:200]}, narrative={"ru": TEXTS[1]}),
            users["contributor"], users["reviewer"])
    retracted = Incident.get_by_id(PublishedIncident.select().order_by(PublishedIncident.sort_key).first().incident_id)
    move(retracted, users["reviewer"], "retract", "Источник отозвал согласие")
    followed = facet_index.current()
    assert followed is not built and followed.built == built.built and followed.appended
    for q in asked:
        words = query_keys(q)
        assert found_in_memory(followed, words) == reference(words), q
    assert np.count_nonzero(followed.everything()) == PublishedIncident.select().count()


def test_the_reference_is_not_empty_handed(published):
    """Do the queries meant to match match something (a reference that finds nothing proves nothing)?"""
    for q in ("пытки", "Saratov", "0_0", "Осечкин", "東京", LONG, "O'Brien", "AND"):
        assert reference(query_keys(q)), q


def test_a_retracted_publication_leaves_the_index(users, published):
    """Is an incident no longer public no longer found?"""
    words = query_keys("Osechkin")
    before = {row[0] for row in fulltext.all_keys(words)}
    incident = Incident.get_by_id(PublishedIncident.get(PublishedIncident.sort_key == min(before)).incident_id)
    move(incident, users["reviewer"], "retract", "Источник отозвал согласие")
    assert {row[0] for row in fulltext.all_keys(words)} == before - {min(before)}
