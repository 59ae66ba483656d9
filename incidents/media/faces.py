"""Faces found for a reviewer to confirm, and areas destroyed in the public's copy.

Imported only inside the worker, by ``decoders.py``: OpenCV's Haar cascades (the models ship in the
opencv-python-headless wheel, nothing is downloaded), numpy and Pillow.

Finding: each picture, or a video's frame every ``STEP`` seconds (bench/redaction.py measures the time
it takes), is searched in grey at most ``SEARCHED_SIDE`` pixels wide, for faces seen from the front
and in profile (both ways). A face is proposed with a margin around it (``MARGIN``): the detector's
box holds eyes, nose and mouth, not the hair, ears and chin that also tell who someone is.

Tracking: in a video, a face found at one sampled time is linked to the one overlapping it at the
next (or, when the detector missed it once, the one after), and each step of the track is proposed
as the union of the two boxes from the first time to the second: a face moving between samples
stays inside. A track's ends are held for one step more, for a face seen first or last between
two samples.

Destroying: each box is cut into at most ``BLOCKS`` blocks across its longer side and each block
painted with its mean colour, a loss no filter can undo (a blur can be partly reversed; this is
what is left of eight-by-eight pixels).
"""
from __future__ import annotations

import functools
import itertools
import math
import os

import numpy as np
from PIL import Image

STEP = 1.0
SEARCHED_SIDE = 960
MARGIN = 0.3  # of the detector's box, on each side
BLOCKS = 8
# Detector settings: a face at least MIN_FACE pixels across in the searched picture, and at least
# NEIGHBOURS overlapping detections to count (fewer finds more faces and more wallpaper). The picture is
# searched at sizes SCALES apart, for each model: the profile model, run twice, costs most.
MIN_FACE, NEIGHBOURS, SCALES = 20, 4, (1.1, 1.2)
# What the reviewer is shown: frames of the film (those with faces first), each at most SHOWN_SIDE wide.
MAX_SHOWN, SHOWN_SIDE = 24, 960
# A film's first hours only, as for fingerprints: ten hours at a frame a second.
MAX_SAMPLES = 36_000
LINK_OVERLAP = 0.1
GROWTH = 1.25  # how much bigger than its parts a track's joined box may be
CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_profileface.xml")


@functools.cache
def _opencv():
    """OpenCV and its face models, loaded by the search alone: it adds a tenth of a second to the
    start of any other task (a redaction's areas are destroyed with numpy)."""
    import cv2
    cv2.setNumThreads(1)  # the sandbox counts CPU time, and the server runs other decoders beside this one
    return cv2, [cv2.CascadeClassifier(os.path.join(cv2.data.haarcascades, name)) for name in CASCADES]


