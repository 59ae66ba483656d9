"""Perceptual fingerprints, made in the sandboxed decoder (``worker.py``): what stays the same when a
picture or a film is re-encoded, resized, slightly cropped or marked with a channel's logo.

Imported only inside the worker, by ``decoders.py``: numpy, Pillow and the standard library.

A picture's fingerprint is its pHash (Zauner, "Implementation and Benchmarking of Perceptual Image
Hash Functions", 2010, as the imagehash library computes it): the picture in grey at 32x32, its
two-dimensional DCT, and one bit per coefficient of the lowest 8x8 frequencies, set where the
coefficient is above their median. Resizing, compression and a logo in a corner move few of the
64 bits; another picture differs in about half of them.

A video's is the pHash of one frame a second, each with its time, so that a copy trimmed at the
start is found at its offset (``evidence/likeness.py`` aligns them). Frames with hardly any picture
(black, one colour) carry no hash: every dark frame would look like every other.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image

SIDE, KEPT = 32, 8
# One frame a second; a video's first hours only (ten hours of frames is 36,000 hashes).
STEP_SECONDS, MAX_FRAMES = 1.0, 36_000
# A frame whose grey levels vary less than this (of 255) has too little picture to tell apart.
FLAT_BELOW = 4.0
# The DCT-II basis: row k holds cos(pi * (2n + 1) * k / 2N) for n = 0..N-1.
_BASIS = np.cos(np.pi * np.outer(np.arange(SIDE), 2 * np.arange(SIDE) + 1) / (2 * SIDE))


def phash(grey: np.ndarray) -> int | None:
    """The 64-bit pHash of a 32x32 grey picture (first coefficient in the highest bit), None when flat."""
    pixels = grey.astype(np.float64)
    if pixels.std() < FLAT_BELOW:
        return None
    low = (_BASIS @ pixels @ _BASIS.T)[:KEPT, :KEPT]
    bits = (low > np.median(low)).ravel()
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def picture(image: Image.Image) -> list[tuple[float, int]]:
    """A picture's fingerprint: [(0, its pHash)], or none when it is flat."""
    found = phash(np.asarray(image.convert("L").resize((SIDE, SIDE), Image.Resampling.LANCZOS)))
    return [] if found is None else [(0.0, found)]


def film(frames) -> list[tuple[float, int]]:
    """A video's fingerprint from its decoded ``frames`` (PyAV's, in order): (time, pHash) of the
    first frame of each second that has a picture."""
    pairs, due = [], 0.0
    for frame in frames:
        if frame.time is None or frame.time < due:
            continue
        # Averaged down by libswscale (AREA): each of the 32x32 is the mean of its block.
        found = phash(frame.reformat(width=SIDE, height=SIDE, format="gray", interpolation="AREA").to_ndarray())
        if found is not None:
            pairs.append((float(frame.time), found))
        due = (math.floor(frame.time / STEP_SECONDS) + 1) * STEP_SECONDS
        if len(pairs) >= MAX_FRAMES:
            break
    return pairs


def as_result(pairs: list[tuple[float, int]]) -> dict:
    """{"hashes", "seconds"}: hashes as hexadecimal strings, for JSON numbers lose bits above 2**53."""
    return {"hashes": [f"{value:016x}" for _t, value in pairs], "seconds": [round(t, 3) for t, _v in pairs]}
