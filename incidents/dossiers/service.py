"""Building a dossier for the pages and the API alike: gather, record, lay out, package."""
from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Response, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from incidents import audit, redactions
from incidents.db import database
from incidents.dossiers import assemble, layouts
from incidents.dossiers.assemble import DossierRequest, Gathered
from incidents.dossiers.bundle import (
    Part,
    constant,
    custody_csv,
    derivative_name,
    evidence_manifest,
    evidence_name,
    file_chunks,
    stream,
)
from incidents.errors import Conflict, NotReady
from incidents.evidence import credentials
from incidents.evidence.jobs import ask_derivative
from incidents.evidence.previews import derivative_path, ensure_derivative
from incidents.evidence.service import record_custody
from incidents.evidence.store import EvidenceStore
from incidents.keys import signing as crypto
from incidents.models import EvidenceItem
from incidents.timestamps.authority import Authority

MEDIA_TYPES = {"pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "zip": "application/zip"}


@dataclass
class Built:
    filename: str
    media_type: str
    body: bytes | Iterable[bytes]
    # The export's entry in the audit trail and the custody logs, when ``build`` left it to the
    # caller (a job records it with its completion, exactly once); None once recorded.
    record: Callable[[], None] | None = None

    def download(self) -> Response:
        return Response(self.body, mimetype=self.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{self.filename}"'})


def _record(user, request: DossierRequest, gathered: Gathered, files: dict[str, str]) -> None:
    """Every export goes into the audit trail and each included item's chain of custody.
    ``with_file``: the original (confidential) or a derivative of it (public) went in."""
    with_file = set(files.values())
    with database.atomic():
        audit.record(user, "dossier.export", None, incidents=list(request.incident_ids),
                     redaction=request.redaction, layout=request.layout, format=request.format,
                     language=request.language, include_files=request.include_files, items=gathered.item_ids)
        for item in EvidenceItem.select().where(EvidenceItem.id.in_(gathered.item_ids)):
            record_custody(item, "exported", user, redaction=request.redaction, format=request.format,
                           with_file=item.stored_file_id in with_file)


def _readme(data: dict, fingerprint: str, installation: str, derivatives: bool, authority: Authority | None) -> bytes:
    text = _(
        "This bundle was compiled by %(who)s on %(when)s.\n\n"
        "manifest.json lists every file in it with its SHA-256 hash; manifest.sig is the Ed25519 "
        "signature of manifest.json by the installation at %(site)s, whose key has the fingerprint\n"
        "%(fingerprint)s\n\n"
        "To check the bundle with Python 3 and nothing else:\n"
        "    python3 verify_bundle.py BUNDLE.zip --key signing-key.pem\n"
        "where signing-key.pem is the public key published at %(site)s/api/v1/signing-key.\n"
        "The check names every file that was changed, removed or added. The same address gives the "
        "SHA-256 of the genuine verify_bundle.py (verifier_sha256): compare it with this copy first.\n",
        who=data["compiled_by"], when=data["compiled_at"], site=installation, fingerprint=fingerprint)
    text += "\n" + _(
        "verify_bundle.py needs verify_timestamp.py beside it, which checks the bundle's timestamp when "
        "it has one; the same address gives its SHA-256 too (timestamp_verifier_sha256).\n")
    if authority is not None:
        text += "\n" + _(
            "manifest.tsr is an RFC 3161 timestamp of manifest.json by the timestamp authority at "
            "%(authority)s: it shows that the manifest, and so every file it lists, existed at the time "
            "the authority states. verify_bundle.py prints that time and the authority's name; given the "
            "authority's CA certificate, it also checks that the timestamp is that authority's:\n"
            "    python3 verify_bundle.py BUNDLE.zip --key signing-key.pem --tsa-ca tsa-ca.pem\n"
            "OpenSSL checks it as well:\n"
            "    openssl ts -verify -in manifest.tsr -data manifest.json -CAfile tsa-ca.pem\n"
            "If the authority gave no valid timestamp when the bundle was made, there is no manifest.tsr, and "
            "manifest.json says so, and why, under \"timestamp\".\n", authority=authority.url)
    if derivatives:
        text += "\n" + _(
            "The files in derivatives/ are not the originals. Each was decoded from an original and "
            "encoded again, so that it carries none of the original's embedded metadata (place, "
            "device, times); its name begins with the SHA-256 of the original it was made from. "
            "The originals stay with the installation.\n")
    return text.encode("utf-8")


def _files(data: dict, request: DossierRequest) -> dict[str, str]:
    """Bundle name -> hash of every original the bundle carries: only a confidential bundle
    carries originals (the public never receives an original byte)."""
    if not request.include_files or request.redaction != "confidential":
        return {}
    return {evidence_name(item["sha256"], item["media_type"]): item["sha256"]
            for incident in data["incidents"] for item in incident["evidence"] if item.get("sha256")}


def _derivatives(data: dict, request: DossierRequest, store: EvidenceStore,
                 make: credentials.Signing | None) -> dict[int, tuple[str, str, str]]:
    """Item id -> (bundle name, path, original's hash) of the derivative a public bundle carries
    instead of the original: the copy the site shows anyone, with the areas its redaction decision
    destroys. An item with no derivative (a document, an unreadable file, a picture or a video with
    no redaction decision) goes in by its hash and description only. ``make``: decode here and sign
    with it (the worker does); otherwise (None) each missing copy is asked of the worker.

    :raise Conflict: an original is missing from the store. :raise NotReady: copies are being made.
    """
    if not request.include_files or request.redaction != "public" or request.format != "zip":
        return {}  # only a bundle carries files
    made, waiting = {}, False
    for item in (i for incident in data["incidents"] for i in incident["evidence"] if i.get("sha256")):
        original = store.path_for(item["sha256"])
        if not os.path.exists(original):
            raise Conflict(_l("An original is missing from the evidence store; run “evidence verify”."))
        copy = redactions.public_copy(item["id"], item["media_type"] or "")
        if copy is None:
            continue
        boxes, digest = copy
        if make:
            derivative = ensure_derivative(store.root, original, item["sha256"], item["media_type"] or "", make,
                                           boxes or None, digest)
        else:
            ready, _digest = ask_derivative(item["id"], item["sha256"], item["media_type"] or "", store)
            waiting = waiting or ready is None
            derivative = derivative_path(store.root, item["sha256"], digest) if ready else None
        if derivative is not None:
            name = derivative_name(item["sha256"], derivative[1], digest)
            made[item["id"]] = (name, derivative[0], item["sha256"])
    if waiting:
        raise NotReady(_l("The copies of the evidence for the public are being prepared. Try again in a few minutes."))
    return made


def build(user, request: DossierRequest, *, store: EvidenceStore, instance_path: str,
          installation: str, in_worker: bool = False) -> Built:
    """The dossier as asked, recorded once everything but the originals' bytes is ready; in the
    worker (``in_worker``), derivatives are made here and the record is left to the job.

    :raise Forbidden: the user may not build a dossier of this redaction.
    :raise ValidationFailed: an incident cannot go in.
    :raise Conflict: an original to include is missing from the store; nothing is recorded.
    :raise NotReady: (not in the worker) copies for a public bundle are being made.
    """
    gathered = assemble.gather(user, request, installation)
    data = gathered.data
    created = datetime.datetime.fromisoformat(data["compiled_at"].rstrip("Z"))
    stamp = created.strftime("%Y%m%d-%H%M%S")
    files = _files(data, request)
    derivatives = _derivatives(data, request, store,
                               make=credentials.signing(instance_path, installation) if in_worker else None)
    for sha256 in files.values():
        if not os.path.exists(store.path_for(sha256)):
            raise Conflict(_l("An original is missing from the evidence store; run “evidence verify”."))
    # Imported on the first dossier: fpdf2 alone would add 60 MB to every web worker from its start.
    from incidents.dossiers import pdf, word
    with force_locale(request.language):
        document = layouts.build(data)
        document.logo = gathered.logo
        body = word.render(document, request.language) if request.format == "docx" \
            else pdf.render(document, request.language)
        key = crypto.signing_key(instance_path) if request.format == "zip" else None
        authority = Authority.configured(current_app.config["SETTINGS"])
        readme = _readme(data, crypto.fingerprint(crypto.public_bytes(key)), installation,
                         bool(derivatives), authority) if key else b""
        custody = custody_csv(data) if key and request.redaction == "confidential" else None
    shipped = {**files, **{name: sha256 for name, _path, sha256 in derivatives.values()}}
    def record():
        _record(user, request, gathered, shipped)
    if request.format != "zip":
        record()
        return Built(_filename(request, stamp, request.format), MEDIA_TYPES[request.format], body)
    parts = [Part("dossier.pdf", constant(body)),
             Part("dossier.json", constant(_json(data))),
             Part("evidence-manifest.json", constant(_json(evidence_manifest(
                 data, set(files), {item_id: name for item_id, (name, _path, _sha) in derivatives.items()}))))]
    if custody is not None:
        parts.append(Part("custody-log.csv", constant(custody)))
    parts.append(Part("README.txt", constant(readme)))
    parts += [Part(name, file_chunks(store.path_for(sha256)), compress=False)
              for name, sha256 in sorted(files.items())]
    copies = {name: path for name, path, _sha in derivatives.values()}  # two items of one file, one copy
    parts += [Part(name, file_chunks(path), compress=False) for name, path in sorted(copies.items())]
    built = Built(_filename(request, stamp, "zip"), MEDIA_TYPES["zip"],
                  stream(parts, key, created, installation, authority))
    if in_worker:
        built.record = record
    else:
        record()
    return built


def _filename(request: DossierRequest, stamp: str, extension: str) -> str:
    return f"dossier-{request.layout}-{request.language}-{stamp}.{extension}"


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")
