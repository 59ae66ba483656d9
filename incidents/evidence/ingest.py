"""Ingesting an archive: every file under a folder preserved as evidence, resumably.

A run walks the folder twice (first to count files and bytes for the progress bar, then to
preserve), holding one file at a time, so memory does not grow with the archive. Each
preserved file is recorded in the batch as it is done; a run killed half-way and started
again skips what its batch already recorded, without reading those files again.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from .. import audit, policy
from ..db import database
from ..errors import Forbidden, NotFound, ValidationFailed
from ..models import EvidenceItem, Incident, IngestBatch, IngestEntry, StoredFile, utcnow
from .previews import make_previews
from .service import record_custody
from .store import EvidenceStore

# Files are flushed to disk in groups this large rather than one by one (see store.commit).
SYNC_EVERY_BYTES = 1024**3
KIND_BY_MEDIA = {"video": "220904051501", "image": "160815201501", "audio": "012104091501"}
OTHER_KIND = "x-official-document"


@dataclass
class IngestReport:
    batch: int = 0
    files: int = 0
    bytes: int = 0
    preserved: int = 0  # new evidence items
    duplicate_in_run: int = 0  # same bytes as another file of this archive
    already_known: int = 0  # same bytes already evidence of the same incident (or of none)
    resumed: int = 0  # recorded by an earlier, interrupted run: not read again
    refused: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def _walk(root: str):
    """(relative path, full path, stat or None with a reason) for everything under root, sorted."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(folder, name)
            relative = os.path.relpath(full, root)
            try:
                info = os.lstat(full)
            except OSError as exc:
                yield relative, full, None, str(exc)
                continue
            if os.path.islink(full):
                yield relative, full, None, "a symbolic link (not followed)"
            elif not os.path.isfile(full):
                yield relative, full, None, "not a regular file"
            elif info.st_size == 0:
                yield relative, full, None, "empty"
            else:
                yield relative, full, info, ""


def measure(root: str) -> tuple[int, int]:
    """(files, bytes) that a run would read."""
    files = total = 0
    for _relative, _full, info, _reason in _walk(root):
        if info is not None:
            files += 1
            total += info.st_size
    return files, total


def _batch(root: str, actor, incident: Incident | None, provenance: dict) -> IngestBatch:
    """The unfinished batch of an earlier run over the same folder, or a new one."""
    same_target = IngestBatch.incident.is_null() if incident is None else IngestBatch.incident == incident
    batch = (IngestBatch.select().where((IngestBatch.root == root) & same_target
                                        & IngestBatch.finished_at.is_null())
             .order_by(IngestBatch.id.desc()).first())
    if batch is None:
        with database.atomic():
            batch = IngestBatch.create(root=root, incident=incident, actor=actor, **provenance)
            audit.record(actor, "evidence.ingest_start", batch, root=root)
    return batch


def ingest(root: str, actor, store: EvidenceStore, *, incident_id: int | None = None,
           provenance: dict | None = None, progress=None) -> IngestReport:
    """Preserve every regular file under ``root``.

    ``progress(bytes_done, files_done)`` is called after each file.

    :raise NotFound: no such folder or incident. :raise Forbidden: the actor may not ingest.
    """
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise NotFound(_l("No such folder."))
    if not policy.can_ingest(actor):
        raise Forbidden(_l("Only reviewers and administrators ingest archives."))
    incident = None
    if incident_id is not None:
        incident = Incident.get_or_none(Incident.id == incident_id)
        if incident is None:
            raise NotFound(_l("No such incident."))
    provenance = dict(provenance or {})
    if provenance.get("acquisition", "leak_handover") not in ("leak_handover", "direct_upload", "capture_app",
                                                                "platform_download", "other"):
        raise ValidationFailed(_l("Unknown value: %(value)s.", value=provenance["acquisition"]))
    report = IngestReport()
    started = time.monotonic()
    store.remove_stale_spools()
    batch = _batch(root, actor, incident, provenance)
    report.batch = batch.id
    unsynced = 0
    for relative, full, info, reason in _walk(root):
        if info is None:
            report.refused.append((relative, reason))
            continue
        report.files += 1
        report.bytes += info.st_size
        done = IngestEntry.get_or_none((IngestEntry.batch == batch) & (IngestEntry.path == relative))
        if done is not None and done.size == info.st_size and done.mtime_ns == info.st_mtime_ns:
            report.resumed += 1
        else:
            unsynced += info.st_size
            _preserve_one(store, batch, incident, actor, relative, full, info, report)
            if unsynced >= SYNC_EVERY_BYTES:
                store.sync()
                unsynced = 0
        if progress:
            progress(info.st_size, 1)
    store.sync()
    with database.atomic():
        IngestBatch.update(finished_at=utcnow()).where(IngestBatch.id == batch.id).execute()
        audit.record(actor, "evidence.ingest_finish", batch, files=report.files, new=report.preserved,
                     refused=len(report.refused))
    report.seconds = time.monotonic() - started
    return report


def _preserve_one(store, batch, incident, actor, relative, full, info, report) -> None:
    try:
        preserved = store.preserve_file(full, durable=False)
    except OSError as exc:
        report.refused.append((relative, str(exc)))
        return
    media_kind = preserved.media_type.split("/")[0]
    if preserved.new:
        make_previews(store.root, store.path_for(preserved.sha256), preserved.sha256, preserved.media_type)
    with database.atomic():
        stored, _created = StoredFile.get_or_create(
            sha256=preserved.sha256, defaults={"size": preserved.size, "media_type": preserved.media_type})
        twin = IngestEntry.get_or_none((IngestEntry.batch == batch) & (IngestEntry.sha256 == preserved.sha256))
        same_target = EvidenceItem.incident.is_null() if incident is None else EvidenceItem.incident == incident
        known = None if twin else EvidenceItem.get_or_none((EvidenceItem.stored_file == stored) & same_target)
        item = twin.item if twin else known
        if twin:
            report.duplicate_in_run += 1
        elif known:
            report.already_known += 1
        else:
            item = EvidenceItem.create(
                incident=incident, batch=batch, created_by=actor, stored_file=stored,
                kind=KIND_BY_MEDIA.get(media_kind, OTHER_KIND), original_filename=os.path.basename(relative),
                description=relative, source=batch.source, acquisition=batch.acquisition,
                received_on=batch.received_on, original_location=relative, originality="unknown")
            record_custody(item, "received", actor, batch=batch.id, path=relative, size=preserved.size)
            record_custody(item, "hashed", actor, algorithm="sha256")
            report.preserved += 1
        # A file changed since an interrupted run recorded it: the new bytes replace the record.
        IngestEntry.delete().where((IngestEntry.batch == batch) & (IngestEntry.path == relative)).execute()
        IngestEntry.create(batch=batch, path=relative, size=info.st_size, mtime_ns=info.st_mtime_ns,
                           sha256=preserved.sha256, item=item)
