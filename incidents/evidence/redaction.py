"""Redaction: what the public's copy of a picture or a video hides, proposed by a face detector and
decided by a reviewer.

When a picture or a video is preserved, a job (``faces``) has the sandboxed decoder look for faces
in its original (``media/faces.py``): the proposal, boxes in the original's pixels (with seconds in
a video), and frames to show them on. A reviewer other than the item's uploader keeps the proposed
boxes that are right, adds those the detector missed (a face, a tattoo, a name tag, a uniform's
number) and approves; or decides to publish it unredacted, saying why. Decisions are only ever
added, the latest stands, each in the item's chain of custody and the audit trail. The public's copy
is made from the original with the approved boxes destroyed (``jobs.ask_derivative``); the original
is never touched. Until a decision exists the public gets no copy, and the incident cannot be
published (``redactions.py``).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re

from flask import current_app
from flask_babel import lazy_gettext as _l

from incidents import audit, policy, redactions
from incidents.custody import record_custody
from incidents.db import database
from incidents.errors import Forbidden, NotFound, ValidationFailed
from incidents.evidence.jobs import ask_derivative, ask_faces
from incidents.evidence.previews import face_frame_path, run_on_copy
from incidents.evidence.service import ItemView, public_copy, read_item
from incidents.evidence.store import EvidenceStore
from incidents.jobs.service import Outcome
from incidents.media import sandbox
from incidents.media.kinds import shows_people
from incidents.models import REDACTION_DECISIONS, EvidenceItem, RedactionDecision, RedactionProposal
from incidents.validation import Errors, clean_text

# A film is searched at two frames a second: an hour takes some minutes of one core.
FACES_LIMITS = sandbox.Limits(seconds=3 * 3600, cpu=3 * 3600)
MAX_BOXES, MAX_REASON = 20_000, 2000
MAX_SECONDS = 100 * 3600.0
BOX_KEYS = {"x", "y", "w", "h", "start", "end", "track"}
# The frames shown with the proposal (media/faces.py makes 24 at most, each under a megabyte).
MAX_FRAMES, MAX_FRAME_BYTES = 24, 4 * 1024 * 1024
# The page's rows for areas the detector missed: three empty ones, and as many as were filled in.
ADD_ROWS, MAX_ADDED = 3, 200
TIME = re.compile(r"(\d{1,6}:)?\d{1,6}(\.\d{1,3})?")


def make_proposal(job) -> Outcome:
    """The job: faces found in an item's original, kept as the item's proposal with the frames
    shown to the reviewer. Run for each item, as fingerprints are (no possession oracle)."""
    item = EvidenceItem.get_or_none(EvidenceItem.id == job.arguments["item"])
    if item is None or item.stored_file_id is None or not shows_people(item.stored_file.media_type) \
            or RedactionProposal.get_or_none(RedactionProposal.item == item.id) is not None:
        return Outcome({"made": False})
    store = EvidenceStore.from_settings(current_app.config["SETTINGS"])
    sha256, kind = item.stored_file_id, item.stored_file.media_type.split("/")[0]
    original = store.path_for(sha256)
    if not os.path.exists(original):  # a missing original is for `evidence verify`
        return Outcome({"made": False})
    outcome = run_on_copy(store.root, original, "faces", kind, FACES_LIMITS)
    try:
        boxes, frames = _proposal(outcome, kind, store.root, sha256, item.id) if outcome.ok else ([], [])
    finally:
        sandbox.discard(outcome)
    RedactionProposal.insert(item=item.id, boxes=boxes, frames=frames, readable=outcome.ok).on_conflict_ignore().execute()
    return Outcome({"made": outcome.ok, "boxes": len(boxes)})


def _proposal(outcome: sandbox.Outcome, kind: str, root: str, sha256: str, item_id: int) -> tuple[list, list]:
    """The child's boxes and frames, checked: it read a hostile file, so its answer is untrusted."""
    frames = []
    for index, frame in enumerate(outcome.result.get("frames") or []):
        if not isinstance(frame, dict) or index >= MAX_FRAMES:
            break
        width, height, time = frame.get("width"), frame.get("height"), frame.get("time")
        if not (_whole(width) and _whole(height) and 0 < width <= 100_000 and 0 < height <= 100_000) \
                or not (time is None or _seconds(time)) or not isinstance(frame.get("file"), str) \
                or not _small(outcome, frame["file"]) \
                or not sandbox.take_output(outcome, frame["file"], face_frame_path(root, sha256, item_id, index)):
            continue
        frames.append({"index": index, "time": time, "width": width, "height": height})
    size = (frames[0]["width"], frames[0]["height"]) if frames else None
    errors = Errors()
    boxes = _boxes(outcome.result.get("boxes"), kind, size, errors) if size else []
    return ([] if errors else boxes), frames


