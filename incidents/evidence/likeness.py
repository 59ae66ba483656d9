"""Whether two fingerprints (``media/fingerprints.py``) are of the same picture or film, and at what offset.

Two pHashes of one picture, re-encoded, resized, cropped by a few percent or marked with a logo,
differ in a few of their 64 bits; pictures that are not the same in about half. A video is a copy
of another when many of its frames, one a second, find a close frame in the other *at one same
offset*: every frame of the first votes for the offset of its nearest frame in the other, and the
score is the share of the frames both cover whose vote went to the winning offset. Frames of one
scene are all somewhat alike, but the nearest to a frame of a copy is its own moment. Two films
of one unchanging corridor, whose nearest frames fall anywhere, agree on no one offset and score
low; so does a copy of a film in which nothing happens, which says nothing anyway.
"""
from __future__ import annotations

import numpy as np

# Frames within this many bits of 64 show the same picture (tuned on bench/fingerprints.py's variants).
CLOSE_BITS = 12
# A video is a likely copy when this share of the frames both cover match at one offset, and at least
# MIN_FRAMES of them do (a clip of two seconds says little).
COPY_SCORE, MIN_FRAMES = 0.5, 3
# Offsets are voted for in whole seconds; a neighbour's votes count too (frame times of two
# encodings of one film fall up to a second apart).
OFFSET_STEP = 1.0
BANDS, BAND_BITS = 4, 16
# Comparing every frame with every frame: at most this many pairs at once (a few MB of bits).
MAX_PAIRS = 4_000_000


def as_array(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=">u8").astype(np.uint64)


def as_blob(hashes: np.ndarray) -> bytes:
    return hashes.astype(">u8").tobytes()


def bands(hashes: np.ndarray) -> list[int]:
    """Each hash's four bands, as ``FingerprintBand.band`` keeps them, without repeats."""
    found = set()
    for number in range(BANDS):
        values = (hashes >> np.uint64(number * BAND_BITS)) & np.uint64(0xFFFF)
        found.update((number << BAND_BITS) | int(value) for value in np.unique(values))
    return sorted(found)


def picture_score(first: int, second: int) -> float | None:
    """How alike two pictures' hashes are (1.0: the same bits), None when they are not of one picture."""
    distance = (first ^ second).bit_count()
    return None if distance > CLOSE_BITS else round(1 - distance / 64, 3)


def closest_pictures(hash_: int, others: np.ndarray) -> np.ndarray:
    """The number of bits in which each of ``others`` differs from ``hash_``."""
    return np.bitwise_count(others ^ np.uint64(hash_))


def film_score(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]
               ) -> tuple[float, float] | None:
    """(score, offset) of two videos' (hashes, seconds), when the second holds a copy of the first
    (or the first of the second): a time t of the first shows what t + offset of the second shows."""
    (hashes_a, seconds_a), (hashes_b, seconds_b) = first, second
    if min(len(hashes_a), len(hashes_b)) < MIN_FRAMES:
        return None
    # Long films: every few frames of the first, so that the pairs stay within bounds.
    step = max(1, int(np.ceil(len(hashes_a) * len(hashes_b) / MAX_PAIRS)))
    hashes_a, seconds_a = hashes_a[::step], seconds_a[::step]
    distances = np.bitwise_count(hashes_a[:, None] ^ hashes_b[None, :])
    # Each frame of the first votes for its nearest frames of the second (when close enough), one
    # vote shared among equals: in a copy the nearest is the same moment, while frames of one
    # scene are all somewhat alike.
    nearest = distances.min(axis=1, keepdims=True)
    rows, columns = np.nonzero((distances == nearest) & (nearest <= CLOSE_BITS))
    if len(np.unique(rows)) < MIN_FRAMES:
        return None
    shifts = np.round((seconds_b[columns] - seconds_a[rows]) / OFFSET_STEP).astype(np.int64)
    weights = 1.0 / np.bincount(rows, minlength=len(hashes_a))[rows]
    low = int(shifts.min())
    votes = np.convolve(np.bincount(shifts - low, weights=weights), np.ones(3), mode="same")
    best = int(np.argmax(votes)) + low
    near = np.abs(shifts - best) <= 1
    if len(np.unique(rows[near])) < MIN_FRAMES:
        return None
    matched = np.minimum(1.0, np.bincount(rows[near], weights=weights[near], minlength=len(hashes_a))).sum()
    offset = float(np.median(seconds_b[columns[near]] - seconds_a[rows[near]]))
    # The frames of the first that the second covers at that offset.
    covered = np.count_nonzero((seconds_a + offset >= seconds_b[0] - OFFSET_STEP)
                               & (seconds_a + offset <= seconds_b[-1] + OFFSET_STEP))
    score = min(1.0, float(matched) / max(covered, 1))
    return (round(score, 3), round(offset, 1)) if score >= COPY_SCORE else None
