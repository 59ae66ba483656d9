"""A dossier bundle: a ZIP whose every file is listed, with its SHA-256, in a signed manifest.

The ZIP is streamed as it is written, so a bundle with gigabytes of evidence needs no more memory
than one chunk of one file. Each file's hash is taken from the bytes as they go into the archive;
the manifest, written last, lists them all and is signed with the installation's Ed25519 key, and
timestamped by its RFC 3161 authority when it has one (``manifest.tsr``).
``verify_bundle.py`` and ``verify_timestamp.py`` (which travel in the bundle) check it without
this project.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import logging
import mimetypes
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from incidents import vocab
from incidents.dossiers import verify_bundle
from incidents.keys import signing as crypto
from incidents.publication.open_data_row import csv_text
from incidents.timestamps.authority import Authority, Unavailable

log = logging.getLogger(__name__)
CHUNK = verify_bundle.CHUNK
VERIFIER = os.path.join(os.path.dirname(__file__), "verify_bundle.py")
# The timestamp's check, which verify_bundle.py imports from beside itself.
TIMESTAMP_VERIFIER = os.path.join(os.path.dirname(__file__), "verify_timestamp.py")


@dataclass
class Part:
    """One file of the bundle: its name inside, and a function giving its bytes in chunks."""

    name: str
    chunks: Callable[[], Iterable[bytes]]
    compress: bool = True


class _Sink(io.RawIOBase):
    """Where zipfile writes; the stream takes what was written after every chunk.

    It cannot seek, so zipfile writes each entry's sizes after its data: nothing is held back.
    """

    def __init__(self):
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def constant(data: bytes) -> Callable[[], Iterable[bytes]]:
    return lambda: (data,)


def file_chunks(path: str) -> Callable[[], Iterable[bytes]]:
    def read():
        with open(path, "rb") as handle:
            yield from iter(lambda: handle.read(CHUNK), b"")
    return read


def evidence_name(sha256: str, media_type: str | None) -> str:
    """An original's name inside the bundle: its hash, so the verifier can re-check it."""
    extension = mimetypes.guess_extension(media_type or "") or ""
    return f"evidence/{sha256}{extension}"


def derivative_name(sha256: str, media_type: str, digest: str = "") -> str:
    """A derivative's name inside a public bundle: it says it is not the original, and which
    original (by hash) it was made from, and which areas were destroyed in it (``digest``, as the
    site names the copy). Outside ``evidence/``: its own hash is another."""
    extension = mimetypes.guess_extension(media_type) or ""
    return f"derivatives/{sha256}{'-' + digest if digest else ''}.derivative{extension}"


def evidence_manifest(data: dict, included: set[str], derivatives: dict[int, str] | None = None) -> dict:
    """Item (its id, and its number in the dossier), incident, file name in the bundle (when included),
    size, SHA-256; in a public bundle
    the derivative that stands in for the original (``derivatives``: item id -> name); in a
    confidential bundle also the original name, when it was received and its chain of custody."""
    derivatives = derivatives or {}
    items = []
    for incident in data["incidents"]:
        for item in incident["evidence"]:
            if not item.get("sha256"):
                continue
            name = evidence_name(item["sha256"], item["media_type"])
            entry = {"item": item["id"], "number": item["number"], "incident": incident["reference"], "kind": item["kind"],
                     "file": name if name in included else None, "size": item["size"],
                     "sha256": item["sha256"], "media_type": item["media_type"]}
            if item["id"] in derivatives:
                entry["derivative"] = derivatives[item["id"]]
            if "custody" in item:
                entry.update(original_filename=item["filename"], received_on=item["received_on"],
                             received=next((e["at"] for e in item["custody"] if e["action"] == "received"), None),
                             custody=item["custody"])
            items.append(entry)
    return {"items": items}


def custody_csv(data: dict) -> bytes:
    """Every custody event of every item, one row each, for a spreadsheet (confidential bundles): the
    action's stable code, and beside it its name in the dossier's language (call in its locale)."""
    lines = [csv_text(["item", "incident", "sha256", "action", "action_label", "at", "actor", "detail"])]
    for incident in data["incidents"]:
        for item in incident["evidence"]:
            for event in item.get("custody", []):
                label = str(vocab.CUSTODY_LABELS.get(event["action"], event["action"]))
                lines.append(csv_text([item["id"], incident["reference"], item["sha256"] or "", event["action"], label,
                                       event["at"], event["actor"], json.dumps(event["detail"], ensure_ascii=False)]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def stream(parts: list[Part], key: Ed25519PrivateKey, created_at: datetime.datetime,
           installation: str, authority: Authority | None = None) -> Iterator[bytes]:
    """The ZIP's bytes, part by part, then the manifest, its signature and its timestamp."""
    sink = _Sink()
    files = []
    stamp = created_at.timetuple()[:6]
    verifiers = [Part("verify_bundle.py", file_chunks(VERIFIER)),
                 Part("verify_timestamp.py", file_chunks(TIMESTAMP_VERIFIER))]
    with zipfile.ZipFile(sink, "w") as archive:
        for part in parts + verifiers:
            info = zipfile.ZipInfo(part.name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED if part.compress else zipfile.ZIP_STORED
            digest, size = hashlib.sha256(), 0
            with archive.open(info, "w", force_zip64=True) as out:
                for chunk in part.chunks():
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    yield sink.take()
            files.append({"path": part.name, "size": size, "sha256": digest.hexdigest()})
            yield sink.take()
        public = crypto.public_bytes(key)
        fields = {
            "format": verify_bundle.FORMAT,
            "created_at": created_at.isoformat(timespec="seconds") + "Z",
            "installation": installation,
            "signer": {"algorithm": "Ed25519", "public_key": crypto.b64(public),
                       "fingerprint": crypto.fingerprint(public)},
            "files": files,
        }
        manifest, token = _stamped_manifest(fields, authority)
        archive.writestr(zipfile.ZipInfo(verify_bundle.MANIFEST, date_time=stamp), manifest)
        archive.writestr(zipfile.ZipInfo(verify_bundle.SIGNATURE, date_time=stamp),
                         base64.b64encode(crypto.sign(key, manifest)) + b"\n")
        if token is not None:
            archive.writestr(zipfile.ZipInfo(verify_bundle.TIMESTAMP, date_time=stamp), token)
    yield sink.take()


def _stamped_manifest(fields: dict, authority: Authority | None) -> tuple[bytes, bytes | None]:
    """The manifest's bytes and the authority's timestamp of them (None without an authority).

    The manifest says which authority stamps it, so a token taken out of the bundle is missed.
    When the authority does not answer, the bundle is still made (a lawyer's filing may not wait
    for it), and the signed manifest says plainly that it is not timestamped, and why: the
    verifiers print it, the page that hands the bundle over shows it.
    """
    def encoded() -> bytes:
        return json.dumps(fields, indent=2, ensure_ascii=False).encode("utf-8")
    if authority is None:
        return encoded(), None
    fields["timestamp"] = {"authority": authority.url, "token": verify_bundle.TIMESTAMP}
    manifest = encoded()
    try:
        return manifest, authority.stamp(hashlib.sha256(manifest).digest()).token
    except Unavailable as exc:
        log.warning("bundle made without a timestamp: %s", exc)
        fields["timestamp"] = {"authority": authority.url, "missing": str(exc)}
        return encoded(), None