def _small(outcome: sandbox.Outcome, name: str) -> bool:
    """Whether a frame the child wrote is of a size a frame has (``take_output`` checks the rest)."""
    try:
        return os.lstat(os.path.join(outcome.out_dir, name)).st_size <= MAX_FRAME_BYTES
    except (OSError, ValueError):
        return False


def proposal(item: EvidenceItem) -> RedactionProposal | None:
    """The item's proposal, or None while the detector works (asked for here: items from before)."""
    found = RedactionProposal.get_or_none(RedactionProposal.item == item.id)
    if found is None:
        ask_faces(item.id)
        found = RedactionProposal.get_or_none(RedactionProposal.item == item.id)  # a queue that runs at once
    return found


def state(view: ItemView) -> dict:
    """What staff see of an item's redaction (``GET /api/v1/evidence/ID/redaction``): ``status`` is
    "not_needed" (not a picture or a video), "detecting", "proposed" or "decided"."""
    if not view.staff:
        raise NotFound(_l("No such evidence item."))
    if not redactions.waits_for(view.item):
        return {"status": "not_needed", "proposed": [], "approved": [], "decision": None}
    found = proposal(view.item)
    decision = redactions.standing(view.item.id)
    status = "decided" if decision is not None else "proposed" if found is not None else "detecting"
    return {"status": status, "readable": found.readable if found else None,
            "size": _size(found), "frames": found.frames if found else [],
            "proposed": found.boxes if found else [],
            "approved": decision.boxes if decision is not None else [],
            "decision": decision.decision if decision is not None else None,
            "reason": decision.reason if decision is not None else "",
            "decided_at": decision.decided_at.isoformat() + "Z" if decision is not None else None,
            "decided_by": decision.decided_by.email if decision is not None else None}


def _size(found: RedactionProposal | None) -> dict | None:
    if found is None or not found.frames:
        return None
    return {"width": found.frames[0]["width"], "height": found.frames[0]["height"]}


def may_decide(user, view: ItemView) -> bool:
    return view.staff and policy.can_decide_redaction(user, view.item, view.incident)


def decide(user, item_id: int, data: dict) -> RedactionDecision:
    """Record a reviewer's decision: ``{"decision": "redact", "boxes": [...]}`` (at least one box) or
    ``{"decision": "publish_unredacted", "reason": "..."}`` (a reason, no box).

    :raise NotFound: the item is not visible to ``user`` as staff.
    :raise Forbidden: not a reviewer, or the item's uploader (four eyes).
    :raise ValidationFailed: anything else wrong, field by field; nothing is recorded.
    """
    view = read_item(user, item_id)
    if not view.staff:
        raise NotFound(_l("No such evidence item."))
    if not redactions.waits_for(view.item):
        raise ValidationFailed(_l("Only pictures and videos are redacted."), {})
    if not may_decide(user, view):
        raise Forbidden(_l("Another reviewer must decide: not the person who added the item."))
    if not isinstance(data, dict):
        raise ValidationFailed(_l("Send a JSON object."), {})
    errors = Errors()
    decision = data.get("decision")
    if decision not in REDACTION_DECISIONS:
        errors.add("decision", _l("Choose “redact” or “publish_unredacted”."))
    found = RedactionProposal.get_or_none(RedactionProposal.item == item_id)
    kind = view.item.stored_file.media_type.split("/")[0]
    size = _size(found)
    boxes = _boxes(data.get("boxes", []), kind, (size["width"], size["height"]) if size else None, errors)
    reason = clean_text(data.get("reason"), "reason", errors, required=decision == "publish_unredacted",
                        max_length=MAX_REASON, multiline=True)
    if decision == "redact" and not boxes and "boxes" not in errors:
        errors.add("boxes", _l("Mark at least one area to hide, or choose to publish it unredacted and say why."))
    if decision == "publish_unredacted" and boxes:
        errors.add("boxes", _l("An unredacted copy hides nothing: leave out the areas, or choose to redact."))
    errors.raise_if_any()
    boxes = sorted(boxes, key=lambda box: (box.get("start", 0), box.get("end", 0), box["y"], box["x"], box["w"],
                                           box["h"]))
    with database.atomic():
        made = RedactionDecision.create(item=item_id, decision=decision, boxes=boxes, digest=_digest(boxes),
                                        reason=reason, decided_by=user)
        # The reason may name someone: it stays in the sealed custody detail, not the audit trail.
        record_custody(view.item, "redaction_decided", user, decision=decision, boxes=len(boxes), reason=reason)
        audit.record(user, "evidence.redaction", view.item, decision=decision, boxes=len(boxes), digest=made.digest)
    return made


