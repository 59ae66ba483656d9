"""Resumable uploads (tus 1.0): begin one, learn how much arrived, add the next part, cancel it,
and attach a finished one to an incident as evidence.

The file on disk is the truth about what arrived: its length is the upload's offset. So a
connection cut in the middle of a part keeps every byte that came, a server restarted between
parts loses nothing, and two servers sharing the evidence folder agree. A lock on the file lets
one request at a time write it.
"""
from __future__ import annotations

import datetime
import fcntl
import hashlib
import os
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import ClientDisconnected

from incidents import policy
from incidents.db import database
from incidents.errors import Busy, Conflict, Forbidden, NotFound, TooMany, ValidationFailed
from incidents.evidence import schema
from incidents.evidence import service as evidence
from incidents.evidence.store import CHUNK, SNIFF_BYTES, EvidenceStore, HashingSpool, TooLarge, sniff_media_type
from incidents.models import EvidenceItem, Upload, utcnow
from incidents.validation import Errors

# A pause overnight, or a weekend away from a slow connection, does not lose a half-sent video;
# each part received gives the upload another day from then.
LIFETIME = datetime.timedelta(days=3)
# Unfinished uploads one person may hold at once: enough for a case's files, not a disk filled.
MAX_OPEN = 50
# The evidence kind a file's media type makes plain, offered until the person chooses another.
KIND_BY_TYPE = {"image": "160815201501", "video": "220904051501", "audio": "012104091501"}
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
FORMS = re.compile(r"^(new|[1-9][0-9]{0,9})?$")
HEAD = re.compile(r"^([0-9a-f]{64})?$")
NOT_FOUND = _l("No such upload, or it expired.")


# Each process's running hashes of the uploads it receives, by token: (bytes hashed, the hash). The
# next part, when it comes to this process, goes on hashing where the last one stopped; when it
# comes to another server, or after a restart, the bytes on disk are hashed again first, in chunks.
_RUNNING: OrderedDict[str, tuple[int, object]] = OrderedDict()
RUNNING_KEPT = 256  # uploads under way at once, per process, beyond which the oldest is re-hashed
_RUNNING_LOCK = threading.Lock()


def _hash_so_far(target, token: str, start: int):
    """The running hash of the first ``start`` bytes of the upload open as ``target``."""
    with _RUNNING_LOCK:
        kept = _RUNNING.pop(token, None)
    if kept is not None and kept[0] == start:
        return kept[1]
    digest = hashlib.sha256()
    target.seek(0)
    while target.tell() < start and (chunk := target.read(min(CHUNK, start - target.tell()))):
        digest.update(chunk)
    return digest


def _keep_hash(token: str, hashed: int, digest) -> None:
    with _RUNNING_LOCK:
        _RUNNING[token] = (hashed, digest)
        while len(_RUNNING) > RUNNING_KEPT:
            _RUNNING.popitem(last=False)


@dataclass(frozen=True)
class Status:
    upload: Upload
    offset: int
    guessed_kind: str = ""  # from the bytes that arrived (``pending``), for the form to offer

    @property
    def complete(self) -> bool:
        return self.offset == self.upload.length


def _path(store: EvidenceStore, upload: Upload) -> str:
    return os.path.join(store.uploads_dir, upload.token)  # the token is ours, never the caller's text


def _received(store: EvidenceStore, upload: Upload) -> int:
    try:
        return os.path.getsize(_path(store, upload))
    except FileNotFoundError:
        return 0


def remove_expired(store: EvidenceStore) -> int:
    """Delete unattached uploads past their time, their bytes first."""
    expired = list(Upload.select().where(Upload.item.is_null() & (Upload.expires_at < utcnow())))
    for upload in expired:
        try:
            os.unlink(_path(store, upload))
        except FileNotFoundError:
            pass  # removed by another server meanwhile
    if expired:
        Upload.delete().where(Upload.id.in_([upload.id for upload in expired])).execute()
    return len(expired)


