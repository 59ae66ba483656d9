"""Files made from an original: previews, the public's derivative (with the areas a reviewer chose
destroyed, and its own preview), the original's metadata and the frames shown with found faces.

Each is made once, by a job (``evidence/jobs.py``; a web request never runs a decoder, it asks with
the ``*_state`` functions whether the file is there yet), by a decoder in the sandbox
(``media.sandbox``) from a throw-away working copy, never the original. It is kept under ``previews/`` beside the store (backups leave that folder
out: all of it can be made again), keyed by the original's SHA-256. A file the decoder cannot
read, or that crashes, hangs or exhausts it, gets a marker instead, so it is not tried at every
view; deleting the marker tries again.
"""
from __future__ import annotations

import datetime
import fcntl
import json
import logging
import os
import shutil
import tempfile

from incidents.evidence import credentials
from incidents.media import sandbox
from incidents.media.kinds import decodable, shows_people

log = logging.getLogger(__name__)

# The public's copy of each kind, by the extension the sandbox gives it; the type is ours, not the child's.
DERIVATIVE_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".mp4": "video/mp4", ".m4a": "audio/mp4"}
# Bigger originals get no derivative: the sandbox's limits would stop the decoder long before the end
# of a longer film. Staff still see the original; the public sees the preview and the hash.
MAX_DERIVATIVE_SOURCE = 2 * 1024 * 1024 * 1024
MAX_METADATA_ROWS, MAX_TEXT = 300, 500


def _base(root: str, sha256: str) -> str:
    return os.path.join(root, "previews", sha256[:2], sha256)


def preview_path(root: str, sha256: str, blurred: bool = False) -> str:
    return _base(root, sha256) + (".blur.jpg" if blurred else ".jpg")


def face_frame_path(root: str, sha256: str, item_id: int, index: int) -> str:
    """A frame the face detector showed for an item, for its reviewer (``evidence/redaction.py``)."""
    return f"{_base(root, sha256)}.faces.item-{int(item_id)}.{int(index):02d}.jpg"


def _metadata_path(root: str, sha256: str) -> str:
    return _base(root, sha256) + ".meta.json"


def _public_base(root: str, sha256: str, digest: str) -> str:
    """The public's copy of an original, one for each set of areas destroyed in it (``digest``, see
    ``redactions.py``; "" for a copy that hides nothing). (Copies made before they were signed were
    named ".public": none of them is served.)"""
    return _base(root, sha256) + ".published" + (f"-{digest}" if digest else "")


def derivative_path(root: str, sha256: str, digest: str = "") -> tuple[str, str] | None:
    """(path, media type) of the public's copy when it has been made."""
    for extension, media_type in DERIVATIVE_TYPES.items():
        path = _public_base(root, sha256, digest) + extension
        if os.path.exists(path):
            return path, media_type
    return None


def public_preview_path(root: str, sha256: str, digest: str = "", blurred: bool = False) -> str:
    """The preview the public sees: made from the public's copy, so it hides what the copy hides."""
    return _public_base(root, sha256, digest) + (".preview.blur.jpg" if blurred else ".preview.jpg")


def _product(root: str, sha256: str, task: str, digest: str = ""):
    """(whether ``task``'s product of this original is there, as a function; its failure marker)."""
    base, public = _base(root, sha256), _public_base(root, sha256, digest)
    exists = {"preview": lambda: os.path.exists(preview_path(root, sha256)),
              "metadata": lambda: os.path.exists(_metadata_path(root, sha256)),
              "derivative": lambda: derivative_path(root, sha256, digest) is not None,
              "public_preview": lambda: os.path.exists(public_preview_path(root, sha256, digest))}[task]
    return exists, {"preview": base + ".none", "metadata": base + ".meta.none", "derivative": public + ".none",
                    "public_preview": public + ".preview.none"}[task]


def _stamp(root: str, sha256: str, task: str, item_id: int | None) -> str | None:
    return None if item_id is None else f"{_base(root, sha256)}.{task}.item-{int(item_id)}"


def previews_state(root: str, sha256: str, media_type: str, item_id: int | None = None) -> bool | None:
    """Whether the item's previews are there (True), cannot be made (False) or are yet to be made (None)."""
    if not shows_people(media_type):
        return False
    return _kept(*_product(root, sha256, "preview"), _stamp(root, sha256, "preview", item_id))


def derivative_state(root: str, original: str, sha256: str, media_type: str, digest: str = "") -> bool | None:
    """Whether the public's copy is there (True), cannot be made (False) or is yet to be made (None)."""
    if not decodable(media_type):
        return False
    kept = _kept(*_product(root, sha256, "derivative", digest), None)
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
    if not shows_people(media_type):
        return False

    def take(outcome):
        return sandbox.take_output(outcome, "preview.blur.jpg", preview_path(root, sha256, True)) and \
            sandbox.take_output(outcome, "preview.jpg", preview_path(root, sha256))
    return _made(root, original, sha256, media_type, "preview", take, sandbox.PREVIEW_LIMITS, item_id)


