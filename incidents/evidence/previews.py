"""Files made from an original: previews, the public's derivative, and the original's metadata.

Each is made once, by a job (``evidence/jobs.py``; a web request never runs a decoder, it asks with
the ``*_state`` functions whether the file is there yet), by a decoder in the sandbox
(``media.sandbox``) from a throw-away working copy, never the original. It is kept under ``previews/`` beside the store (backups leave that folder
out: all of it can be made again), keyed by the original's SHA-256. A file the decoder cannot
read, or that crashes, hangs or exhausts it, gets a marker instead, so it is not tried at every
view; deleting the marker tries again.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile

from incidents.media import sandbox

log = logging.getLogger(__name__)

DECODED_KINDS = ("image", "video", "audio")
# The public's copy of each kind, by the extension the sandbox gives it; the type is ours, not the child's.
DERIVATIVE_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".mp4": "video/mp4", ".m4a": "audio/mp4"}
# Bigger originals get no derivative: the sandbox's limits would stop the decoder long before the end
# of a longer film. Staff still see the original; the public sees the preview and the hash.
MAX_DERIVATIVE_SOURCE = 2 * 1024 * 1024 * 1024
MAX_METADATA_ROWS, MAX_TEXT = 300, 500


def decodable(media_type: str) -> bool:
    """Whether a decoder is ever tried on this type. SVG is a program, not a picture: never."""
    return media_type.split("/")[0] in DECODED_KINDS and media_type != "image/svg+xml"


def _base(root: str, sha256: str) -> str:
    return os.path.join(root, "previews", sha256[:2], sha256)


def preview_path(root: str, sha256: str, blurred: bool = False) -> str:
    return _base(root, sha256) + (".blur.jpg" if blurred else ".jpg")


def _metadata_path(root: str, sha256: str) -> str:
    return _base(root, sha256) + ".meta.json"


def derivative_path(root: str, sha256: str) -> tuple[str, str] | None:
    """(path, media type) of the public's copy when it has been made."""
    for extension, media_type in DERIVATIVE_TYPES.items():
        path = _base(root, sha256) + ".public" + extension
        if os.path.exists(path):
            return path, media_type
    return None


def _previewed(media_type: str) -> bool:
    return media_type.split("/")[0] in ("image", "video") and decodable(media_type)


def _product(root: str, sha256: str, task: str):
    """(whether ``task``'s product of this original is there, as a function; its failure marker)."""
    base = _base(root, sha256)
    exists = {"preview": lambda: os.path.exists(preview_path(root, sha256)),
              "metadata": lambda: os.path.exists(_metadata_path(root, sha256)),
              "derivative": lambda: derivative_path(root, sha256) is not None}[task]
    return exists, base + {"preview": ".none", "metadata": ".meta.none", "derivative": ".public.none"}[task]


def _stamp(root: str, sha256: str, task: str, item_id: int | None) -> str | None:
    return None if item_id is None else f"{_base(root, sha256)}.{task}.item-{int(item_id)}"


def previews_state(root: str, sha256: str, media_type: str, item_id: int | None = None) -> bool | None:
    """Whether the item's previews are there (True), cannot be made (False) or are yet to be made (None)."""
    if not _previewed(media_type):
        return False
    return _kept(*_product(root, sha256, "preview"), _stamp(root, sha256, "preview", item_id))


def derivative_state(root: str, original: str, sha256: str, media_type: str) -> bool | None:
    """Whether the public's copy is there (True), cannot be made (False) or is yet to be made (None)."""
    if not decodable(media_type):
        return False
    kept = _kept(*_product(root, sha256, "derivative"), None)
    if kept is None and (not os.path.exists(original) or os.path.getsize(original) > MAX_DERIVATIVE_SOURCE):
        return False
    return kept


def metadata_state(root: str, sha256: str, media_type: str, item_id: int | None = None) -> bool | None:
    """Whether the original's metadata was read (True), cannot be (False) or is yet to be (None)."""
    if not decodable(media_type):
        return False
    return _kept(*_product(root, sha256, "metadata"), _stamp(root, sha256, "metadata", item_id))


def ensure_previews(root: str, original: str, sha256: str, media_type: str, item_id: int | None = None) -> bool:
    """Make the previews unless they are there, and anew on the first need of each item (``item_id``,
    see ``_made``); True when they exist."""
    if not _previewed(media_type):
        return False

    def take(outcome):
        return sandbox.take_output(outcome, "preview.blur.jpg", preview_path(root, sha256, True)) and \
            sandbox.take_output(outcome, "preview.jpg", preview_path(root, sha256))
    return _made(root, original, sha256, media_type, "preview", take, sandbox.PREVIEW_LIMITS, item_id)


