"""Preserving files and links as evidence, their provenance, and the chain of custody."""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from incidents import audit, policy
from incidents.custody import record_custody
from incidents.db import database, serialize_writers
from incidents.errors import Conflict, Forbidden, NotFound, NotReady
from incidents.evidence import copies, schema
from incidents.evidence.background_ingest import batches_in_worker
from incidents.evidence.jobs import ask_derivative, ask_previews, prepare
from incidents.evidence.previews import derivative_path, kept_metadata, preview_path, public_preview_path
from incidents.evidence.store import EvidenceStore, HashingSpool
from incidents.media.kinds import decodable
from incidents.models import CustodyEvent, EvidenceItem, Incident, IngestBatch, PublishedIncident, StoredFile, utcnow
from incidents.revisions import save_revision
from incidents.validation import Errors, check_translations

# Media the browser may show staff inline, from the original's bytes. Everything else, HTML and
# SVG above all, is only ever sent as a download. The public gets derivatives only.
INLINE_MEDIA = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp",
    "video/mp4", "video/webm", "video/ogg", "video/quicktime",
    "audio/mpeg", "audio/ogg", "audio/wav", "audio/x-wav", "audio/webm", "audio/mp4",
    "application/pdf",
})


# One viewing of an item is one custody event, however many range requests a player makes and
# however often a reader comes back within this window.
VIEWING_WINDOW = datetime.timedelta(minutes=10)
VIEWING_LOCK = 0x56696577


@dataclass
class ItemView:
    item: EvidenceItem
    incident: Incident | None  # None for an ingested item not attached to an incident yet
    staff: bool  # may see provenance, custody and originals


def _editable_incident(user, incident_id: int) -> Incident:
    incident = Incident.get_or_none(Incident.id == incident_id)
    if incident is None or not policy.can_read_working_copy(user, incident):
        raise NotFound(_l("No such incident."))
    if not policy.can_attach_evidence(user, incident):
        raise Forbidden(_l("You may not attach evidence to this incident in its current state."))
    return incident


def touch(incident: Incident, user) -> None:
    """Attaching is an edit: a new version and revision, and a published incident goes to review."""
    Incident.update(version=Incident.version + 1, updated_by=user, updated_at=utcnow(),
                    status="draft" if incident.status == "published" else incident.status) \
        .where(Incident.id == incident.id).execute()
    save_revision(Incident.get_by_id(incident.id), user)


def _next_position(incident: Incident) -> int:
    return EvidenceItem.select().where(EvidenceItem.incident == incident).count()


def attach_file(incident_id: int, user, store: EvidenceStore, spool: HashingSpool, filename,
                data: dict) -> EvidenceItem:
    """Preserve an uploaded file (already hashed into ``spool``) as an evidence item.

    :raise NotFound / Forbidden: per the policy. :raise ValidationFailed: bad provenance; the
        spool is then discarded and nothing is kept.
    """
    incident = _editable_incident(user, incident_id)
    errors = Errors()
    clean = schema.clean_provenance(data, errors)
    check_translations(clean, incident.original_language, errors)
    if spool.size == 0:
        errors.add("file", _l("The file is empty."))
    errors.raise_if_any()
    # A server killed mid-upload leaves its spool behind; otherwise only an ingest would remove it.
    store.remove_stale_spools()
    preserved = store.commit(spool)
    with database.atomic():
        stored, _created = StoredFile.get_or_create(
            sha256=preserved.sha256, defaults={"size": preserved.size, "media_type": preserved.media_type})
        item = EvidenceItem.create(incident=incident, position=_next_position(incident), created_by=user,
                                   stored_file=stored, original_filename=schema.safe_filename(filename),
                                   **clean)
        # Not whether the store held these bytes already: the uploader may not see the other
        # items that hold them, and the answer would tell a leaked file's holder that it arrived.
        record_custody(item, "received", user, filename=item.original_filename, size=preserved.size)
        record_custody(item, "hashed", user, algorithm="sha256")
        touch(incident, user)
        audit.record(user, "evidence.attach", item, sha256=preserved.sha256)
    prepare({item.id: preserved.media_type})
    return item