def ensure_derivative(root: str, original: str, sha256: str, media_type: str, signing: credentials.Signing,
                      boxes: list | None = None, digest: str = "") -> tuple[str, str] | None:
    """The public's copy of an image, a video or a sound, made unless it is there: (path, media type),
    or None when there is none (another type, unreadable, or an original above the size cap).
    ``boxes``: the areas destroyed in it, named by ``digest``. Each copy carries a manifest of how
    it was made, signed (``signing``, see ``credentials.py``); a copy that cannot be signed is not
    published. A picture's or a video's copy comes with its preview, made from the copy."""
    if derivative_state(root, original, sha256, media_type, digest) is None:
        def take(outcome):
            name = outcome.result.get("file")
            extension = os.path.splitext(name)[1] if isinstance(name, str) else ""
            if extension not in DERIVATIVE_TYPES:
                return False
            unsigned = _public_base(root, sha256, digest) + ".unsigned" + extension
            if not sandbox.take_output(outcome, name, unsigned):
                return False
            made_as = DERIVATIVE_TYPES[extension]
            what = credentials.manifest(sha256, media_type, made_as, len(boxes or ()), signing.installation,
                                        datetime.datetime.now(datetime.UTC))
            try:
                return credentials.sign(unsigned, made_as, _public_base(root, sha256, digest) + extension, what,
                                        signing)
            finally:
                os.unlink(unsigned)
        _made(root, original, sha256, media_type, "derivative", take, sandbox.DERIVATIVE_LIMITS, digest=digest,
              arguments={"boxes": boxes} if boxes else None)
    made = derivative_path(root, sha256, digest)
    if made is not None and shows_people(made[1]):
        _ensure_public_preview(root, sha256, made, digest)
    return made


def public_preview_state(root: str, sha256: str, media_type: str, digest: str = "") -> bool | None:
    """Whether the public's preview is there (True), cannot be made (False) or is yet to be (None)."""
    if not shows_people(media_type):
        return False
    return _kept(*_product(root, sha256, "public_preview", digest), None)


def _ensure_public_preview(root: str, sha256: str, copy: tuple[str, str], digest: str) -> None:
    def take(outcome):
        return sandbox.take_output(outcome, "preview.blur.jpg", public_preview_path(root, sha256, digest, True)) \
            and sandbox.take_output(outcome, "preview.jpg", public_preview_path(root, sha256, digest))
    _made(root, copy[0], sha256, copy[1], "public_preview", take, sandbox.PREVIEW_LIMITS, digest=digest,
          task="preview")


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


def _made(root, original, sha256, media_type, product, take, limits, item_id=None, digest="", arguments=None,
          task=None) -> bool:
    """Whether the product exists, making it in the sandbox unless it does or a marker says it cannot.

    One job makes it while the others wait for it (a lock per original), so two jobs for one
    original start one decoder, not one each. ``task``: the worker's task that makes ``product``
    (the same name unless given), with its ``arguments``. With ``item_id``, the item's first need runs the
    decoder whatever is kept: kept from another item's bytes, the product would come faster (or,
    after a failure there, not at all), and tell an uploader that the store held their file before,
    with an item they may not see (a possession oracle). The item's outcome is kept in a stamp.
    """
    stamp = _stamp(root, sha256, product, item_id)
    exists, marker = _product(root, sha256, product, digest)
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
        outcome = run_on_copy(root, original, task or product, media_type.split("/")[0], limits, arguments)
        try:
            made = outcome.ok and take(outcome)
        finally:
            sandbox.discard(outcome)
        if not made:
            reason = outcome.reason if not outcome.ok else "no safe output"
            log.warning("media: %s of %s failed: %s", product, sha256, reason)
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


def run_on_copy(root: str, original: str, task: str, kind: str, limits: sandbox.Limits,
                arguments: dict | None = None) -> sandbox.Outcome:
    """The task on a working copy of the original: decoders never see the stored file itself."""
    work_dir = os.path.join(root, "work")
    os.makedirs(work_dir, mode=0o700, exist_ok=True)
    fd, working_copy = tempfile.mkstemp(prefix="work-", dir=work_dir)
    os.close(fd)
    try:
        shutil.copyfile(original, working_copy)
        return sandbox.run(task, kind, working_copy, work_dir, limits, arguments)
    finally:
        os.unlink(working_copy)


def _write_json(path: str, value) -> None:
    fd, temporary = tempfile.mkstemp(prefix=".part-", dir=os.path.dirname(path))
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False)
    os.replace(temporary, path)
