"""What the sandboxed worker does with a working copy: previews, public derivatives, metadata,
fingerprints, faces, and the signature on a public copy (``credentials``).

Imported only inside the worker (see ``worker.py``): Pillow, PyAV, numpy, OpenCV, c2pa and the
standard library, no module of the app. Each task takes (kind, path of the working copy, output folder) and returns
the JSON-ready result; it raises on anything it cannot read.
"""
import os
from fractions import Fraction

import credentials
from PIL import ExifTags, Image, ImageFilter, ImageOps, IptcImagePlugin

# PyAV and numpy are imported by the tasks that use them, not here: a picture's preview and
# metadata, the tasks of every upload, start in half the time without them (0.09 s, not 0.18).

PREVIEW_SIZE = (640, 640)
# Decompression bombs: Pillow refuses an image of more than twice this many pixels (50 megapixels)
# and only warns below that; video frames are checked against the same bound before conversion.
Image.MAX_IMAGE_PIXELS = 25_000_000
MAX_FRAME_PIXELS = 2 * Image.MAX_IMAGE_PIXELS
# Only the parsers of the types the store lets through (no EPS, which would run Ghostscript).
IMAGE_FORMATS = ["JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP"]
# Only file demuxers of real media: no playlists (HLS, concat) that would open other files or URLs.
DEMUX_OPTIONS = {"format_whitelist": "mov,matroska,ogg,mp3,wav,avi,flv,mpegts,mpeg,asf,aac,flac",
                 "protocol_whitelist": "file"}
# A public video is shown in a page, not filmed again: re-encoding bounds its frame.
MAX_SIDE = 1920
# Only H.264 is copied (every browser plays it, and re-encoding hours of it would take hours), and
# only its slices and parameter sets: SEI (where cameras write their own data), filler, reserved and
# unspecified units are dropped, an allow-list rather than a list of what is known to leak.
# Everything else is re-encoded to H.264 and AAC: VP8/VP9 frames and sound streams carry free text
# a copy would keep (Vorbis comments in the codec's private data, ID3 tags between MP3 frames).
H264_UNITS_KEPT = "filter_units=pass_types=1|5|7|8"
# The muxer writes no tag of its own: no encoder name, no creation time.
MUX_OPTIONS = {"fflags": "+bitexact", "movflags": "+faststart"}
MAX_ENTRIES, MAX_NAME, MAX_VALUE = 300, 100, 500


def _open_image(path: str) -> Image.Image:
    return Image.open(path, formats=IMAGE_FORMATS)


def _first_frame(path: str) -> Image.Image:
    import av
    with av.open(path, container_options=DEMUX_OPTIONS) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            _check_frame(frame)
            return frame.to_image()
    raise ValueError("no video frame")


def _check_frame(frame) -> None:
    if frame.width * frame.height > MAX_FRAME_PIXELS:
        raise ValueError(f"a video frame of {frame.width}x{frame.height} pixels")


def _pixels(image: Image.Image) -> Image.Image:
    """The picture upright, as a new image made of its pixels alone: nothing of the file's
    metadata (EXIF, XMP, IPTC, ICC profile, comments, thumbnails) can follow it."""
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - a broken EXIF block leaves the pixels as stored
        image.load()
    alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if alpha else "RGB"
    converted = image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def preview(kind: str, source: str, out_dir: str) -> dict:
    """A thumbnail (or a video's first frame) and its blurred twin, as JPEG."""
    image = _first_frame(source) if kind == "video" else _pixels(_open_image(source))
    image = image.convert("RGB")
    image.thumbnail(PREVIEW_SIZE)
    image.save(os.path.join(out_dir, "preview.jpg"), "JPEG", quality=82)
    image.filter(ImageFilter.GaussianBlur(radius=24)).save(os.path.join(out_dir, "preview.blur.jpg"), "JPEG",
                                                           quality=60)
    return {"files": ["preview.jpg", "preview.blur.jpg"]}


def derivative(kind: str, source: str, out_dir: str, boxes: list | None = None) -> dict:
    """The public's copy: images re-encoded from their pixels, sound and video re-muxed (or
    re-encoded) into a new container with no metadata of the original's. ``boxes``: areas destroyed
    (``faces.destroy``) in the picture, or in a video's frames while each holds; a video with boxes
    is always re-encoded."""
    if kind == "image":
        image = _pixels(_open_image(source))
        if boxes:
            import faces
            import numpy as np
            pixels = np.array(image)
            faces.destroy(pixels, boxes)
            image = Image.fromarray(pixels, image.mode)
        if image.mode == "RGBA":
            image.save(os.path.join(out_dir, "derivative.png"), "PNG")
            return {"file": "derivative.png", "media_type": "image/png"}
        image.save(os.path.join(out_dir, "derivative.jpg"), "JPEG", quality=90)
        return {"file": "derivative.jpg", "media_type": "image/jpeg"}
    return _derive_av(kind, source, out_dir, boxes)