def begin(user, store: EvidenceStore, length, filename: str = "", form: str = "", head: str = "") -> Upload:
    """A new, empty upload of ``length`` bytes.

    :raise Forbidden: may not send files. :raise ValidationFailed: no usable length or form.
    :raise TooLarge: longer than the store accepts. :raise TooMany: too many unfinished ones.
    """
    if not policy.can_upload(user):
        raise Forbidden(_l("You may not send files."))
    if not isinstance(length, int) or length < 1:
        raise ValidationFailed(_l("Upload-Length must be the file's size in bytes, at least 1."),
                               {"Upload-Length": [_l("The file is empty or its size is missing.")]})
    if store.max_size is not None and length > store.max_size:
        raise TooLarge(length)
    if not FORMS.match(form or ""):
        raise ValidationFailed(_l("Unknown form."), {"form": [_l("Unknown form.")]})
    if not HEAD.match(head or ""):
        raise ValidationFailed(_l("head must be a SHA-256 in hexadecimal."), {"head": [_l("head must be a SHA-256 in hexadecimal.")]})
    remove_expired(store)
    if Upload.select().where((Upload.owner == user) & Upload.item.is_null()).count() >= MAX_OPEN:
        raise TooMany(_l("At most %(count)d unfinished uploads at a time. Finish or cancel some first.", count=MAX_OPEN))
    os.makedirs(store.uploads_dir, mode=0o700, exist_ok=True)
    token = secrets.token_urlsafe(32)
    os.close(os.open(os.path.join(store.uploads_dir, token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return Upload.create(token=token, owner=user, length=length, filename=schema.safe_filename(filename),
                         form=form or "", head=head or "", expires_at=utcnow() + LIFETIME)


def find(user, store: EvidenceStore, token: str) -> Status:
    """The caller's own unattached, unexpired upload and how much of it arrived.

    :raise NotFound: anyone else's, attached, expired, or no such token.
    """
    upload = Upload.get_or_none(Upload.token == token) if TOKEN.match(token or "") else None
    if upload is None or upload.owner_id != getattr(user, "id", None) or upload.item_id is not None \
            or upload.expires_at < utcnow():
        raise NotFound(NOT_FOUND)
    return Status(upload, _received(store, upload))


def append(user, store: EvidenceStore, token: str, offset, stream, length: int | None) -> int:
    """Write the next part, read from ``stream``, at ``offset``; the new offset.

    What arrives before a cut connection is kept: the sender asks for the offset and goes on.
    :raise NotFound: see ``find``. :raise Conflict: ``offset`` is not what arrived so far.
    :raise Busy: another request is writing this upload. :raise TooLarge: past the declared length
        (nothing of this part is kept).
    """
    upload = find(user, store, token).upload
    with open(_path(store, upload), "r+b") as target:
        try:
            fcntl.flock(target.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(_l("This upload is being written by another request.")) from None
        start = os.fstat(target.fileno()).st_size
        if offset != start:
            raise Conflict(_l("Upload-Offset must be %(offset)d, the bytes received so far.", offset=start))
        room = upload.length - start
        if length is not None and length > room:
            raise TooLarge(start + length)
        digest = _hash_so_far(target, upload.token, start)
        target.seek(start)
        written = _copy(stream, target, room, digest)
        if written > room:
            target.truncate(start)  # longer than declared: this part is refused whole
            raise TooLarge(start + written)
        target.flush()
        os.fsync(target.fileno())
    end = start + written
    finished = {"sha256": digest.hexdigest()} if end == upload.length else {}
    if not finished:
        _keep_hash(upload.token, end, digest)
    Upload.update(expires_at=utcnow() + LIFETIME, **finished).where(Upload.id == upload.id).execute()
    return end


def _copy(stream, target, room: int, digest) -> int:
    """Copy and hash until the stream ends or the sender is cut off; at most one byte past ``room``,
    which is enough to know the part is too long."""
    written = 0
    try:
        while written <= room and (chunk := stream.read(min(CHUNK, room - written + 1))):
            target.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    except (ClientDisconnected, ConnectionError, TimeoutError):
        pass  # the bytes written so far stay: that is what makes the upload resumable
    return written


def cancel(user, store: EvidenceStore, token: str) -> None:
    """Delete an unattached upload and its bytes. :raise NotFound: see ``find``."""
    upload = find(user, store, token).upload
    try:
        os.unlink(_path(store, upload))
    except FileNotFoundError:
        pass
    upload.delete_instance()


def pending(user, store: EvidenceStore, form: str) -> list[Status]:
    """The caller's uploads begun from this form and not attached yet, oldest first: what the
    form offers back after a reload, a crash or a language switch."""
    uploads = Upload.select().where((Upload.owner == user) & (Upload.form == form) & Upload.item.is_null()
                                    & (Upload.expires_at >= utcnow())).order_by(Upload.id)
    return [Status(upload, _received(store, upload), _guess_kind(store, upload)) for upload in uploads]


def _guess_kind(store: EvidenceStore, upload: Upload) -> str:
    """The kind the first bytes that arrived make plain (see ``KIND_BY_TYPE``), or ""."""
    try:
        with open(_path(store, upload), "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except FileNotFoundError:
        return ""
    return KIND_BY_TYPE.get(sniff_media_type(head).split("/")[0], "") if head else ""


def attach(user, store: EvidenceStore, token: str, incident_id: int, data: dict) -> EvidenceItem:
    """Attach a finished upload to an incident, as ``evidence.attach_file`` attaches a file sent
    whole; the upload is spent.

    :raise NotFound: see ``find``. :raise Conflict: not all of it arrived yet.
    """
    status = find(user, store, token)
    if not status.complete:
        raise Conflict(_l("The file has not arrived whole yet: %(received)d of %(length)d bytes.",
                          received=status.offset, length=status.upload.length))
    spool = HashingSpool.adopt(_path(store, status.upload), status.upload.sha256)
    try:
        with database.atomic():
            item = evidence.attach_file(incident_id, user, store, spool, status.upload.filename, data)
            Upload.update(item=item).where(Upload.id == status.upload.id).execute()
    finally:
        spool.release()
    return item


@dataclass(frozen=True)
class FormFiles:
    """The files an incident form is saved with, by their uploads' tokens, each with what the form
    says of it (kind, description, flags): checked before the save, attached inside its transaction,
    so that saving attaches every file or, refused, none."""

    user: object
    store: EvidenceStore
    entries: list[tuple[str, dict]]

    def errors(self) -> Errors:
        return check_form_files(self.user, self.store, self.entries)

    def attach_to(self, incident_id: int) -> None:
        for token, data in self.entries:
            attach(self.user, self.store, token, incident_id, data)


def check_form_files(user, store: EvidenceStore, entries: list[tuple[str, dict]]) -> Errors:
    """Each listed upload is the caller's, has arrived whole and is described well enough to attach;
    errors are keyed ``upload-<token>-<field>``, as the form names the fields."""
    errors = Errors()
    for token, data in entries:
        prefix = f"upload-{token}-"
        try:
            status = find(user, store, token)
        except NotFound:
            errors.add(prefix + "file", NOT_FOUND)
            continue
        if not status.complete:
            errors.add(prefix + "file", _l("This file has not finished uploading."))
        found = Errors()
        schema.clean_provenance(data, found)
        for field, messages in found.items():
            for message in messages:
                errors.add(prefix + field, message)
    return errors