def attach_link(incident_id: int, user, data: dict) -> EvidenceItem:
    """Record a link as evidence; the server never fetches it.

    :raise NotFound / Forbidden: per the policy. :raise ValidationFailed: bad fields.
    """
    incident = _editable_incident(user, incident_id)
    errors = Errors()
    link = schema.clean_link(data, "link", errors)
    clean = schema.clean_provenance(data, errors)
    check_translations(clean, incident.original_language, errors)
    errors.raise_if_any()
    clean.update(url=link["url"], kind=link["kind"])
    with database.atomic():
        item = EvidenceItem.create(incident=incident, position=_next_position(incident), created_by=user,
                                   **clean)
        record_custody(item, "received", user, url=item.url)
        touch(incident, user)
        # The link goes to the item's custody, which is encrypted; the audit trail is not.
        audit.record(user, "evidence.attach", item, kind="link")
    return item


def assign_to_incident(user, item_id: int, incident_id) -> EvidenceItem:
    """Attach an ingested item that belongs to no incident yet to one.

    :raise NotFound: item or incident not visible. :raise Forbidden: not allowed to attach there.
    :raise Conflict: the item belongs to an incident already.
    """
    view = read_item(user, item_id)
    if view.item.incident_id is not None:
        raise Conflict(_l("This item belongs to an incident already."))
    try:
        incident = _editable_incident(user, int(incident_id))
    except (TypeError, ValueError):
        raise NotFound(_l("No such incident.")) from None
    with database.atomic():
        claimed = (EvidenceItem.update(incident=incident, position=_next_position(incident))
                   .where((EvidenceItem.id == view.item.id) & EvidenceItem.incident.is_null()).execute())
        if not claimed:
            raise Conflict(_l("This item belongs to an incident already."))
        touch(incident, user)
        audit.record(user, "evidence.assign", view.item, incident=incident.id)
    return EvidenceItem.get_by_id(view.item.id)


def archive_batches(user) -> list[IngestBatch]:
    """Ingest batches, newest first, with ``files`` and ``unassigned`` counts, and ``in_worker``.

    :raise NotFound: the user may not see unattached archive items.
    """
    if not policy.can_handle_archive(user):
        raise NotFound(_l("No such page."))
    items = EvidenceItem.alias()
    unassigned = (items.select(fn.COUNT(items.id)).where((items.batch == IngestBatch.id) & items.incident.is_null()))
    batches = list(IngestBatch.select(IngestBatch, fn.COUNT(EvidenceItem.id).alias("files"),
                                      unassigned.alias("unassigned"))
                   .join(EvidenceItem, JOIN.LEFT_OUTER, on=(EvidenceItem.batch == IngestBatch.id))
                   .group_by(IngestBatch.id).order_by(IngestBatch.id.desc()))
    working = batches_in_worker()
    for batch in batches:
        batch.in_worker = batch.id in working
    return batches


def batch_items(user, batch_id: int, page: int, per_page: int = 100):
    """(batch, items of the page, total), the read recorded: the page names the batch's source.

    :raise NotFound: no such batch, or not for this user.
    """
    if not policy.can_handle_archive(user):
        raise NotFound(_l("No such page."))
    batch = IngestBatch.get_or_none(IngestBatch.id == batch_id)
    if batch is None:
        raise NotFound(_l("No such page."))
    with database.atomic():
        audit.record(user, "evidence.view_confidential", batch)
    query = (EvidenceItem.select(EvidenceItem, StoredFile).join(StoredFile)
             .where(EvidenceItem.batch == batch).order_by(EvidenceItem.id))  # the folder's order: it is walked sorted
    return batch, list(query.paginate(page, per_page)), query.count()


def published_ids(incident_id: int) -> set[int]:
    row = PublishedIncident.get_or_none(PublishedIncident.incident == incident_id)
    return {item["id"] for item in row.public_data.get("evidence", []) if "id" in item} if row else set()


def read_item(user, item_id: int) -> ItemView:
    """An evidence item for a reader who may see it.

    Staff who may read the incident's confidential fields see everything; others see a file
    only when it is part of the published revision and not confidential.

    :raise NotFound: otherwise (a hidden item is indistinguishable from a missing one).
    """
    item = (EvidenceItem.select(EvidenceItem, StoredFile).join(StoredFile, JOIN.LEFT_OUTER)
            .where(EvidenceItem.id == item_id).first())
    if item is None:
        raise NotFound(_l("No such evidence item."))
    if item.incident_id is None:  # ingested, not yet attached to any incident
        if policy.can_handle_archive(user):
            return ItemView(item, None, staff=True)
        raise NotFound(_l("No such evidence item."))
    incident = Incident.get_by_id(item.incident_id)
    if policy.can_handle_originals(user, incident):
        return ItemView(item, incident, staff=True)
    if item.confidential or item.id not in published_ids(incident.id):
        raise NotFound(_l("No such evidence item."))
    return ItemView(item, incident, staff=False)