# An organisation's logo: PNG or JPEG only (what the admin form takes), bounded before its pixels are
# read, made no larger than a dossier's cover needs, and handed back as bare pixels that the app
# encodes itself.
LOGO_FORMATS = ["PNG", "JPEG"]
LOGO_MAX_PIXELS = 16_000_000
LOGO_SIDE = 600


def logo(kind: str, source: str, out_dir: str) -> dict:
    """The picture's pixels alone, upright, at most LOGO_SIDE on a side, as raw RGBA."""
    image = Image.open(source, formats=LOGO_FORMATS)
    if image.width * image.height > LOGO_MAX_PIXELS:
        raise ValueError(f"a logo of {image.width}x{image.height} pixels")
    image = _pixels(image)
    image.thumbnail((LOGO_SIDE, LOGO_SIDE))
    image = image.convert("RGBA")
    with open(os.path.join(out_dir, "logo.rgba"), "wb") as handle:
        handle.write(image.tobytes())
    return {"file": "logo.rgba", "width": image.width, "height": image.height}


def _derive_av(kind: str, source: str, out_dir: str, boxes: list | None) -> dict:
    import av
    with av.open(source, container_options=DEMUX_OPTIONS) as src:
        video = src.streams.video[0] if kind == "video" and src.streams.video else None
        audio = src.streams.audio[0] if src.streams.audio else None
        if (kind == "video" and video is None) or (video is None and audio is None):
            raise ValueError("no stream to show")
        name, media_type = ("derivative.mp4", "video/mp4") if video is not None else ("derivative.m4a", "audio/mp4")
        with av.open(os.path.join(out_dir, name), "w", format="mp4", container_options=MUX_OPTIONS) as out:
            routes = {}
            if video is not None:
                routes[video.index] = _video_route(out, video, boxes)
            if audio is not None:
                routes[audio.index] = _audio_route(out)
            for packet in src.demux(list(filter(None, (video, audio)))):
                routes[packet.stream.index](out, packet)
            for route in routes.values():
                route(out, None)
    return {"file": name, "media_type": media_type}


def _codec(stream) -> str:
    """The format's name (mp3), not the decoder's (mp3float)."""
    return stream.codec_context.codec.canonical_name


def _copy_route(out, stream, bitstream_filter: str):
    """Packets copied through ``bitstream_filter`` into a stream of the new container with no tags."""
    import av
    target = out.add_stream_from_template(stream)
    target.metadata.clear()
    bsf = av.bitstream.BitStreamFilterContext(bitstream_filter, stream, target)

    def route(out, packet):
        if packet is not None and packet.dts is None:
            return  # the demuxer's flushing packet
        for copied in bsf.filter(packet):
            copied.stream = target
            out.mux(copied)
    return route


def _encode_route(out, target, prepare):
    """Packets decoded and encoded anew. A packet the decoder cannot read (a damaged frame, or a
    tag between an MP3's frames) is passed over: leaked files are often damaged somewhere. With
    nothing readable at all, there is no derivative."""
    import av
    decoded_any = [False]

    def route(out, packet):
        if packet is None:
            if not decoded_any[0]:
                raise ValueError("nothing readable in the stream")
            frames = [None]
        else:
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                return
        for frame in frames:
            decoded_any[0] = decoded_any[0] or frame is not None
            for encoded in target.encode(prepare(frame) if frame is not None else None):
                out.mux(encoded)
    return route


def _video_route(out, stream, boxes: list | None):
    import av
    import faces
    name = _codec(stream)
    if name == "h264" and not boxes:
        return _copy_route(out, stream, H264_UNITS_KEPT)
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > MAX_FRAME_PIXELS or not width or not height:
        raise ValueError(f"a video of {width}x{height} pixels")
    scale = min(1.0, MAX_SIDE / max(width, height))
    target = out.add_stream("libx264", rate=stream.average_rate or 25,
                            options={"preset": "veryfast", "crf": "23"})
    target.width, target.height = max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)
    target.pix_fmt = "yuv420p"
    target.codec_context.time_base = Fraction(1, 1000)
    last = [-1]

    def prepare(frame):
        _check_frame(frame)
        # Timestamps in milliseconds from the frame's own time: a variable frame rate keeps its pace.
        pts = round(frame.time * 1000) if frame.time is not None else last[0] + 1
        hidden = faces.during(boxes, frame.time) if boxes else None
        if hidden:
            pixels = frame.to_ndarray(format="rgb24")
            faces.destroy(pixels, hidden)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        ready = frame.reformat(width=target.width, height=target.height, format="yuv420p")
        ready.pts, ready.time_base = max(pts, last[0] + 1), target.codec_context.time_base
        last[0] = ready.pts
        return ready
    return _encode_route(out, target, prepare)


