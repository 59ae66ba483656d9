"""Synthetic films and pictures, and the variants a leaked clip comes back as: re-encoded at another
bitrate, resized, cropped by a few percent, marked with a channel's logo, trimmed. Shared by the
tests of fingerprints and ``bench/fingerprints.py``; made with PyAV (FFmpeg's libraries), from a seed.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter


@dataclass(frozen=True)
class Variant:
    """How a copy differs from the film it was made from."""

    width: int = 320
    height: int = 240
    crop: float = 0.0  # share of each side cut off
    logo: bool = False  # a bright box with a mark in a corner, as channels put on what they repost
    start: float = 0.0  # seconds trimmed off the beginning
    end: float | None = None  # seconds where it ends (None: the film's end)
    crf: int = 23  # x264's quality: higher is worse
    dark: float = 1.0  # brightness kept (a film copied off a dim screen)


class Scene:
    """A room-like background and a few moving figures, all drawn from ``seed``."""

    def __init__(self, seed: int, side: tuple[int, int] = (320, 240), figures: int = 4, still: bool = False):
        random = np.random.default_rng(seed)
        self.side = side
        coarse = random.integers(30, 220, size=(6, 8, 3), dtype=np.uint8)
        self.background = np.asarray(Image.fromarray(coarse).resize(side, Image.Resampling.BICUBIC), dtype=np.uint8)
        self.figures = [] if still else [
            (random.uniform(0.1, 0.9, 2), random.uniform(-0.25, 0.25, 2), random.uniform(0.05, 0.15),
             tuple(int(c) for c in random.integers(0, 256, 3)), random.uniform(0.3, 1.5))
            for _ in range(figures)]

    def frame(self, t: float) -> Image.Image:
        image = Image.fromarray(self.background.copy())
        draw = ImageDraw.Draw(image)
        width, height = self.side
        for start, speed, size, colour, wobble in self.figures:
            # Bouncing between the walls, with a wobble: something happens every second.
            x, y = np.abs(((start + speed * t + 0.05 * np.sin(wobble * t)) % 2) - 1)
            r = size * width * (1 + 0.3 * np.sin(wobble * t * 2))
            draw.ellipse([x * width - r, y * height - r, x * width + r, y * height + r], fill=colour)
        return image


def film(scene: Scene, seconds: float, variant: Variant = Variant(), fps: int = 10) -> bytes:
    """An MP4 (H.264) of ``scene`` from 0 to ``seconds``, made as ``variant`` says."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps, options={"crf": str(variant.crf), "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = variant.width, variant.height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        end = seconds if variant.end is None else variant.end
        for index in range(int(round((end - variant.start) * fps))):
            picture = _as_copied(scene.frame(variant.start + index / fps), variant)
            frame = av.VideoFrame.from_image(picture)
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def picture(scene: Scene, variant: Variant = Variant(), quality: int = 85) -> bytes:
    """A JPEG of the scene's first moment, made as ``variant`` says."""
    out = io.BytesIO()
    _as_copied(scene.frame(0.0), variant).save(out, "JPEG", quality=quality)
    return out.getvalue()


def _as_copied(image: Image.Image, variant: Variant) -> Image.Image:
    width, height = image.size
    if variant.crop:
        cut_x, cut_y = int(width * variant.crop), int(height * variant.crop)
        image = image.crop((cut_x, cut_y, width - cut_x, height - cut_y))
    image = image.resize((variant.width, variant.height), Image.Resampling.BILINEAR)
    if variant.dark != 1.0:
        image = image.point(lambda value: int(value * variant.dark))
    if variant.logo:
        draw = ImageDraw.Draw(image)
        w, h = image.size
        draw.rectangle([w * 0.72, h * 0.04, w * 0.96, h * 0.16], fill=(240, 240, 240))
        draw.text((w * 0.74, h * 0.06), "CHANNEL", fill=(200, 20, 20))
    return image


