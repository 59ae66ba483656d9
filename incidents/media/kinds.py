"""Which files the decoders are ever given, by media type: shared by the evidence area (what gets a
preview, a public copy, a fingerprint) and the redaction rule (what waits for a reviewer)."""
from __future__ import annotations

DECODED_KINDS = ("image", "video", "audio")


def decodable(media_type: str) -> bool:
    """Whether a decoder is ever tried on this type. SVG is a program, not a picture: never."""
    return media_type.split("/")[0] in DECODED_KINDS and media_type != "image/svg+xml"


def shows_people(media_type: str) -> bool:
    """Whether the public's copy of this type is a picture or a film, in which someone could be
    recognised: such a copy waits for a reviewer's redaction decision."""
    return media_type.split("/")[0] in ("image", "video") and decodable(media_type)
