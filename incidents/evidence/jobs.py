"""What the worker makes from an original, as jobs: an item's previews and metadata, the public's copy.

A web request never runs a decoder: it asks ``previews.*_state`` whether the file is there, and when
it is yet to be made, ``ask_*`` submits the job (one per item or original while it waits) and the
page says the copy is being prepared. Previews are asked for as soon as an item is preserved
(``prepare``), so that they are usually ready by the time someone first opens it.
"""
from __future__ import annotations

from flask import current_app

from incidents.evidence import copies
from incidents.evidence.previews import (
    decodable,
    derivative_state,
    ensure_derivative,
    ensure_previews,
    metadata_state,
    previews_state,
    read_metadata,
)
from incidents.evidence.store import EvidenceStore
from incidents.jobs.service import Outcome, submit
from incidents.models import EvidenceItem, StoredFile


def _store() -> EvidenceStore:
    return EvidenceStore.from_settings(current_app.config["SETTINGS"])


def ask_previews(item: EvidenceItem, store: EvidenceStore) -> tuple[bool | None, bool | None]:
    """(previews, metadata) of the item, each True when made, False when it cannot be (a document,
    an unreadable file), None while the job that makes them waits or works."""
    states = _states(item, store)
    if None in states:
        submit("previews", {"item": item.id}, once=True)
        states = _states(item, store)  # a queue that runs jobs at once has made them by now
    return states


def prepare(media_types: dict[int, str]) -> None:
    """Queue the previews and metadata of newly preserved items (their ids and media types; a
    document gets no job), and their originals' fingerprints; call once they are committed."""
    for item_id, media_type in media_types.items():
        if decodable(media_type):
            submit("previews", {"item": item_id})
        if copies.kind_of(media_type):
            copies.ask(item_id)


def _states(item: EvidenceItem, store: EvidenceStore) -> tuple[bool | None, bool | None]:
    stored = item.stored_file
    return (previews_state(store.root, stored.sha256, stored.media_type, item.id),
            metadata_state(store.root, stored.sha256, stored.media_type, item.id))


def ask_derivative(sha256: str, media_type: str, store: EvidenceStore) -> bool | None:
    """The public's copy of an original: True when made, False when there can be none, None while it is made."""
    def state():
        return derivative_state(store.root, store.path_for(sha256), sha256, media_type)
    if state() is not None:
        return state()
    submit("derivative", {"sha256": sha256}, once=True)
    return state()  # a queue that runs jobs at once has made it by now


def make_previews(job) -> Outcome:
    """The job: an item's previews (images, videos) and the metadata read from its original."""
    item = EvidenceItem.get_or_none(EvidenceItem.id == job.arguments["item"])
    if item is None or item.stored_file_id is None:
        return Outcome({"made": False})  # withdrawn since: nothing to make
    store, stored = _store(), item.stored_file
    original = store.path_for(stored.sha256)
    previewed = ensure_previews(store.root, original, stored.sha256, stored.media_type, item_id=item.id)
    read = read_metadata(store.root, original, stored.sha256, stored.media_type, item_id=item.id) is not None
    return Outcome({"made": previewed or read})


def make_derivative(job) -> Outcome:
    """The job: the public's copy of an original, decoded and encoded again without its metadata."""
    stored = StoredFile.get_or_none(StoredFile.sha256 == job.arguments["sha256"])
    if stored is None:
        return Outcome({"made": False})
    store = _store()
    made = ensure_derivative(store.root, store.path_for(stored.sha256), stored.sha256, stored.media_type)
    return Outcome({"made": made is not None})

