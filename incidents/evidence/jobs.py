"""What the worker makes from an original, as jobs: an item's previews and metadata, the public's copy.

A web request never runs a decoder: it asks ``previews.*_state`` whether the file is there, and when
it is yet to be made, ``ask_*`` submits the job (one per item or original while it waits) and the
page says the copy is being prepared. Previews are asked for as soon as an item is preserved
(``prepare``), so that they are usually ready by the time someone first opens it.
"""
from __future__ import annotations

from flask import current_app

from incidents import redactions
from incidents.evidence import copies, credentials
from incidents.evidence.previews import (
    derivative_state,
    ensure_derivative,
    ensure_previews,
    metadata_state,
    previews_state,
    public_preview_state,
    read_metadata,
)
from incidents.evidence.store import EvidenceStore
from incidents.jobs.service import Outcome, submit
from incidents.media.kinds import decodable, shows_people
from incidents.models import EvidenceItem, RedactionDecision, StoredFile


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
    document gets no job), their originals' fingerprints and, in pictures and videos, the search for
    faces to hide; call once they are committed."""
    for item_id, media_type in media_types.items():
        if decodable(media_type):
            submit("previews", {"item": item_id})
        if copies.kind_of(media_type):
            copies.ask(item_id)
        if shows_people(media_type):
            ask_faces(item_id)


def ask_faces(item_id: int) -> None:
    """Queue the face detector on a picture or a video, once (``redaction.make_proposal``)."""
    submit("faces", {"item": item_id}, once=True)


def _states(item: EvidenceItem, store: EvidenceStore) -> tuple[bool | None, bool | None]:
    stored = item.stored_file
    return (previews_state(store.root, stored.sha256, stored.media_type, item.id),
            metadata_state(store.root, stored.sha256, stored.media_type, item.id))


def ask_derivative(item_id: int, sha256: str, media_type: str, store: EvidenceStore) -> tuple[bool | None, str]:
    """(state, digest) of the public's copy of an item's original: True when made (with its preview,
    for a picture or a video), False when there can be none (a picture or a video waiting for its
    redaction decision, another type, an unreadable file), None while it is made. ``digest`` names
    the areas destroyed in it (``previews.derivative_path``)."""
    copy = redactions.public_copy(item_id, media_type)
    if copy is None:
        return False, ""
    _boxes, digest = copy

    def state():
        made = derivative_state(store.root, store.path_for(sha256), sha256, media_type, digest)
        if made and public_preview_state(store.root, sha256, media_type, digest) is None:
            return None
        return made
    if state() is None:
        # The job reads the decision by its id (None: a copy that hides nothing); the digest names it.
        decision = redactions.standing(item_id) if digest else None
        submit("derivative", {"sha256": sha256, "decision": decision.id if decision else None}, once=True)
    return state(), digest  # a queue that runs jobs at once has made it by now


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
    """The job: the public's copy of an original, decoded and encoded again without its metadata,
    with the areas of a redaction decision destroyed (``decision``; None: nothing hidden)."""
    stored = StoredFile.get_or_none(StoredFile.sha256 == job.arguments["sha256"])
    decision = RedactionDecision.get_or_none(RedactionDecision.id == job.arguments.get("decision"))
    if stored is None:
        return Outcome({"made": False})
    boxes, digest = redactions.hidden(decision) if decision is not None else ([], "")
    store, settings = _store(), current_app.config["SETTINGS"]
    made = ensure_derivative(store.root, store.path_for(stored.sha256), stored.sha256, stored.media_type,
                             credentials.signing(current_app.instance_path, settings.PUBLIC_URL), boxes or None, digest)
    return Outcome({"made": made is not None})