def similar_items(user, view: ItemView) -> list[dict]:
    """Likely copies of an item the user read (``read_item``), among the items the user may read (no
    other is ever named, or counted): other items of its original (score 1), then items of originals
    found alike (``copies.py``), best first, as {"id", "score", "offset_seconds"}."""
    item_id = view.item.id
    if view.item.stored_file_id is None or not policy.can_see_copies(user):
        return []
    alike = copies.alike(view.item.stored_file_id)
    found = []
    for candidate in EvidenceItem.select(EvidenceItem.id, EvidenceItem.stored_file).where(
            EvidenceItem.stored_file.in_(list(alike)) & (EvidenceItem.id != item_id)).order_by(EvidenceItem.id):
        try:
            read_item(user, candidate.id)
        except NotFound:
            continue
        score, offset = alike[candidate.stored_file_id]
        found.append({"id": candidate.id, "score": score, "offset_seconds": offset})
    return sorted(found, key=lambda row: (-row["score"], row["id"]))


def preview_file(user, item_id: int, store: EvidenceStore, clear: bool) -> tuple[ItemView, str]:
    """The preview of a visible item: blurred for graphic items unless ``clear`` was asked for.
    A clear preview asked for by a signed-in reader is a viewing, and joins the custody log.

    :raise NotFound: not visible, or no preview can be made. :raise NotReady: it is being made.
    """
    view = read_item(user, item_id)
    if view.item.stored_file_id is None:
        raise NotFound(_l("No such evidence item."))
    stored = view.item.stored_file
    if view.staff:
        made, _metadata = ask_previews(view.item, store)
    else:  # the public's preview is made from the public's copy: it hides what the copy hides
        made, digest = ask_derivative(view.item.id, stored.sha256, stored.media_type, store)
    if made is None:
        raise NotReady(_l("The preview is being prepared. Try again in a minute."))
    if not made:
        raise NotFound(_l("No preview."))
    blurred = view.item.graphic and not clear
    if not view.staff:
        path = public_preview_path(store.root, stored.sha256, digest, blurred)
        if not os.path.exists(path):  # a sound's copy has no picture
            raise NotFound(_l("No preview."))
        return view, path
    if clear:
        record_viewing(view.item, user, of="preview")
    return view, preview_path(store.root, stored.sha256, blurred=blurred)


def shows_inline(view: ItemView) -> bool:
    """Whether the item's page shows it in a player: staff the original of a type browsers show,
    the public a derivative of an image, a video or a sound."""
    if view.item.stored_file_id is None:
        return False
    media_type = view.item.stored_file.media_type
    return media_type in INLINE_MEDIA if view.staff else decodable(media_type)


def page_media(view: ItemView, store: EvidenceStore) -> bool | None:
    """Whether what the item's page shows inline is ready (True), cannot be shown (False) or is
    being prepared (None): the public's copy, or staff's previews (a video's poster, a graphic
    image's blurred cover). Asks for whatever is missing."""
    if not shows_inline(view):
        return False
    stored = view.item.stored_file
    if not view.staff:
        return ask_derivative(view.item.id, stored.sha256, stored.media_type, store)[0]
    if not decodable(stored.media_type):
        return True
    return None if ask_previews(view.item, store)[0] is None else True


def media_file(user, item_id: int, store: EvidenceStore) -> tuple[ItemView, str, str]:
    """(view, path, media type) of what a reader's player gets: the original for staff, every
    read of it a viewing; for anyone else a derivative without metadata, never an original byte.

    :raise NotFound: not visible, a link, not shown inline (staff), or no derivative (the public).
    :raise NotReady: the public's copy is being made.
    """
    view = read_item(user, item_id)
    if view.item.stored_file_id is None:
        raise NotFound(_l("No such evidence item."))
    stored = view.item.stored_file
    if view.staff:
        return view, _read_original(view, user, "viewed", store), stored.media_type
    return view, *public_copy(view, store)


