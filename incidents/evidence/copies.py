"""Copies: the same picture or video come back re-encoded, resized, cropped, trimmed or marked.

When a picture or a video is preserved, a job (``fingerprint``) has the sandboxed decoder make its
original's perceptual fingerprint (``media/fingerprints.py``), compares it with those of the
originals already held (``likeness.py``) and keeps each likely copy found, both ways (``Likeness``).
Readers then ask ``service.similar_items``: only items they may read are ever named, so that
nobody learns from it that the database holds a file they cannot see.
"""
from __future__ import annotations

import math
import os
import re

import numpy as np
from flask import current_app
from peewee import fn

from incidents.db import database, serialize_writers
from incidents.evidence import likeness
from incidents.evidence.previews import run_on_copy
from incidents.evidence.store import EvidenceStore
from incidents.jobs.service import Outcome, submit
from incidents.media import sandbox
from incidents.media.kinds import decodable
from incidents.models import EvidenceItem, Fingerprint, FingerprintBand, Likeness, StoredFile, utcnow

KINDS = {"image": sandbox.PREVIEW_LIMITS, "video": sandbox.DERIVATIVE_LIMITS}
# A video is compared with those sharing at least this many bands with it (of four per frame).
SHARED_BANDS = 3
HEX = re.compile(r"[0-9a-f]{16}")
# Band values asked for at once (SQLite's host parameters are bounded).
CHUNK = 500
COMPARE_LOCK = 0x436F7079


def kind_of(media_type: str) -> str | None:
    """"image" or "video" for what has a fingerprint (what the decoders read: no SVG), else None."""
    kind = media_type.split("/")[0]
    return kind if kind in KINDS and decodable(media_type) else None


def ask(item_id: int) -> None:
    """Queue the comparison of a newly preserved picture or video with the originals held, once."""
    submit("fingerprint", {"item": item_id}, once=True)


def compared(item: EvidenceItem) -> bool | None:
    """Whether the item was compared with the originals held (True), cannot be (False: not a picture
    or a video) or is being compared (None: the job is asked for, as for items from before)."""
    if item.stored_file_id is None or kind_of(item.stored_file.media_type) is None:
        return False
    if item.compared_at is None:
        ask(item.id)
        item = EvidenceItem.get_by_id(item.id)  # a queue that runs jobs at once has compared it by now
    return True if item.compared_at is not None else None


def make_fingerprint(job) -> Outcome:
    """The job: an item's original fingerprinted and compared with the originals held (``compare``)."""
    return Outcome(compare(job.arguments["item"]))


def comparable(batch_id: int) -> list[tuple[int, str]]:
    """An ingested batch's pictures and videos: (item id, original's hash)."""
    return [(item_id, sha256) for item_id, sha256, media_type in (
        EvidenceItem.select(EvidenceItem.id, StoredFile.sha256, StoredFile.media_type).join(StoredFile)
        .where(EvidenceItem.batch == batch_id).order_by(EvidenceItem.id).tuples()) if kind_of(media_type)]


def count_copies(items) -> int:
    """Compare these (item id, hash) here and now, not in the worker (the ingest command does, to say
    how many are copies): how many are likely copies of other pictures or videos held."""
    found = 0
    for item_id, sha256 in items:
        compare(item_id)
        found += Likeness.select().where(Likeness.stored_file == sha256).exists()
    return found


def compare(item_id: int) -> dict:
    """An item's original fingerprinted and compared with the originals held, once per item:
    {"made": whether a fingerprint was read, "copies": how many originals were found alike}.

    The decoder runs for each item's first comparison even when its original was fingerprinted
    before (through another item): answered at once, the comparison would tell an uploader that
    the store already held their file, with an item they may not see. The item's ``compared_at``
    says it was done (not its chain of custody: the original itself is not touched, as for previews)."""
    item = EvidenceItem.get_or_none(EvidenceItem.id == item_id)
    kind = item and item.stored_file_id and kind_of(item.stored_file.media_type)
    if not kind or item.compared_at is not None:
        return {"made": False}
    sha256 = item.stored_file_id
    pairs = _computed(sha256, kind)
    found = {}
    with database.atomic():
        # The worker's threads, and an ingest comparing its batch at once, may take two items of one
        # original together: one of them writes its fingerprint and its copies, the other finds them.
        serialize_writers(COMPARE_LOCK)
        if EvidenceItem.get_by_id(item.id).compared_at is not None:
            return {"made": False}
        if pairs is not None and Fingerprint.get_or_none(Fingerprint.stored_file == sha256) is None:
            hashes = np.array([value for _t, value in pairs], dtype=np.uint64)
            seconds = np.array([t for t, _v in pairs], dtype=np.float32)
            Fingerprint.create(stored_file=sha256, kind=kind, hashes=likeness.as_blob(hashes),
                               seconds=seconds.tobytes())
            found = _copies(sha256, kind, hashes, seconds)
            for other, (score, offset) in found.items():
                Likeness.insert_many([
                    {"stored_file": sha256, "other": other, "score": score, "offset": offset},
                    {"stored_file": other, "other": sha256, "score": score, "offset": -offset},
                ]).on_conflict_ignore().execute()
            if kind == "video" and len(hashes):
                FingerprintBand.insert_many([{"band": band, "stored_file": sha256}
                                             for band in likeness.bands(hashes)]).execute()
        EvidenceItem.update(compared_at=utcnow()).where(EvidenceItem.id == item.id).execute()
    return {"made": pairs is not None, "copies": len(found)}