class FaceScene:
    """Faces of real people moving over a room, and where each one is at every moment: the labelled
    pictures and clips the face detector is tested and measured on (issue 16, point 2). The faces
    are scikit-image's ``lfw_subset`` (photographs of the Labeled Faces in the Wild set, shipped inside
    the package), scaled up to ``size`` pixels; ``blur`` (a radius), ``dark`` (brightness kept) and
    ``grow`` (how much a face grows over ten seconds, as someone walks towards the camera) make the
    harder cases."""

    def __init__(self, seed: int, side: tuple[int, int] = (480, 360), faces: int = 2, size: int = 96,
                 speed: float = 0.08, blur: float = 0.0, dark: float = 1.0, grow: float = 0.0):
        from skimage import data
        random = np.random.default_rng(seed)
        self.side, self.size, self.blur, self.dark, self.grow = side, size, blur, dark, grow
        self.room = Scene(seed, side, still=True)
        photographs = data.lfw_subset()[:100]  # the first hundred are faces, the rest are not
        self.faces = []
        for number in random.choice(len(photographs), faces, replace=False):
            grey = Image.fromarray((photographs[number] * 255).astype(np.uint8)).convert("RGB")
            self.faces.append((grey, random.uniform(0.15, 0.85, 2), random.uniform(-speed, speed, 2)))

    def boxes(self, t: float) -> list[tuple[int, int, int, int]]:
        """Where each face is at ``t``: (x, y, w, h) in pixels of the frame."""
        width, height = self.side
        side = int(self.size * (1 + self.grow * t / 10))
        found = []
        lane = width // len(self.faces)
        for number, (_face, start, velocity) in enumerate(self.faces):
            # Bouncing between the walls of its own lane, the whole face always inside the frame: two
            # faces never cover each other, so each is counted as found or missed on its own.
            x, y = np.abs(((start + velocity * t) % 2) - 1)
            found.append((number * lane + int(x * max(0, lane - side)), int(y * (height - side)), side, side))
        return found

    def frame(self, t: float) -> Image.Image:
        image = Image.fromarray(self.room.background.copy())
        for (face, _start, _velocity), (x, y, w, h) in zip(self.faces, self.boxes(t), strict=True):
            image.paste(face.resize((w, h), Image.Resampling.BICUBIC), (x, y))
        if self.blur:
            image = image.filter(ImageFilter.GaussianBlur(self.blur))
        if self.dark != 1.0:
            image = image.point(lambda value: int(value * self.dark))
        return image


def astronaut() -> bytes:
    """scikit-image's portrait of an astronaut as a JPEG: one face, a name tag, a mission patch."""
    from skimage import data
    out = io.BytesIO()
    Image.fromarray(data.astronaut()).save(out, "JPEG", quality=90)
    return out.getvalue()


def likeness(shown: np.ndarray, original: np.ndarray) -> float:
    """How much of a face's fine structure (eyes, mouth, lines: each region minus a blur of itself) is
    left in what is shown: about 1 for a copy that is only re-encoded, about 0.06 once destroyed."""
    def fine(region):
        grey = region.astype(float).mean(axis=2)
        return grey - np.asarray(Image.fromarray(grey.astype(np.uint8)).filter(ImageFilter.GaussianBlur(3)), float)
    return float(np.corrcoef(fine(shown).ravel(), fine(original).ravel())[0, 1])


def covered(face: tuple[int, int, int, int], boxes: list[dict]) -> float:
    """The share of ``face`` (x, y, w, h) inside the union of ``boxes`` (dicts of x, y, w, h)."""
    x, y, w, h = face
    mask = np.zeros((h, w), dtype=bool)
    for box in boxes:
        left, top = max(box["x"] - x, 0), max(box["y"] - y, 0)
        mask[top:max(0, box["y"] + box["h"] - y), left:max(0, box["x"] + box["w"] - x)] = True
    return float(mask.mean())


def same_place(found: tuple, face: tuple) -> bool:
    """Whether a box the detector found is where a face is, at about its size (intersection over
    union above a third: a false box spanning half the frame holds the face but is not it)."""
    w = min(found[0] + found[2], face[0] + face[2]) - max(found[0], face[0])
    h = min(found[1] + found[3], face[1] + face[3]) - max(found[1], face[1])
    shared = max(0, w) * max(0, h)
    return shared / (found[2] * found[3] + face[2] * face[3] - shared) > 1 / 3
