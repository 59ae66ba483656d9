"""Facet counts at scale: the facet values of every published incident, counted in memory.

Counting a facet in SQL costs a lookup per incident counted; a filter that leaves most of a
million incidents (a common word, a period) makes that seconds. Here each process keeps, per
published incident in sort-key order, its facility, country, region, year, last day,
verification status and terms in numpy arrays (about 40 MB for a million incidents) and counts any combination of filters
with vectorised operations in milliseconds.

The arrays are built from indexes only (about 4.5 seconds for a million incidents). When
``facet_counts.generation()`` shows that what is published changed, the next count that needs them
follows the log of changes instead (``facet_counts.changes_since``): an incident withdrawn is
struck out where it stands, one published (or published again, edited) is appended after the
others. So a publication costs the next request in each process a few milliseconds, not a rebuild;
the arrays are built afresh only when the log no longer reaches back far enough, after a change to
many incidents at once (a facility moved), or once the struck-out and appended rows pass
``REBUILD_SHARE`` of them. ``search/filters.py`` decides what each filter means (``mask`` helpers
below take already-parsed values) and uses these arrays only when there are many incidents to count.
"""
from __future__ import annotations

import copy
import itertools
import threading
from functools import reduce

import numpy as np
from peewee import fn

from incidents import memory
from incidents.db import database, day_number
from incidents.models import Facility, PublishedIncident, PublishedTerm
from incidents.publication import facet_counts, fulltext

TERMS = ("abuse", "perpetrators")
# date.toordinal() of 1970-01-01: numpy counts days from there.
EPOCH_ORDINAL = 719163
# Built afresh once this share of the rows was struck out or appended since the last build, or when
# more changes than ``MAX_FOLLOWED`` wait: following them would cost more than building.
REBUILD_SHARE, MAX_FOLLOWED = 0.05, 5_000
# A search token held by at least this share of the incidents keeps its set of incidents here, as
# bits (125 KB for a million), at most TOKENS_KEPT of them: a common word then costs a lookup, not
# reading hundreds of thousands of keys from the index at every search.
TOKEN_KEPT_FROM, TOKENS_KEPT = 0.01, 64
# Vocabulary facets over fewer than one incident in this many are counted incident by incident.
FEW_TERMS = 16


def _column(query) -> np.ndarray:
    """A query's selected integers as int64, row after row, without a Python object per row
    (the raw cursor: no model or field conversion)."""
    return np.fromiter(itertools.chain.from_iterable(database.execute(query)), dtype=np.int64)


