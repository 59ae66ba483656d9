"""Same video, re-encoded (issue 16, point 3): precision and recall of the perceptual fingerprints on
labelled variants, and the time to fingerprint an hour of video (not a test).

Usage: .venv/bin/python bench/fingerprints.py [SCENES] [SECONDS]     # 12 30

Makes SCENES synthetic films of SECONDS each (``tests/clips.py``: a room and people moving in it,
H.264 at 320x240) and, from each, the variants a leaked clip comes back as: a worse bitrate, a
smaller size, 5 % cropped off each side, a channel's logo, trimmed at both ends, darker, and all of
those at once. Every variant is compared with every original (``evidence/likeness.py``); a variant
found a copy of its own original is right, of another one wrong. Films of the same room with other
people in it are asked too: any match there is wrong. Pictures likewise, from each film's first
moment. Fingerprints are made here in-process (the app makes them in the sandbox: the same code).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "incidents", "media"))

import decoders  # noqa: E402
import numpy as np  # noqa: E402

from incidents.evidence import likeness  # noqa: E402
from tests.clips import Scene, Variant, film, picture  # noqa: E402

VARIANTS = {
    "bitrate (crf 38)": Variant(crf=38),
    "smaller (176x144)": Variant(width=176, height=144),
    "cropped 5 %": Variant(crop=0.05),
    "logo": Variant(logo=True),
    "trimmed (5 s off each end)": None,  # set from SECONDS
    "darker (50 %)": Variant(dark=0.5),
    "all at once": None,
}
PICTURE_VARIANTS = {"quality 30": (Variant(), 30), "smaller (160x120)": (Variant(width=160, height=120), 85),
                    "cropped 5 %": (Variant(crop=0.05), 85), "logo": (Variant(logo=True), 85)}


def fingerprint(data: bytes, kind: str) -> tuple[np.ndarray, np.ndarray, float]:
    with tempfile.NamedTemporaryFile(suffix=".mp4" if kind == "video" else ".jpg") as handle:
        handle.write(data)
        handle.flush()
        started = time.process_time()
        found = decoders.fingerprint(kind, handle.name, os.path.dirname(handle.name))
        spent = time.process_time() - started
    return (np.array([int(h, 16) for h in found["hashes"]], dtype=np.uint64),
            np.array(found["seconds"], dtype=np.float32), spent)


def films(scenes: int, seconds: float) -> None:
    VARIANTS["trimmed (5 s off each end)"] = Variant(start=5, end=seconds - 5)
    VARIANTS["all at once"] = Variant(start=3, crop=0.04, logo=True, width=240, height=180, crf=33, dark=0.8)
    originals = [fingerprint(film(Scene(seed), seconds), "video")[:2] for seed in range(scenes)]
    print(f"{scenes} films of {seconds:.0f} s, each against all {scenes} originals\n")
    print("| variant | found (recall) | wrongly matched to another film | median score | offsets within 1 s |")
    print("|---|---|---|---|---|")
    for name, variant in VARIANTS.items():
        found = wrong = aligned = 0
        scores = []
        for seed in range(scenes):
            copy = fingerprint(film(Scene(seed), seconds, variant), "video")[:2]
            for other, original in enumerate(originals):
                scored = likeness.film_score(copy, original)
                if scored is None:
                    continue
                if other == seed:
                    found += 1
                    scores.append(scored[0])
                    aligned += abs(scored[1] - variant.start) <= 1.0
                else:
                    wrong += 1
        print(f"| {name} | {found}/{scenes} | {wrong} | {np.median(scores) if scores else 0:.2f} | {aligned}/{found} |",
              flush=True)
    wrong = 0
    for seed in range(scenes):
        room = Scene(seed)
        room.figures = Scene(seed + 1000).figures
        other_people = fingerprint(film(room, seconds), "video")[:2]
        wrong += likeness.film_score(other_people, originals[seed]) is not None
    print(f"| the same room, other people (not a copy) | - | {wrong} of {scenes} | | |\n")


def pictures(scenes: int) -> None:
    originals = [int(fingerprint(picture(Scene(seed)), "image")[0][0]) for seed in range(scenes)]
    print("| picture variant | found (recall) | wrongly matched to another picture |")
    print("|---|---|---|")
    for name, (variant, quality) in PICTURE_VARIANTS.items():
        found = wrong = 0
        for seed in range(scenes):
            copy = int(fingerprint(picture(Scene(seed), variant, quality), "image")[0][0])
            for other, original in enumerate(originals):
                if likeness.picture_score(copy, original) is not None:
                    found += other == seed
                    wrong += other != seed
        print(f"| {name} | {found}/{scenes} | {wrong} |", flush=True)
    print()


def speed() -> None:
    """CPU seconds to fingerprint a minute of 640x480 video at 25 frames a second: as many minutes an hour."""
    data = film(Scene(99, side=(640, 480)), 60, Variant(width=640, height=480), fps=25)
    _h, _s, spent = fingerprint(data, "video")
    print(f"Fingerprinting 640x480 H.264 at 25 fps: {spent:.1f} s of CPU for a minute, "
          f"so about {spent:.1f} minutes for an hour of video (one core).")


def main() -> None:
    scenes = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30
    films(scenes, seconds)
    pictures(scenes)
    speed()


if __name__ == "__main__":
    main()
