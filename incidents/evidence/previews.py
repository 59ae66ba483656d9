"""Previews: a thumbnail of an image, a poster frame of a video, and a blurred twin of each.

Decoders are where hostile files attack, so they never touch an original: each preview is
made from a throw-away working copy, and any failure just means no preview.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile

from PIL import Image, ImageFilter

log = logging.getLogger(__name__)

SIZE = (640, 640)
# Decompression bombs: Pillow refuses an image of more than twice this many pixels (50 megapixels)
# and only warns below that; video frames are checked against the same bound before conversion.
Image.MAX_IMAGE_PIXELS = 25_000_000
MAX_FRAME_PIXELS = 2 * Image.MAX_IMAGE_PIXELS


def preview_path(root: str, sha256: str, blurred: bool = False) -> str:
    return os.path.join(root, "previews", sha256[:2], sha256 + (".blur.jpg" if blurred else ".jpg"))


def ensure_previews(root: str, original: str, sha256: str, media_type: str) -> bool:
    """Make the previews on first need (uploads and ingests stay fast); True when they exist.

    A file that yields no preview is marked, so its decoding is not tried at every view.
    """
    if os.path.exists(preview_path(root, sha256)):
        return True
    marker = preview_path(root, sha256)[: -len(".jpg")] + ".none"
    if os.path.exists(marker):
        return False
    if make_previews(root, original, sha256, media_type):
        return True
    os.makedirs(os.path.dirname(marker), mode=0o700, exist_ok=True)
    open(marker, "w").close()
    return False


def _first_frame(path: str) -> Image.Image:
    import av  # imported here: only videos need FFmpeg
    with av.open(path) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.width * frame.height > MAX_FRAME_PIXELS:
                raise ValueError(f"a video frame of {frame.width}x{frame.height} pixels")
            return frame.to_image()
    raise ValueError("no video frame")


def make_previews(root: str, original: str, sha256: str, media_type: str) -> bool:
    """Write the preview and its blurred twin for one stored file; False when there is none."""
    kind = media_type.split("/")[0]
    if kind not in ("image", "video") or media_type == "image/svg+xml":
        return False
    work_dir = os.path.join(root, "work")
    os.makedirs(work_dir, mode=0o700, exist_ok=True)
    fd, working_copy = tempfile.mkstemp(prefix="work-", dir=work_dir)
    os.close(fd)
    try:
        shutil.copyfile(original, working_copy)
        image = _first_frame(working_copy) if kind == "video" else Image.open(working_copy)
        image = image.convert("RGB")
        image.thumbnail(SIZE)
        target = preview_path(root, sha256)
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        image.save(target, "JPEG", quality=82)
        image.filter(ImageFilter.GaussianBlur(radius=24)).save(preview_path(root, sha256, True), "JPEG",
                                                                quality=60)
        return True
    except Exception:  # a file a decoder cannot read is still evidence; it just has no preview
        log.warning("no preview for %s", sha256, exc_info=True)
        return False
    finally:
        os.unlink(working_copy)