def find(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Faces in a picture (height x width x 3), as (x, y, w, h) in its pixels, margins included."""
    cv2, cascades = _opencv()
    height, width = rgb.shape[:2]
    scale = min(1.0, SEARCHED_SIDE / max(width, height))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(width * scale)), max(1, round(height * scale))),
                          interpolation=cv2.INTER_AREA)
    grey = cv2.equalizeHist(grey)
    found = []
    for index, cascade in enumerate(cascades):
        for flipped in (False, True) if index else (False,):  # the profile model knows one side
            searched = cv2.flip(grey, 1) if flipped else grey
            for x, y, w, h in cascade.detectMultiScale(searched, SCALES[index], NEIGHBOURS,
                                                        minSize=(MIN_FACE, MIN_FACE)):
                x = searched.shape[1] - x - w if flipped else x
                found.append((x / scale, y / scale, w / scale, h / scale))
    return _merged([_grown(box, width, height) for box in found])


def _grown(box, width: int, height: int) -> tuple[int, int, int, int]:
    x, y, w, h = box
    left, top = max(0, math.floor(x - w * MARGIN)), max(0, math.floor(y - h * MARGIN))
    right, bottom = min(width, math.ceil(x + w * (1 + MARGIN))), min(height, math.ceil(y + h * (1 + MARGIN)))
    return left, top, right - left, bottom - top


def _overlap(a, b) -> float:
    """Intersection over the smaller box: a box inside another overlaps it wholly."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / min(a[2] * a[3], b[2] * b[3])


def _union(a, b) -> tuple[int, int, int, int]:
    left, top = min(a[0], b[0]), min(a[1], b[1])
    return left, top, max(a[0] + a[2], b[0] + b[2]) - left, max(a[1] + a[3], b[1] + b[3]) - top


def _merged(boxes: list) -> list:
    """One box for each face the two models (and the profile model both ways) found again."""
    merged: list = []
    for box in sorted(boxes, key=lambda b: -b[2] * b[3]):
        for index, kept in enumerate(merged):
            if _overlap(box, kept) > 0.5:
                merged[index] = _union(box, kept)
                break
        else:
            merged.append(box)
    return merged


def picture(image: Image.Image, out_dir: str) -> dict:
    """A picture's faces and the picture itself as the reviewer sees it (``frame-00.jpg``)."""
    rgb = np.asarray(image.convert("RGB"))
    boxes = [_box(box, track=number) for number, box in enumerate(find(rgb), start=1)]
    return {"boxes": boxes, "frames": [_shown(rgb, None, out_dir, 0)]}


def film(frames, out_dir: str, duration: float | None) -> dict:
    """A video's faces from its decoded ``frames`` (PyAV's, in order), tracked, with up to
    ``MAX_SHOWN`` frames for the reviewer: one of each stretch of the film, the one with most faces."""
    samples, due = [], 0.0
    stretch = max(STEP, (duration or 0) / MAX_SHOWN) if duration else 10.0
    shown: dict[int, tuple[int, float, np.ndarray]] = {}
    for frame in frames:
        if frame.time is None or frame.time < due:
            continue
        rgb = frame.to_ndarray(format="rgb24")
        found = find(rgb)
        samples.append((float(frame.time), found))
        cell = int(frame.time // stretch)
        if (cell in shown or len(shown) < MAX_SHOWN) and len(found) > shown.get(cell, (-1,))[0]:
            shown[cell] = (len(found), float(frame.time), _small(rgb))
        due = (math.floor(frame.time / STEP) + 1) * STEP
        if len(samples) >= MAX_SAMPLES:
            break
    if not samples:
        raise ValueError("no video frame")
    height, width = rgb.shape[:2]
    kept = [_shown(small, time, out_dir, index, (width, height))
            for index, (_count, time, small) in enumerate(shown[cell] for cell in sorted(shown))]
    return {"boxes": tracked(samples), "frames": kept}


def tracked(samples: list[tuple[float, list]]) -> list[dict]:
    """Boxes with times from the faces found at each sampled time (see the module's doc)."""
    tracks: list[list[tuple[float, tuple]]] = []
    open_tracks: list[list[tuple[float, tuple]]] = []
    for time, found in samples:
        unclaimed = list(found)
        still_open = []
        for track in open_tracks:
            last_time, last_box = track[-1]
            best = max(unclaimed, key=lambda box: _overlap(box, last_box), default=None)
            if best is not None and _overlap(best, last_box) > LINK_OVERLAP:
                track.append((time, best))
                unclaimed.remove(best)
                still_open.append(track)
            elif time - last_time <= 2 * STEP + 1e-6:
                still_open.append(track)  # missed once: it may be found at the next sample
            else:
                tracks.append(track)
        for box in unclaimed:
            still_open.append([(time, box)])
        open_tracks = still_open
    tracks.extend(open_tracks)
    boxes = []
    for number, track in enumerate(tracks, start=1):
        first, last = track[0], track[-1]
        steps = [(first[1], first[0] - STEP, first[0])]
        steps.extend((_union(a[1], b[1]), a[0], b[0]) for a, b in itertools.pairwise(track))
        steps.append((last[1], last[0], last[0] + STEP))
        boxes.extend(_box(box, start, end, number) for box, start, end in _joined(steps))
    return boxes


def _joined(steps: list) -> list:
    """Consecutive steps of a track as one box while their union stays close to each of them (at most
    ``GROWTH`` times the smallest): a face that hardly moves is one box for as long as it stays, not one
    every second, and one that moves is not one box the size of its whole path."""
    joined = [steps[0]]
    smallest = steps[0][0][2] * steps[0][0][3]
    for box, start, end in steps[1:]:
        kept, kept_start, _kept_end = joined[-1]
        union = _union(kept, box)
        smallest = min(smallest, box[2] * box[3])
        if union[2] * union[3] <= GROWTH * smallest:
            joined[-1] = (union, kept_start, end)
        else:
            joined.append((box, start, end))
            smallest = box[2] * box[3]
    return joined


def _box(box, start: float | None = None, end: float | None = None, track: int | None = None) -> dict:
    x, y, w, h = (int(v) for v in box)
    times = {} if start is None else {"start": round(max(0.0, start), 3), "end": round(end, 3)}
    return {"x": x, "y": y, "w": w, "h": h, **times, "track": track}


def _small(rgb: np.ndarray) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = min(1.0, SHOWN_SIDE / max(width, height))
    if scale == 1.0:
        return rgb.copy()
    return np.asarray(Image.fromarray(rgb).resize((max(1, round(width * scale)), max(1, round(height * scale))),
                                                  Image.Resampling.BOX))


def _shown(rgb: np.ndarray, time: float | None, out_dir: str, index: int, side=None) -> dict:
    """A frame saved for the reviewer, with the size of the original it stands for (boxes are in it)."""
    width, height = side or (rgb.shape[1], rgb.shape[0])
    name = f"frame-{index:02d}.jpg"
    Image.fromarray(_small(rgb)).save(os.path.join(out_dir, name), "JPEG", quality=80)
    return {"file": name, "time": None if time is None else round(time, 3), "width": width, "height": height}


def destroy(rgb: np.ndarray, boxes: list[dict]) -> None:
    """Paint over each box (x, y, w, h in the picture's pixels) in ``rgb``, in place, block by block."""
    height, width = rgb.shape[:2]
    for box in boxes:
        left, top = max(0, box["x"]), max(0, box["y"])
        right, bottom = min(width, box["x"] + box["w"]), min(height, box["y"] + box["h"])
        if right <= left or bottom <= top:
            continue
        block = max(1, math.ceil(max(box["w"], box["h"]) / BLOCKS))
        for y in range(top, bottom, block):
            for x in range(left, right, block):
                cell = rgb[y:min(y + block, bottom), x:min(x + block, right)]
                cell[...] = cell.reshape(-1, cell.shape[-1]).mean(axis=0).astype(rgb.dtype)


def during(boxes: list[dict], time: float | None) -> list[dict]:
    """The boxes in force at ``time`` of a video (a box with no times holds throughout)."""
    if time is None:
        return boxes
    return [box for box in boxes if "start" not in box or box["start"] <= time <= box["end"]]