def _digest(boxes: list[dict]) -> str:
    """What names the public copy made with these boxes ("" for none: the copy that hides nothing)."""
    if not boxes:
        return ""
    return hashlib.sha256(json.dumps(boxes, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _boxes(raw, kind: str, size: tuple[int, int] | None, errors: Errors) -> list[dict]:
    """Boxes checked and in the stored shape: whole pixels inside the picture (when its size is
    known), and in a video seconds from ``start`` to ``end``."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_BOXES:
        errors.add("boxes", _l("A list of at most %(count)s areas.", count=MAX_BOXES))
        return []
    clean = []
    for number, box in enumerate(raw, start=1):
        problem = _box_problem(box, kind, size)
        if problem is not None:
            errors.add("boxes", _l("Area %(number)s: %(problem)s", number=number, problem=problem))
            return []
        kept = {key: box[key] for key in ("x", "y", "w", "h")}
        if kind == "video":
            kept.update(start=round(float(box["start"]), 3), end=round(float(box["end"]), 3))
        if _whole(box.get("track")):
            kept["track"] = box["track"]
        clean.append(kept)
    return clean


def _box_problem(box, kind: str, size: tuple[int, int] | None):
    if not isinstance(box, dict) or set(box) - BOX_KEYS:
        return _l("give x, y, w and h (and start and end in a video), nothing else.")
    if not all(_whole(box.get(key)) for key in ("x", "y", "w", "h")):
        return _l("x, y, w and h are whole numbers of pixels.")
    if box["x"] < 0 or box["y"] < 0 or box["w"] < 1 or box["h"] < 1:
        return _l("it must have a size and start inside the picture.")
    if size is not None and (box["x"] + box["w"] > size[0] or box["y"] + box["h"] > size[1]):
        return _l("it reaches outside the picture (%(width)s × %(height)s pixels).", width=size[0], height=size[1])
    if kind != "video":
        return _l("a picture's areas have no times.") if box.get("start") is not None or box.get("end") is not None \
            else None
    if not (_seconds(box.get("start")) and _seconds(box.get("end"))) or box["start"] > box["end"]:
        return _l("give the seconds it starts and ends, the start first.")
    return None


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 10_000_000


def _seconds(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and 0 <= value <= MAX_SECONDS


def frame_file(user, item_id: int, index: int, store: EvidenceStore) -> str:
    """A frame the detector showed for the item, for staff. :raise NotFound: otherwise."""
    view = read_item(user, item_id)
    path = face_frame_path(store.root, view.item.stored_file_id or "", item_id, index) if view.staff else ""
    if not view.staff or view.item.stored_file_id is None or not os.path.exists(path):
        raise NotFound(_l("No such frame."))
    return path


def copy_state(view: ItemView, store: EvidenceStore) -> bool | None:
    """Whether the public's copy of an item read as staff is made (True), cannot be (False) or is
    being made (None), as its decision asks; asks for it when missing."""
    stored = view.item.stored_file
    return ask_derivative(view.item.id, stored.sha256, stored.media_type, store)[0] if view.staff else False


def public_copy_file(user, item_id: int, store: EvidenceStore) -> tuple[ItemView, str, str]:
    """(view, path, media type) of the public's copy as its decision made it, for staff to check.

    :raise NotFound: not staff, no decision yet, or no copy can be made. :raise NotReady: being made.
    """
    view = read_item(user, item_id)
    if not view.staff or view.item.stored_file_id is None:
        raise NotFound(_l("No such evidence item."))
    return view, *public_copy(view, store)


def from_form(form, found: RedactionProposal | None, video: bool) -> dict:
    """The page's form as the API's body: the proposed areas kept (``keep``: their track numbers),
    the areas added (``add-N-x`` …; times as seconds or minutes:seconds), the decision and reason."""
    kept = set(form.getlist("keep"))
    boxes = [box for box in (found.boxes if found else []) if str(box.get("track")) in kept]
    for row in added_rows(form, video):
        if any(value.strip() for value in row.values()):
            boxes.append({key: _number(value, key in ("start", "end")) for key, value in row.items()})
    return {"decision": form.get("decision"), "boxes": boxes, "reason": form.get("reason", "")}


def added_rows(form, video: bool) -> list[dict]:
    """The added areas as typed (strings), and empty rows to add more: at least ``ADD_ROWS``."""
    keys = ("x", "y", "w", "h", "start", "end") if video else ("x", "y", "w", "h")
    rows = []
    for number in range(MAX_ADDED):
        row = {key: form.get(f"add-{number}-{key}", "")[:20] for key in keys}
        if not any(row.values()) and number >= ADD_ROWS:
            break
        rows.append(row)
    filled = [row for row in rows if any(value.strip() for value in row.values())]
    return filled + [dict.fromkeys(keys, "") for _ in range(max(1, ADD_ROWS - len(filled)))]


def _number(text: str, seconds: bool):
    """A whole number, or seconds ("75", "75.5", "1:15"); anything else as typed, for the check to name."""
    text = text.strip()
    if seconds and TIME.fullmatch(text):
        minutes, _sep, rest = text.rpartition(":")
        return (int(minutes) * 60 if minutes else 0) + float(rest)
    if text.isdecimal():
        return int(text)
    return text