class Arrays:
    """Facet values of every published incident, position by position in sort-key order."""

    def __init__(self) -> None:
        # One pass over one index: each incident's key, facility and last day (0: its first).
        rows = _column(PublishedIncident.select(
            PublishedIncident.sort_key, PublishedIncident.facility,
            fn.COALESCE(day_number(PublishedIncident.date_end), 0)).order_by(PublishedIncident.sort_key)
        ).reshape(-1, 3)
        self.keys = rows[:, 0].copy()
        self.size = len(self.keys)
        first_days = (self.keys >> 32).astype(np.int32)
        self.last_day = np.maximum(first_days, rows[:, 2].astype(np.int32))
        facilities = rows[:, 1].astype(np.int32)
        del rows
        years = (first_days - EPOCH_ORDINAL).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int32) + 1970
        year_labels = np.unique(years).tolist()
        self.columns: dict[str, tuple[np.ndarray, list]] = {
            "year": (np.searchsorted(np.array(year_labels, dtype=np.int32), years).astype(np.int32), year_labels)}
        # A published incident's country and region are its facility's (publish copies them).
        facility_labels = np.unique(facilities)
        facility_codes = np.searchsorted(facility_labels, facilities).astype(np.int32)
        self.columns["facility"] = (facility_codes, facility_labels.tolist())
        places = dict(((key, (country, region)) for key, country, region in Facility.select(
            Facility.id, Facility.country, Facility.region).where(Facility.id.in_(facility_labels.tolist())).tuples()))
        for index, name in enumerate(("country", "region")):
            of_facility = [places[key][index] for key in facility_labels.tolist()]
            labels = sorted({value for value in of_facility if value is not None})
            lookup = np.array([labels.index(value) if value is not None else -1 for value in of_facility] or [0],
                              dtype=np.int32)
            self.columns[name] = (lookup[facility_codes], labels)
        # Verification: one index range per status (most incidents have the first, "unassessed").
        labels = sorted(value for value, _n in facet_counts.read("verification"))
        codes = np.full(self.size, -1, dtype=np.int32)
        for code, label in enumerate(labels):
            codes[self._positions(_column(PublishedIncident.select(PublishedIncident.sort_key)
                                          .where(PublishedIncident.verification == label)))] = code
        self.columns["verification"] = (codes, labels)
        # Terms: for each vocabulary, the incidents (as positions) having each code, one code's after
        # another; code i's are positions[offsets[i]:offsets[i + 1]]. Counted segment by segment
        # (``counts``), four times quicker than a code beside each position to tally. And the same
        # terms incident by incident (``by_row``), for a few incidents selected: picking out their
        # codes is quicker than going through every position.
        ids = (self.keys & 0xFFFFFFFF).astype(np.int64)
        # Positions as numpy's own index type: indexing with any other converts all of them first.
        position_of_id = np.full(int(ids.max()) + 1 if self.size else 1, -1, dtype=np.intp)
        position_of_id[ids] = np.arange(self.size)
        self.terms: dict[str, tuple[np.ndarray, np.ndarray, list]] = {}
        self.by_row: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in TERMS:
            labels = sorted(value for value, _n in facet_counts.read(name))
            positions = [position_of_id[_column(PublishedTerm.select(PublishedTerm.incident).where(
                (PublishedTerm.vocabulary == name) & (PublishedTerm.code == label)))] for label in labels]
            self.terms[name] = (np.concatenate(positions) if positions else np.zeros(0, dtype=np.intp),
                                np.cumsum([0] + [len(found) for found in positions], dtype=np.int64), labels)
            # Incident by incident: row r's codes are codes[starts[r]:starts[r + 1]], each code put
            # in its rows' next free places (no sort of every position: less memory while building).
            starts = np.zeros(self.size + 1, dtype=np.int32)
            np.cumsum(np.bincount(self.terms[name][0], minlength=self.size), out=starts[1:])
            codes, free = np.empty(len(self.terms[name][0]), dtype=np.int16), starts[:-1].copy()
            for index, rows in enumerate(positions):
                codes[free[rows]] = index
                free[rows] += 1
            self.by_row[name] = (codes, starts)
        # What changed since the build: rows struck out, rows appended (after ``built``, out of key
        # order, found through ``appended``), and the appended rows' terms.
        self.alive = np.ones(self.size, dtype=bool)
        self.totals: dict[str, np.ndarray] = {}  # see _column_totals
        self.built, self.struck = self.size, 0
        self.appended: dict[int, int] = {}
        self.extra_terms = {name: (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)) for name in TERMS}
        # Common tokens' incidents among the rows built (packed bits), shared by every copy that follows
        # the log (those rows never change: one changed is struck out and appended); the appended
        # rows' tokens, per copy.
        self.token_bits: dict[str, np.ndarray] = {}
        self.token_lock = threading.Lock()
        self.appended_tokens: dict[str, list[int]] = {}

    def stale(self) -> bool:
        """Whether so much changed since the build that building afresh is the better course."""
        return self.struck + len(self.appended) > max(REBUILD_SHARE * self.built, 100)

    def followed(self, changes: list[tuple[int, str, int]]) -> Arrays:
        """A copy holding ``changes`` (``facet_counts.changes_since``; no "all" among them): the
        readers of this one go on undisturbed."""
        new = copy.copy(self)
        new.alive, new.appended, new.totals = self.alive.copy(), dict(self.appended), {}
        new.appended_tokens = {token: list(positions) for token, positions in self.appended_tokens.items()}
        new.columns = {name: (codes, list(labels)) for name, (codes, labels) in self.columns.items()}
        new.terms = {name: (positions, offsets, list(labels)) for name, (positions, offsets, labels) in self.terms.items()}
        added: dict[int, None] = {}
        for _generation, change, key in changes:
            new._strike(key)  # an incident published again replaces its row
            added.pop(key, None)
            if change == "add":
                added[key] = None
        new._append(list(added))
        return new

    def _strike(self, key: int) -> None:
        position = self.appended.pop(key, None)
        if position is None and self.built:
            found = int(np.searchsorted(self.keys[:self.built], key))
            position = found if found < self.built and self.keys[found] == key and self.alive[found] else None
        if position is not None:
            self.alive[position] = False
            self.struck += 1

    def _append(self, keys: list[int]) -> None:
        """Append the published incidents with these keys, as they are now (one withdrawn since is
        left out: its removal follows in the log)."""
        rows = list(PublishedIncident.select(
            PublishedIncident.sort_key, PublishedIncident.facility, fn.COALESCE(day_number(PublishedIncident.date_end), 0),
            PublishedIncident.country, PublishedIncident.region, PublishedIncident.verification,
            PublishedIncident.search_keys).where(PublishedIncident.sort_key.in_(keys)).tuples()) if keys else []
        if not rows:
            return
        start = self.size
        new_keys = np.array([row[0] for row in rows], dtype=np.int64)
        first_days = (new_keys >> 32).astype(np.int32)
        years = (first_days - EPOCH_ORDINAL).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int32) + 1970
        values = {"facility": [row[1] for row in rows], "country": [row[3] for row in rows],
                  "region": [row[4] for row in rows], "verification": [row[5] for row in rows],
                  "year": years.tolist()}
        for name, (codes, labels) in self.columns.items():
            self.columns[name] = (np.concatenate([codes, np.array(
                [_code(labels, value) for value in values[name]], dtype=np.int32)]), labels)
        self.keys = np.concatenate([self.keys, new_keys])
        self.last_day = np.concatenate([self.last_day, np.maximum(first_days, np.array(
            [row[2] for row in rows], dtype=np.int32))])
        self.alive = np.concatenate([self.alive, np.ones(len(rows), dtype=bool)])
        self.size += len(rows)
        position_of_id = {int(key) & 0xFFFFFFFF: start + i for i, key in enumerate(new_keys)}
        self.appended.update((int(key), start + i) for i, key in enumerate(new_keys))
        for i, row in enumerate(rows):
            for token in set(fulltext.tokens(row[6])):
                self.appended_tokens.setdefault(token, []).append(start + i)
        for name in TERMS:
            found = [(position_of_id[incident], _code(self.terms[name][2], code)) for incident, code in
                     PublishedTerm.select(PublishedTerm.incident, PublishedTerm.code).where(
                         (PublishedTerm.vocabulary == name) & PublishedTerm.incident.in_(list(position_of_id))).tuples()]
            positions, codes = self.extra_terms[name]
            self.extra_terms[name] = (np.concatenate([positions, np.array([p for p, _c in found], dtype=np.int64)]),
                                      np.concatenate([codes, np.array([c for _p, c in found], dtype=np.int32)]))

    def _positions(self, keys: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.keys, keys)

    def _mark_built(self, mask: np.ndarray, keys: np.ndarray) -> None:
        """Set ``mask`` where a row of the build (in key order) has one of ``keys`` (any order)."""
        if self.built and len(keys):
            positions = np.minimum(np.searchsorted(self.keys[:self.built], keys), self.built - 1)
            mask[positions[self.keys[positions] == keys]] = True

    # Masks: one boolean per published incident, True where a condition holds.

    def everything(self) -> np.ndarray:
        return self.alive.copy()

    def equal_to(self, name: str, values) -> np.ndarray:
        """The column ``name`` holds one of ``values``."""
        codes, labels = self.columns[name]
        wanted = [labels.index(value) for value in values if value in labels]
        return codes == wanted[0] if len(wanted) == 1 else np.isin(codes, wanted)

    def in_period(self, first_day: int | None, bound: int | None) -> np.ndarray:
        """Incidents whose last day is ``first_day`` (an ordinal) or later and whose key is below
        ``bound`` (their first day is before it): either may be None. One array for both ends."""
        mask = self.last_day >= first_day if first_day is not None else np.ones(self.size, dtype=bool)
        if bound is not None:  # the built rows below a key are the first ones
            mask[np.searchsorted(self.keys[:self.built], bound):self.built] = False
            mask[self.built:] &= self.keys[self.built:] < bound
        return mask

    def having(self, name: str, code: str) -> np.ndarray:
        positions, offsets, labels = self.terms[name]
        mask = np.zeros(self.size, dtype=bool)
        if code in labels:
            index = labels.index(code)
            if index + 1 < len(offsets):  # a code met only among the appended rows has none here
                mask[positions[offsets[index]:offsets[index + 1]]] = True
            appended, codes = self.extra_terms[name]
            mask[appended[codes == index]] = True
        return mask

    def among(self, keys) -> np.ndarray:
        """The incidents whose sort key is in ``keys`` (an iterable of 1-tuples, e.g. a cursor);
        a key published since the arrays last followed the log is left out."""
        keys = np.fromiter(itertools.chain.from_iterable(keys), dtype=np.int64)
        mask = np.zeros(self.size, dtype=bool)
        self._mark_built(mask, keys)
        if self.appended:  # a few rows: each looked up among the keys, sorted once if they are not
            ordered = keys if np.all(keys[:-1] <= keys[1:]) else np.sort(keys)
            appended = self.keys[self.built:]
            found = np.minimum(np.searchsorted(ordered, appended), max(len(ordered) - 1, 0))
            mask[self.built:] = (ordered[found] == appended) if len(ordered) else False
        return mask

    def matching(self, words: list[tuple[str, ...]]) -> np.ndarray:
        """The incidents matching every word (any of its keys; every token of a key), as the
        full-text index answers ``words`` (``fulltext._joined``), from the tokens' sets of incidents."""
        mask = None
        for keys in words:
            either = None
            for cut in filter(None, (fulltext.tokens(key) for key in keys)):
                every = reduce(np.logical_and, (self._holding(token) for token in cut[1:]), self._holding(cut[0]))
                either = every if either is None else np.logical_or(either, every, out=either)
            if either is None:  # a word with nothing the index holds matches nothing
                return np.zeros(self.size, dtype=bool)
            # In place where the array is this call's own (every ``_holding`` is a new one).
            mask = either if mask is None else np.logical_and(mask, either, out=mask)
        return mask if mask is not None else self.everything()

    def _holding(self, token: str) -> np.ndarray:
        """The incidents whose search keys hold ``token`` (struck-out rows too: ``everything`` drops them)."""
        kept = self.token_bits.get(token)
        if kept is None:
            mask = np.zeros(self.size, dtype=bool)
            self._mark_built(mask, fulltext.token_keys(token))
            if np.count_nonzero(mask) >= TOKEN_KEPT_FROM * self.built:
                with self.token_lock:
                    if len(self.token_bits) >= TOKENS_KEPT:  # the oldest goes
                        self.token_bits.pop(next(iter(self.token_bits)))
                    self.token_bits[token] = np.packbits(mask[:self.built])
        else:  # unpacked into the answer itself, lengthened only when rows were appended
            mask = np.unpackbits(kept, count=self.built).view(bool)
            if self.size > self.built:
                mask = np.concatenate([mask, np.zeros(self.size - self.built, dtype=bool)])
        mask[self.appended_tokens.get(token, [])] = True
        return mask

    def selection(self, masks) -> Selection:
        """The incidents in every one of ``masks`` (left as they are), to count several facets over.
        Combined in place in one new array: each array of a million rows a request allocates costs
        it a page fault per 4 KB (large blocks are mapped afresh: ``memory.py``)."""
        selected = self.everything()
        for mask in masks:
            selected &= mask
        return Selection(self, selected)

    def _column_totals(self, name: str) -> np.ndarray:
        """A column's counts over every live incident, made once per copy of the arrays."""
        found = self.totals.get(name)
        if found is None:
            codes, labels = self.columns[name]
            found = self.totals[name] = np.bincount((codes + 1) * self.alive, minlength=len(labels) + 1)[1:]
        return found

    def counts(self, name: str, selection: Selection) -> list[tuple[object, int]]:
        """(value, count) of a column or vocabulary over the incidents selected, most frequent first."""
        selected = selection.mask
        if name in self.columns:
            codes, labels = self.columns[name]
            if selection.count * 4 < self.size:  # a few: pick them out
                picked = codes[selection.rows(self.size)]
                tally = np.bincount(picked[picked >= 0], minlength=len(labels))
            elif selection.count * 4 > 3 * self.size:  # most: all of them but the few left out
                left_out = codes[selection.left_out()]
                tally = self._column_totals(name) - np.bincount(left_out[left_out >= 0], minlength=len(labels))
            else:  # unselected rows and rows without a value (-1) fall in bin 0, dropped
                tally = np.bincount((codes + 1) * selected, minlength=len(labels) + 1)[1:]
        else:
            positions, offsets, labels = self.terms[name]
            appended, codes = self.extra_terms[name]
            tally = np.bincount(codes[selected[appended]], minlength=len(labels))
            if selection.count * FEW_TERMS < self.size:
                return _tallied(labels, tally + self._few_terms(name, selection.rows(self.built), len(labels)))
            # Each code's segment counted (a vocabulary has tens of codes): ``np.add.reduceat`` would
            # first widen the two million selected-or-not to 16 MB of int64, per request.
            picked, bounds = selected[positions], offsets.tolist()
            # (codes met since the build have no segment here)
            tally[:len(bounds) - 1] += np.array([np.count_nonzero(picked[start:end]) for start, end in
                                                 itertools.pairwise(bounds)], dtype=tally.dtype)
        return _tallied(labels, tally)

    def _few_terms(self, name: str, rows: np.ndarray, size: int) -> np.ndarray:
        """How many of ``rows`` (built ones) have each code of vocabulary ``name``: their codes
        picked out of ``by_row`` (each row's run of codes, end to end) and tallied."""
        codes, starts = self.by_row[name]
        first, lengths = starts[rows], starts[rows + 1] - starts[rows]
        # The index of each picked code: its row's start, plus how far into the row it is.
        runs = np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
        return np.bincount(codes[runs], minlength=size)


