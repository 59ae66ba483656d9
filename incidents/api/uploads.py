"""Resumable uploads over tus 1.0 (core, creation, expiration, termination): the protocol's
headers in and out; every rule is in ``uploads/service.py``.

A script sends ``POST /api/v1/uploads`` with ``Upload-Length``, then ``PATCH`` parts at the
``Upload-Offset`` the server holds; after a cut, ``HEAD`` tells how far it got. A finished upload is
attached with ``POST /api/v1/incidents/ID/evidence`` and ``{"upload": "<its URL>"}``.
"""
from __future__ import annotations

import base64
import binascii
import datetime
from email.utils import format_datetime

from flask import Response, request, url_for
from flask_babel import gettext as _

from incidents.api.blueprint import bp
from incidents.errors import BadRequest
from incidents.evidence.store import EvidenceStore
from incidents.uploads import service
from incidents.views import actor, settings
from incidents.web.errors import api_error

VERSION = "1.0.0"
EXTENSIONS = "creation,expiration,termination"
ENDPOINTS = frozenset({"api.upload_create", "api.upload_status", "api.upload_append", "api.upload_cancel"})
OFFSET_TYPE = "application/offset+octet-stream"


def _store() -> EvidenceStore:
    return EvidenceStore.from_settings(settings())


@bp.before_request
def tus_version():
    """Every tus request but OPTIONS names the protocol version; another one is refused (412)."""
    if request.endpoint in ENDPOINTS and request.method != "OPTIONS" \
            and request.headers.get("Tus-Resumable") != VERSION:
        response = api_error(412, "tus_version", _("Send Tus-Resumable: %(version)s.", version=VERSION))[0]
        response.status_code = 412
        response.headers["Tus-Version"] = VERSION
        return response
    return None


@bp.after_request
def tus_headers(response: Response) -> Response:
    if request.endpoint in ENDPOINTS:
        response.headers["Tus-Resumable"] = VERSION
        response.headers["Cache-Control"] = "no-store"  # an offset read from a cache would be wrong
    return response


def _number(header: str) -> int | None:
    """A header that must be a whole number of bytes; None when absent.

    :raise BadRequest: present but not a number.
    """
    text = request.headers.get(header)
    if text is None:
        return None
    if not text.isascii() or not text.isdecimal() or len(text) > 20:
        raise BadRequest(_("%(header)s must be a whole number of bytes.", header=header))
    return int(text)


def _metadata() -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs, as text.

    :raise BadRequest: a value that is not base64 of UTF-8 text.
    """
    pairs = {}
    for part in request.headers.get("Upload-Metadata", "").split(","):
        key, _sep, value = part.strip().partition(" ")
        if not key:
            continue
        try:
            pairs[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest(_("Upload-Metadata: the value of %(key)s is not base64 of UTF-8 text.",
                               key=key[:40])) from None
    return pairs


def _expires(upload) -> str:
    return format_datetime(upload.expires_at.replace(tzinfo=datetime.UTC), usegmt=True)


@bp.route("/uploads", methods=["POST", "OPTIONS"])
def upload_create():
    """Begin an upload of ``Upload-Length`` bytes (``Upload-Metadata`` may name the ``filename``);
    201 with its URL in ``Location``. OPTIONS tells what this server speaks."""
    if request.method == "OPTIONS":
        response = Response(status=204)
        response.headers.update({"Tus-Version": VERSION, "Tus-Extension": EXTENSIONS})
        if settings().EVIDENCE_MAX_SIZE:
            response.headers["Tus-Max-Size"] = str(settings().EVIDENCE_MAX_SIZE)
        return response
    if request.headers.get("Upload-Defer-Length"):
        raise BadRequest(_("Send Upload-Length: this server needs the size at the start."))
    length = _number("Upload-Length")
    metadata = _metadata()
    upload = service.begin(actor(), _store(), length, metadata.get("filename", ""), metadata.get("form", ""))
    response = Response(status=201)
    response.headers["Location"] = url_for("api.upload_status", token=upload.token, _external=True)
    response.headers["Upload-Expires"] = _expires(upload)
    response.headers["Upload-Offset"] = "0"
    return response


@bp.route("/uploads/<token>", methods=["HEAD"])
def upload_status(token):
    """How many bytes arrived (``Upload-Offset``) of ``Upload-Length``."""
    status = service.find(actor(), _store(), token)
    response = Response(status=200)
    response.headers.update({"Upload-Offset": str(status.offset), "Upload-Length": str(status.upload.length),
                             "Upload-Expires": _expires(status.upload)})
    return response


@bp.route("/uploads/<token>", methods=["PATCH"])
def upload_append(token):
    """The next part, as ``application/offset+octet-stream``, at ``Upload-Offset``; 204 with the new
    offset. 409 when the offset is not what arrived, 413 past the declared length."""
    if request.mimetype != OFFSET_TYPE:
        return api_error(415, "unsupported_media_type", _("Send the part as %(type)s.", type=OFFSET_TYPE))
    offset = _number("Upload-Offset")
    if offset is None:
        raise BadRequest(_("Send Upload-Offset: where this part starts."))
    new_offset = service.append(actor(), _store(), token, offset, request.stream, request.content_length)
    status = service.find(actor(), _store(), token)
    response = Response(status=204)
    response.headers.update({"Upload-Offset": str(new_offset), "Upload-Expires": _expires(status.upload)})
    return response


@bp.route("/uploads/<token>", methods=["DELETE"])
def upload_cancel(token):
    """Cancel an unfinished upload: its bytes are deleted at once (204)."""
    service.cancel(actor(), _store(), token)
    return Response(status=204)


def token_of(url) -> str:
    """The token at the end of an upload's URL (as ``Location`` gave it, whole or as a path)."""
    path = url.split("?", 1)[0].rstrip("/") if isinstance(url, str) else ""
    prefix = url_for("api.upload_create")
    head, _sep, token = path.rpartition("/")
    return token if head.endswith(prefix) else ""