def public_copy(view: ItemView, store: EvidenceStore) -> tuple[str, str]:
    """(path, media type) of the public's copy of a file item, made as its redaction decision says.

    :raise NotReady: it is being made. :raise NotFound: there is none (a picture or a video with no
        decision yet, a document, an unreadable file).
    """
    stored = view.item.stored_file
    made, digest = ask_derivative(view.item.id, stored.sha256, stored.media_type, store)
    if made is None:
        raise NotReady(_l("This copy is being prepared. Try again in a few minutes."))
    derivative = derivative_path(store.root, stored.sha256, digest) if made else None
    if derivative is None:
        raise NotFound(_l("No such evidence item."))
    return derivative


def original_metadata(view: ItemView, store: EvidenceStore) -> tuple[list[tuple[str, str, str]] | None, bool]:
    """(rows, being read) of the original's embedded metadata (EXIF, XMP, container tags), read in
    the sandbox by a job: for staff. No rows when none could be read, or not yet.

    :raise NotFound: the item was not read as staff.
    """
    if not view.staff:
        raise NotFound(_l("No such evidence item."))
    if view.item.stored_file_id is None or not decodable(view.item.stored_file.media_type):
        return None, False
    read = ask_previews(view.item, store)[1]
    return (kept_metadata(store.root, view.item.stored_file.sha256) if read else None), read is None


def read_provenance(user, item_id: int) -> ItemView:
    """``read_item``, with a read by staff recorded: staff see where the item came from (its
    source, provenance and custody), and every read of a source is audited."""
    view = read_item(user, item_id)
    if view.staff:
        with database.atomic():
            audit.record(user, "evidence.view_confidential", view.item)
    return view


def custody_log(view: ItemView) -> list[CustodyEvent]:
    """The chain of custody of an item read with ``read_provenance``, oldest first.

    :raise NotFound: the item was not read as staff.
    """
    if not view.staff:
        raise NotFound(_l("No such evidence item."))
    return list(view.item.custody.order_by(CustodyEvent.id))


def open_original(user, item_id: int, action: str, store: EvidenceStore) -> tuple[ItemView, str]:
    """The path of an item's original, for staff, with the access recorded.

    :raise NotFound: not visible, a link, not staff, or (for viewing) not a media type browsers
        show: refused before anything is written to the custody log.
    """
    view = read_item(user, item_id)
    if view.item.stored_file_id is None:
        raise NotFound(_l("No such evidence item."))
    return view, _read_original(view, user, action, store)


def _read_original(view: ItemView, user, action: str, store: EvidenceStore) -> str:
    if not view.staff or (action == "viewed" and view.item.stored_file.media_type not in INLINE_MEDIA):
        raise NotFound(_l("No such evidence item."))
    path = store.path_for(view.item.stored_file_id)
    # Looked for before anything is recorded: the custody log must not claim that an original
    # gone from the store (which ``evidence verify`` reports) was downloaded or viewed.
    if not os.path.isfile(path):
        raise NotFound(_l("No such evidence item."))
    if action == "viewed":
        record_viewing(view.item, user, of="original")
    else:
        with database.atomic():
            record_custody(view.item, action, user)
    return path


def record_viewing(item: EvidenceItem, user, **detail) -> None:
    """A signed-in reader's viewing, once per reader and item within ``VIEWING_WINDOW``.

    Any range of the bytes counts (``Range: bytes=1-`` is the whole file less one byte); the check
    and the write are one transaction, taken in turn by every worker, so they agree on "once".
    Anonymous reads see only derivatives and published previews, which are not the original.
    """
    if not policy.is_signed_in(user):
        return
    with database.atomic():
        serialize_writers(VIEWING_LOCK)
        recent = CustodyEvent.select().where(
            (CustodyEvent.item == item.id) & (CustodyEvent.action == "viewed") & (CustodyEvent.actor == user.id)
            & (CustodyEvent.created_at >= utcnow() - VIEWING_WINDOW))
        # A clear preview seen does not stand for the original read after it (the detail is
        # encrypted, so it is compared here, over the few events of the window).
        if not any(event.detail.get("of") == detail.get("of") for event in recent):
            record_custody(item, "viewed", user, **detail)