def _tallied(labels: list, tally: np.ndarray) -> list[tuple[object, int]]:
    found = [(labels[i], int(tally[i])) for i in np.flatnonzero(tally)]
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))



class Selection:
    """Incidents selected by a request's filters: their mask, their number and, asked for once
    whichever facets need it, the live incidents left out (when few, counting those is quicker)."""

    def __init__(self, arrays: Arrays, mask: np.ndarray) -> None:
        self.arrays, self.mask = arrays, mask
        self.count = int(np.count_nonzero(mask))
        self._left_out = self._rows = None

    def left_out(self) -> np.ndarray:
        if self._left_out is None:
            self._left_out = np.flatnonzero(self.arrays.alive > self.mask)  # alive and not selected
        return self._left_out

    def rows(self, below: int) -> np.ndarray:
        """The positions selected, those before ``below`` only."""
        if self._rows is None:
            self._rows = np.flatnonzero(self.mask)
        return self._rows[:np.searchsorted(self._rows, below)]

    def page(self, descending: bool, limit: int, offset: int) -> list[int]:
        """The sort keys of ``limit`` incidents selected from ``offset`` on, in key order."""
        keys = self.arrays.keys[self.rows(self.arrays.size)]
        if self.arrays.appended:  # appended rows follow the built ones, out of key order
            keys = np.sort(keys)
        return (keys[::-1] if descending else keys)[offset:offset + limit].tolist()


_lock = threading.Lock()
_built: dict = {"generation": None, "arrays": None}


def current() -> Arrays:
    """This process's arrays, following what was published or withdrawn since they last looked."""
    generation = facet_counts.generation()
    with _lock:
        arrays, known = _built["arrays"], _built["generation"]
        if known != generation:
            changes = facet_counts.changes_since(known) if arrays is not None and known is not None and \
                0 < generation - known <= MAX_FOLLOWED else None
            if not changes or any(change == "all" for _g, change, _k in changes) or arrays.stale():
                _built["arrays"], _built["generation"] = Arrays(), generation
                memory.give_back_freed()  # what the build used and freed
            else:
                _built["arrays"], _built["generation"] = arrays.followed(changes), changes[-1][0]
        return _built["arrays"]


def _code(labels: list, value) -> int:
    """The code of ``value`` among ``labels`` (a value not met yet is added to them); -1 for none."""
    if value is None:
        return -1
    if value not in labels:
        labels.append(value)
    return labels.index(value)