def _audio_route(out):
    target = out.add_stream("aac", rate=48000, layout="stereo")

    def prepare(frame):
        frame.pts = None  # the encoder counts samples from the start
        return frame
    return _encode_route(out, target, prepare)


def metadata(kind: str, source: str, out_dir: str) -> dict:
    """The original's own metadata, for staff: (group, name, value) rows, bounded in number and size.
    Groups: image, file, exif, gps, interop, iptc, xmp; container and stream-N-KIND for sound and video."""
    rows: list = []
    if kind == "image":
        _image_metadata(_open_image(source), rows)
    else:
        import av
        with av.open(source, container_options=DEMUX_OPTIONS) as container:
            _add(rows, "container", "format", container.format.name)
            for name, value in container.metadata.items():
                _add(rows, "container", name, value)
            for stream in container.streams:
                group = f"stream-{stream.index}-{stream.type}"
                _add(rows, group, "codec", stream.codec_context.name if stream.codec_context else "")
                for name, value in stream.metadata.items():
                    _add(rows, group, name, value)
    return {"metadata": rows[:MAX_ENTRIES]}


def _image_metadata(image: Image.Image, rows: list) -> None:
    _add(rows, "image", "format", f"{image.format} {image.size[0]}x{image.size[1]} {image.mode}")
    exif = image.getexif()
    for tag, value in exif.items():
        _add(rows, "exif", ExifTags.TAGS.get(tag, hex(tag)), value)
    for ifd, names, group in ((ExifTags.IFD.Exif, ExifTags.TAGS, "exif"),
                              (ExifTags.IFD.GPSInfo, ExifTags.GPSTAGS, "gps"),
                              (ExifTags.IFD.Interop, ExifTags.TAGS, "interop")):
        for tag, value in exif.get_ifd(ifd).items():
            _add(rows, group, names.get(tag, hex(tag)), value)
    for (record, dataset), value in (IptcImagePlugin.getiptcinfo(image) or {}).items():
        _add(rows, "iptc", f"{record}:{dataset}", value)
    for name, value in image.info.items():
        if name == "exif":
            continue  # read above, tag by tag
        _add(rows, "xmp" if name in ("xmp", "XML:com.adobe.xmp") else "file", name, value)


def _add(rows: list, group: str, name, value) -> None:
    if len(rows) >= MAX_ENTRIES:
        return
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace") if value.isascii() or _utf8(value) else \
            f"{len(value)} bytes: {value[:48].hex()}"
    else:
        text = str(value)
    rows.append([group, str(name)[:MAX_NAME], text.replace("\x00", "")[:MAX_VALUE]])


def _utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def fingerprint(kind: str, source: str, out_dir: str) -> dict:
    """Perceptual hashes of a picture, or of a video's frames, one a second (``fingerprints.py``)."""
    import fingerprints
    if kind == "image":
        return fingerprints.as_result(fingerprints.picture(_pixels(_open_image(source))))
    if kind != "video":
        raise ValueError(f"no fingerprint of {kind}")
    import av
    with av.open(source, container_options=DEMUX_OPTIONS) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return fingerprints.as_result(fingerprints.film(_checked(container.decode(stream))))


def find_faces(kind: str, source: str, out_dir: str) -> dict:
    """Faces for a reviewer to confirm, and the frames they were found in (``faces.py``)."""
    import faces
    if kind == "image":
        return faces.picture(_pixels(_open_image(source)), out_dir)
    if kind != "video":
        raise ValueError(f"no faces in {kind}")
    import av
    with av.open(source, container_options=DEMUX_OPTIONS) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None
        return faces.film(_checked(container.decode(stream)), out_dir, duration)


def _checked(frames):
    for frame in frames:
        _check_frame(frame)
        yield frame


def prepared(task: str):
    """The task's function, with the modules of this folder it uses loaded (and numpy with them):
    once the walls rise the folder is hidden, and a task imports only what is loaded already."""
    if task in ("faces", "derivative"):
        import faces  # noqa: F401
    elif task == "fingerprint":
        import fingerprints  # noqa: F401
    return TASKS[task]


TASKS = {"preview": preview, "derivative": derivative, "metadata": metadata, "fingerprint": fingerprint,
         "faces": find_faces, "sign": credentials.sign, "logo": logo}