def ensure_derivative(root: str, original: str, sha256: str, media_type: str) -> tuple[str, str] | None:
    """The public's copy of an image, a video or a sound, made unless it is there: (path, media type),
    or None when there is none (another type, unreadable, or an original above the size cap)."""
    if derivative_state(root, original, sha256, media_type) is not None:
        return derivative_path(root, sha256)

    def take(outcome):
        name = outcome.result.get("file")
        extension = os.path.splitext(name)[1] if isinstance(name, str) else ""
        return extension in DERIVATIVE_TYPES and \
            sandbox.take_output(outcome, name, _base(root, sha256) + ".public" + extension)
    _made(root, original, sha256, media_type, "derivative", take, sandbox.DERIVATIVE_LIMITS)
    return derivative_path(root, sha256)


def read_metadata(root: str, original: str, sha256: str, media_type: str,
                  item_id: int | None = None) -> list[tuple[str, str, str]] | None:
    """The original's embedded metadata as (group, name, value) rows, or None when unreadable; read
    anew on the first need of each item (``item_id``, see ``_made``)."""
    if not decodable(media_type):
        return None

    def take(outcome):
        rows = outcome.result.get("metadata")
        if not isinstance(rows, list):
            return False
        # The child's answer is untrusted too: only rows of three short strings are kept.
        clean = [[str(cell)[:MAX_TEXT] for cell in row] for row in rows[:MAX_METADATA_ROWS]
                 if isinstance(row, list) and len(row) == 3 and all(isinstance(cell, str) for cell in row)]
        _write_json(_metadata_path(root, sha256), clean)
        return True
    if not _made(root, original, sha256, media_type, "metadata", take, sandbox.PREVIEW_LIMITS, item_id):
        return None
    return kept_metadata(root, sha256)


def kept_metadata(root: str, sha256: str) -> list[tuple[str, str, str]]:
    """The metadata ``read_metadata`` kept (check ``metadata_state`` first)."""
    with open(_metadata_path(root, sha256), encoding="utf-8") as handle:
        return [tuple(row) for row in json.load(handle)]


def _made(root, original, sha256, media_type, task, take, limits, item_id=None) -> bool:
    """Whether the product exists, making it in the sandbox unless it does or a marker says it cannot.

    One job makes it while the others wait for it (a lock per original), so two jobs for one
    original start one decoder, not one each. With ``item_id``, the item's first need runs the
    decoder whatever is kept: kept from another item's bytes, the product would come faster (or,
    after a failure there, not at all), and tell an uploader that the store held their file before,
    with an item they may not see (a possession oracle). The item's outcome is kept in a stamp.
    """
    stamp = _stamp(root, sha256, task, item_id)
    exists, marker = _product(root, sha256, task)
    kept = _kept(exists, marker, stamp)
    if kept is not None:
        return kept
    if not os.path.exists(original):  # a missing original is for `evidence verify`
        return False
    os.makedirs(os.path.dirname(marker), mode=0o700, exist_ok=True)
    with open(_base(root, sha256) + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        kept = _kept(exists, marker, stamp)
        if kept is not None:
            return kept
        outcome = run_on_copy(root, original, task, media_type.split("/")[0], limits)
        try:
            made = outcome.ok and take(outcome)
        finally:
            sandbox.discard(outcome)
        if not made:
            reason = outcome.reason if not outcome.ok else "no safe output"
            log.warning("media: %s of %s failed: %s", task, sha256, reason)
            with open(marker, "w", encoding="utf-8") as handle:
                handle.write(reason + "\n")
        if stamp is not None:
            with open(stamp, "w", encoding="utf-8") as handle:
                handle.write("made\n" if made else "failed\n")
        return made


def _kept(exists, marker: str, stamp: str | None) -> bool | None:
    """What is known without a decoder: True (made), False (cannot be), None (to be made now).
    An item's failed stamp stands while the marker does (deleting the marker tries again)."""
    if stamp is not None:
        if not os.path.exists(stamp):
            return None
        with open(stamp, encoding="utf-8") as handle:
            if handle.read().strip() != "made" and os.path.exists(marker):
                return False
    if exists():
        return True
    return False if os.path.exists(marker) else None


def run_on_copy(root: str, original: str, task: str, kind: str, limits: sandbox.Limits) -> sandbox.Outcome:
    """The task on a working copy of the original: decoders never see the stored file itself."""
    work_dir = os.path.join(root, "work")
    os.makedirs(work_dir, mode=0o700, exist_ok=True)
    fd, working_copy = tempfile.mkstemp(prefix="work-", dir=work_dir)
    os.close(fd)
    try:
        shutil.copyfile(original, working_copy)
        return sandbox.run(task, kind, working_copy, work_dir, limits)
    finally:
        os.unlink(working_copy)


def _write_json(path: str, value) -> None:
    fd, temporary = tempfile.mkstemp(prefix=".part-", dir=os.path.dirname(path))
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False)
    os.replace(temporary, path)