def _computed(sha256: str, kind: str) -> list[tuple[float, int]] | None:
    """(time, hash) pairs from the sandboxed decoder, working on a copy of the original."""
    store = EvidenceStore.from_settings(current_app.config["SETTINGS"])
    original = store.path_for(sha256)
    if not os.path.exists(original):  # a missing original is for `evidence verify`
        return None
    outcome = run_on_copy(store.root, original, "fingerprint", kind, KINDS[kind])
    try:
        result = outcome.result if outcome.ok else {}
        hashes, seconds = result.get("hashes"), result.get("seconds")
        if not isinstance(hashes, list) or not isinstance(seconds, list) or len(hashes) != len(seconds):
            return None
        # The child's answer is not trusted: sixteen hexadecimal digits and a time, or nothing.
        return [(float(t), int(h, 16)) for t, h in zip(seconds, hashes, strict=True)
                if isinstance(h, str) and HEX.fullmatch(h) and isinstance(t, (int, float))
                and math.isfinite(t) and t >= 0]
    finally:
        sandbox.discard(outcome)


def _copies(sha256: str, kind: str, hashes: np.ndarray, seconds: np.ndarray) -> dict[str, tuple[float, float]]:
    """The originals held of which this one is likely a copy: {sha256: (score, offset)}."""
    found = {}
    if kind == "image":
        if not len(hashes):
            return found
        rows = [(other, likeness.as_array(bytes(blob))) for other, blob in Fingerprint.select(
            Fingerprint.stored_file, Fingerprint.hashes).where(
            (Fingerprint.kind == "image") & (Fingerprint.stored_file != sha256)).tuples()]
        rows = [(other, held[0]) for other, held in rows if len(held)]  # a flat picture has no hash
        distances = likeness.closest_pictures(int(hashes[0]), np.array([h for _o, h in rows], dtype=np.uint64))
        for index in np.flatnonzero(distances <= likeness.CLOSE_BITS):
            found[rows[index][0]] = (likeness.picture_score(int(hashes[0]), int(rows[index][1])), 0.0)
        return found
    wanted = likeness.bands(hashes)
    shared: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        for other, count in (FingerprintBand.select(FingerprintBand.stored_file, fn.COUNT(FingerprintBand.band))
                             .where(FingerprintBand.band.in_(wanted[start:start + CHUNK])
                                    & (FingerprintBand.stored_file != sha256))
                             .group_by(FingerprintBand.stored_file).tuples()):
            shared[other] = shared.get(other, 0) + count
    candidates = [key for key, count in shared.items() if count >= SHARED_BANDS]
    for start in range(0, len(candidates), CHUNK):
        for row in Fingerprint.select().where(Fingerprint.stored_file.in_(candidates[start:start + CHUNK])):
            them = (likeness.as_array(bytes(row.hashes)), np.frombuffer(bytes(row.seconds), dtype=np.float32))
            scored = likeness.film_score((hashes, seconds), them)
            if scored is not None:
                found[row.stored_file_id] = scored
    return found


def alike(sha256: str) -> dict[str, tuple[float, float]]:
    """{original: (score, offset)} of the originals found alike to this one, and itself (score 1)."""
    found = {sha256: (1.0, 0.0)}
    found.update({other: (score, offset) for other, score, offset in Likeness.select(
        Likeness.other, Likeness.score, Likeness.offset).where(Likeness.stored_file == sha256).tuples()})
    return found
