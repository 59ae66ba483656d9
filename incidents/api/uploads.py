"""Resumable uploads over tus 1.0 (core, creation, expiration, termination): the protocol's
headers in and out; every rule is in ``uploads/service.py``.

A script sends ``POST /api/v1/uploads`` with ``Upload-Length``, then ``PATCH`` parts at the
``Upload-Offset`` the server holds; after a cut, ``HEAD`` tells how far it got. A finished upload is
attached with ``POST /api/v1/incidents/ID/evidence`` and ``{"upload": "<its URL>"}``.
"""
from __future__ import annotations

import base64
import datetime
from email.utils import format_datetime

from flask import Response, request, url_for
from flask_babel import gettext as _

from incidents.api.blueprint import bp
from incidents.errors import BadRequest, WrongProtocol, WrongType
from incidents.evidence.store import EvidenceStore
from incidents.uploads import service
from incidents.views import actor, settings

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
        raise WrongProtocol(_("Send Tus-Resumable: %(version)s.", version=VERSION))


@bp.after_request
def tus_headers(response: Response) -> Response:
    if request.endpoint in ENDPOINTS:
        response.headers["Tus-Resumable"] = VERSION
        response.headers["Cache-Control"] = "no-store"  # an offset read from a cache would be wrong
        if response.status_code == 412:
            response.headers["Tus-Version"] = VERSION  # what the server speaks instead
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
        except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-8 (UnicodeDecodeError)
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
    upload = service.begin(actor(), _store(), length, metadata.get("filename", ""), metadata.get("form", ""),
                           metadata.get("head", ""))
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
        raise WrongType(_("Send the part as %(type)s.", type=OFFSET_TYPE))
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


def _header(name: str, schema: dict, description: str, required: bool = True) -> dict:
    return {"name": name, "in": "header", "required": required, "description": description, "schema": schema}


VERSION_HEADER = _header("Tus-Resumable", {"type": "string", "enum": [VERSION]}, "The protocol's version (412 otherwise)")
TOKEN_PARAMETER = {"name": "token", "in": "path", "required": True,
                   "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"}}


def _plain(description: str) -> dict:
    return {"description": description, "headers": {"Tus-Resumable": {"schema": {"type": "string"}}}}


def openapi_paths(refused) -> dict:
    """This protocol's operations in the OpenAPI document (``refused``: the error answer's schema)."""
    def refusals(*codes: str) -> dict:
        return {code: {"description": "Refused", "content": {"application/json": {"schema": refused}}} for code in codes}

    return {
        "/api/v1/uploads": {
            "options": {"summary": "What this tus server speaks: Tus-Version, Tus-Extension, Tus-Max-Size",
                        "responses": {"204": _plain("The protocol's headers"), **refusals("401")}},
            "post": {"summary": "Begin a resumable upload (tus 1.0 creation): Upload-Length bytes; the "
                                "upload's URL in Location (those who enter incidents)",
                     "parameters": [VERSION_HEADER,
                                    _header("Upload-Length", {"type": "string", "pattern": "^[0-9]{1,20}$"},
                                            "The whole file's size in bytes"),
                                    _header("Upload-Metadata", {"type": "string"},
                                            "Comma-separated 'key base64value' pairs: filename", required=False)],
                     "responses": {"201": _plain("Begun: Location, Upload-Expires"),
                                   **refusals("400", "401", "403", "412", "413", "422", "429")}}},
        "/api/v1/uploads/{token}": {
            "parameters": [TOKEN_PARAMETER],
            "head": {"summary": "How much of the upload arrived: Upload-Offset of Upload-Length (its owner)",
                     "parameters": [VERSION_HEADER],
                     "responses": {"200": _plain("Upload-Offset, Upload-Length, Upload-Expires"),
                                   "404": _plain("No such upload of the caller's")}},
            "patch": {"summary": "The next part at Upload-Offset; what arrives before a cut is kept",
                      "parameters": [VERSION_HEADER,
                                     _header("Upload-Offset", {"type": "string", "pattern": "^[0-9]{1,20}$"},
                                             "Where this part starts: the offset HEAD gave")],
                      "requestBody": {"required": True, "content": {
                          OFFSET_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
                      "responses": {"204": _plain("Written: the new Upload-Offset"),
                                    **refusals("400", "401", "404", "409", "412", "413", "415", "423")}},
            "delete": {"summary": "Cancel an unfinished upload; its bytes are deleted (tus termination)",
                       "parameters": [VERSION_HEADER],
                       "responses": {"204": _plain("Cancelled"), **refusals("401", "404", "412")}}},
    }
