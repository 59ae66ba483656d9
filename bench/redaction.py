"""Faces found and hidden (issue 16, point 2): the detector's recall and precision on labelled faces,
the share of frames in which a known face stays visible in the public copy, and the time to search
an hour of video (not a test).

Usage: .venv/bin/python bench/redaction.py [CLIPS] [SECONDS]     # 4 20

Labelled pictures: scikit-image's ``lfw_subset`` (100 photographs of faces and 100 of other things,
25x25, from the Labeled Faces in the Wild set; they ship inside the package) each scaled up to 96
pixels and set in a room (``tests/clips.py``), and the package's portrait of an astronaut. A face
counts as found when a proposed box holds nine tenths of it; a box on a picture with no face is a
false one.

Labelled clips: ``FaceScene`` films (two faces moving, H.264 at 480x360, 10 frames a second) made
plain, fast, small, growing (someone walking towards the camera), blurred and dark. Each is searched
by the sandboxed worker's code (``media/faces.py``, in-process here: the same code). For every frame
of the clip and every face in it, the face is *covered* when the proposed boxes in force at that
moment hold nine tenths of it. Then, as a reviewer would, every face left uncovered in some frame
gets a box added around the head (the detector's margin) for that moment, and the public copy is
made (``decoders.derivative``): a face is *visible* in a frame of it when the fine structure of its
region (finer than about 3 pixels) still correlates with the original's above 0.3 (a copy only
re-encoded scores about 1, a face destroyed in blocks about 0.06; ``tests/clips.likeness``).
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "incidents", "media"))

import av  # noqa: E402
import decoders  # noqa: E402
import faces  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from skimage import data  # noqa: E402

from tests.clips import FaceScene, Scene, Variant, astronaut, covered, film, likeness  # noqa: E402

CLIP_KINDS = {
    "plain (faces 96 px)": {},
    "fast (3x the speed)": {"speed": 0.24},
    "small (faces 48 px)": {"size": 48},
    "growing (60 to 180 px)": {"size": 60, "grow": 2.0},
    "blurred (radius 2)": {"blur": 2.0},
    "dark (35 % of the light)": {"dark": 0.35},
}
HELD = 0.9


def pictures() -> None:
    photographs = data.lfw_subset()
    room = Scene(7, (320, 240), still=True).background
    found = missed = false_boxes = boxes_on_faces = 0
    spent = 0.0
    for number, photograph in enumerate(photographs):
        canvas = room.copy()
        face = np.asarray(Image.fromarray((photograph * 255).astype(np.uint8)).convert("RGB").resize((96, 96)))
        x, y = 40 + (number * 37) % 180, 30 + (number * 23) % 110
        canvas[y:y + 96, x:x + 96] = face
        started = time.process_time()
        proposed = faces.find(canvas)
        spent += time.process_time() - started
        as_dicts = [{"x": bx, "y": by, "w": bw, "h": bh} for bx, by, bw, bh in proposed]
        if number < 100:  # a face
            hit = covered((x, y, 96, 96), as_dicts) >= HELD
            found, missed = found + hit, missed + (not hit)
            boxes_on_faces += sum(faces._overlap(box, (x, y, 96, 96)) > 0.5 for box in proposed)
            false_boxes += sum(faces._overlap(box, (x, y, 96, 96)) <= 0.5 for box in proposed)
        else:
            false_boxes += len(proposed)
    portrait = faces.find(np.asarray(Image.open(io.BytesIO(astronaut())).convert("RGB")))
    print("Pictures: 100 faces and 100 other photographs of lfw_subset, each 96 px in a 320x240 room\n")
    print("| faces found (recall) | boxes on a face (precision) | boxes on no face | the astronaut | time a picture |")
    print("|---|---|---|---|---|")
    print(f"| {found}/{found + missed} | {boxes_on_faces}/{boxes_on_faces + false_boxes} | {false_boxes} | "
          f"{len(portrait)} box | {spent / len(photographs) * 1000:.0f} ms |\n")


def clip_row(name: str, options: dict, clips: int, seconds: float) -> None:
    frames = face_frames = covered_frames = visible_after = proposed_boxes = boxes_on_faces = 0
    spent = 0.0
    for seed in range(clips):
        scene = FaceScene(100 + seed, **options)
        with tempfile.TemporaryDirectory() as folder:
            source = os.path.join(folder, "clip.mp4")
            with open(source, "wb") as handle:
                handle.write(film(scene, seconds, Variant(*scene.side), fps=10))
            started = time.process_time()
            proposal = decoders.find_faces("video", source, folder)
            spent += time.process_time() - started
            boxes = proposal["boxes"]
            for box in boxes:
                proposed_boxes += 1
                middle = (box["start"] + box["end"]) / 2
                boxes_on_faces += any(faces._overlap((box["x"], box["y"], box["w"], box["h"]), face) > 0.3
                                      for face in scene.boxes(middle))
            added = []
            times = [index / 10 for index in range(int(seconds * 10))]
            for t in times:
                for face in scene.boxes(t):
                    face_frames += 1
                    if covered(face, faces.during(boxes, t)) >= HELD:
                        covered_frames += 1
                    else:  # the reviewer adds what the detector left out, around the head, for that moment
                        margin = int(face[2] * faces.MARGIN)
                        left, top = max(0, face[0] - margin), max(0, face[1] - margin)
                        added.append({"x": left, "y": top, "w": face[2] + 2 * margin, "h": face[3] + 2 * margin,
                                      "start": max(0.0, t - 0.05), "end": t + 0.05})
            decoders.derivative("video", source, folder, boxes + added)
            with av.open(os.path.join(folder, "derivative.mp4")) as container:
                for frame in container.decode(video=0):
                    frames += 1
                    rgb = frame.to_ndarray(format="rgb24")
                    original = np.asarray(scene.frame(frame.time))
                    for x, y, w, h in scene.boxes(frame.time):
                        region = (slice(y, y + h), slice(x, x + w))
                        visible_after += likeness(rgb[region], original[region]) > 0.3
    per_hour = spent / (clips * seconds) * 3600 / 60
    print(f"| {name} | {covered_frames}/{face_frames} ({covered_frames / face_frames:.0%}) | "
          f"{boxes_on_faces}/{proposed_boxes} | {visible_after} of {face_frames} | {per_hour:.1f} min |", flush=True)


def main() -> None:
    clips = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    pictures()
    print(f"Clips: {clips} of {seconds:.0f} s for each kind, two faces each, 480x360 at 10 frames a second\n")
    print("| clip | face-frames covered by the proposal (recall) | proposed boxes on a face (precision) | "
          "face-frames visible in the public copy, after review | CPU to search an hour |")
    print("|---|---|---|---|---|")
    for name, options in CLIP_KINDS.items():
        clip_row(name, options, clips, seconds)


if __name__ == "__main__":
    main()
