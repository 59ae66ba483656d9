"""Building a dossier for the pages and the API alike: gather, record, lay out, package."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

from flask import Response
from flask_babel import force_locale, gettext as _

from .. import audit, crypto
from ..db import database
from ..evidence.service import record_custody
from ..evidence.store import EvidenceStore
from ..models import EvidenceItem, utcnow
from . import assemble, layouts, pdf, word
from .assemble import DossierRequest
from .bundle import Part, constant, custody_csv, evidence_manifest, evidence_name, file_chunks, stream

MEDIA_TYPES = {"pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "zip": "application/zip"}


@dataclass
class Built:
    filename: str
    media_type: str
    body: bytes | Iterable[bytes]

    def download(self) -> Response:
        return Response(self.body, mimetype=self.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{self.filename}"'})


def _record(user, request: DossierRequest, data: dict) -> None:
    """Every export goes into the audit trail and each included item's chain of custody."""
    item_ids = assemble.evidence_items(data)
    with database.atomic():
        audit.record(user, "dossier.export", None, incidents=list(request.incident_ids),
                     redaction=request.redaction, layout=request.layout, format=request.format,
                     language=request.language, include_files=request.include_files, items=item_ids)
        for item in EvidenceItem.select().where(EvidenceItem.id.in_(item_ids)):
            record_custody(item, "exported", user, redaction=request.redaction, format=request.format,
                           with_file=request.include_files and request.format == "zip")


def _readme(data: dict, fingerprint: str, installation: str) -> bytes:
    text = _(
        "This bundle was compiled by %(who)s on %(when)s.\n\n"
        "manifest.json lists every file in it with its SHA-256 hash; manifest.sig is the Ed25519 "
        "signature of manifest.json by the installation at %(site)s, whose key has the fingerprint\n"
        "%(fingerprint)s\n\n"
        "To check the bundle with Python 3 and nothing else:\n"
        "    python3 verify_bundle.py BUNDLE.zip --key signing-key.pem\n"
        "where signing-key.pem is the public key published at %(site)s/api/v1/signing-key.\n"
        "The check names every file that was changed, removed or added.\n",
        who=data["compiled_by"], when=data["compiled_at"], site=installation, fingerprint=fingerprint)
    return text.encode("utf-8")


def _filename(request: DossierRequest, stamp: str, extension: str) -> str:
    return f"dossier-{request.layout}-{request.language}-{stamp}.{extension}"


def build(user, request: DossierRequest, *, store: EvidenceStore, instance_path: str,
          installation: str) -> Built:
    """The dossier as asked, recorded before a byte of it leaves.

    :raise Forbidden: the user may not build a dossier of this redaction.
    :raise ValidationFailed: an incident cannot go in.
    """
    data = assemble.gather(user, request)
    with force_locale(request.language):
        document = layouts.build(data)
        if request.format == "docx":
            body = word.render(document, request.language)
        else:
            body = pdf.render(document, request.language)
        key = crypto.signing_key(instance_path) if request.format == "zip" else None
        readme = _readme(data, crypto.fingerprint(crypto.public_bytes(key)), installation) if key else b""
    _record(user, request, data)
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    if request.format != "zip":
        return Built(_filename(request, stamp, request.format), MEDIA_TYPES[request.format], body)
    parts = [Part("dossier.pdf", constant(body)),
             Part("dossier.json", constant(_json(data))),
             Part("evidence-manifest.json", constant(_json(evidence_manifest(data, _included(data, request))))),
             Part("custody-log.csv", constant(custody_csv(data))),
             Part("README.txt", constant(readme))]
    if request.include_files:
        for name, sha256 in sorted(_files(data).items()):
            parts.append(Part(name, file_chunks(store.path_for(sha256)), compress=False))
    return Built(_filename(request, stamp, "zip"), MEDIA_TYPES["zip"],
                 stream(parts, key, utcnow(), installation))


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


def _files(data: dict) -> dict[str, str]:
    """Bundle name -> hash of every preserved original the dossier includes."""
    return {evidence_name(item["sha256"], item["media_type"]): item["sha256"]
            for incident in data["incidents"] for item in incident["evidence"] if item.get("sha256")}


def _included(data: dict, request: DossierRequest) -> set[str]:
    return set(_files(data)) if request.include_files else set()
