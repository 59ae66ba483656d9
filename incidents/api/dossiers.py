"""JSON endpoints for dossiers: one incident's PDF or DOCX, a signed bundle, the signing key; and the
root a recipient trusts to check the content credentials of the public's copies."""
from __future__ import annotations

import hashlib

from flask import Response, current_app, jsonify, request
from flask_babel import lazy_gettext as _l

from incidents.api.blueprint import bp
from incidents.api.routes import _json_body, _language
from incidents.dossiers import service
from incidents.dossiers.assemble import parse_request
from incidents.dossiers.bundle import TIMESTAMP_VERIFIER, VERIFIER
from incidents.errors import Unauthenticated
from incidents.evidence.store import EvidenceStore
from incidents.keys import signing as crypto
from incidents.keys.credentials import content_credentials
from incidents.views import actor, settings


def _build(request_data: dict, default_format: str) -> Response:
    """:raise Unauthenticated: no bearer token. A browser session counts for other API reads, but
    a dossier is an export, recorded in the audit trail: a link on another site must not make a
    signed-in lawyer's browser build one."""
    if not request.headers.get("Authorization"):
        raise Unauthenticated(_l("Send an API token to build a dossier; on the site, use the Dossier page."))
    asked = parse_request(request_data, _language(), default_format)
    return service.build(actor(), asked, store=EvidenceStore.from_settings(settings()),
                         instance_path=current_app.instance_path,
                         installation=settings().PUBLIC_URL.rstrip("/")).download()


@bp.route("/incidents/<int:incident_id>/dossier.<any(pdf, docx):file_format>", methods=["GET"])
def incident_dossier(incident_id, file_format):
    """One incident's dossier; ``redaction``, ``layout`` and ``lang`` as query parameters."""
    args = request.args.to_dict()
    return _build(dict(args, incident_ids=[incident_id], format=file_format), file_format)


@bp.route("/dossiers", methods=["POST"])
def dossier_create():
    """A dossier of several incidents; a signed ZIP bundle unless ``format`` asks for a PDF or DOCX."""
    return _build(_json_body(), "zip")


@bp.route("/signing-key", methods=["GET"])
def signing_key():
    """The public key that signs bundles: anyone may fetch it to check one."""
    key = crypto.signing_key(current_app.instance_path)
    raw = crypto.public_bytes(key)
    if request.args.get("format") == "pem":
        return Response(crypto.public_pem(key), mimetype="application/x-pem-file",
                        headers={"Content-Disposition": 'attachment; filename="signing-key.pem"'})
    # The verifiers travel inside each bundle, where whoever altered the bundle could alter them
    # too: their hashes here let a recipient check those copies against the installation.
    hashes = {}
    for name, path in (("verifier_sha256", VERIFIER), ("timestamp_verifier_sha256", TIMESTAMP_VERIFIER)):
        with open(path, "rb") as handle:
            hashes[name] = hashlib.sha256(handle.read()).hexdigest()
    return jsonify({"algorithm": "Ed25519", "public_key": crypto.b64(raw), "pem": crypto.public_pem(key),
                    "fingerprint": crypto.fingerprint(raw), **hashes})


@bp.route("/content-credentials", methods=["GET"])
def content_credentials_root():
    """The root certificate under which the installation signs the C2PA manifests of public copies:
    anyone may fetch it, to give their C2PA tool as a trust anchor."""
    made = content_credentials(current_app.instance_path, settings().PUBLIC_URL)
    if request.args.get("format") == "pem":
        return Response(made.anchor, mimetype="application/x-pem-file",
                        headers={"Content-Disposition": 'attachment; filename="content-credentials-root.pem"'})
    return jsonify({"certificate": made.anchor, "fingerprint": made.fingerprint, "algorithm": "ES256"})
