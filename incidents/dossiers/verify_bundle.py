#!/usr/bin/env python3
"""Check a dossier bundle: every file's SHA-256 against the signed manifest, the signature, and
the manifest's RFC 3161 timestamp when it has one.

Usage:  python3 verify_bundle.py BUNDLE.zip [--key PUBLIC_KEY_FILE] [--tsa-ca CA_FILE]

It needs nothing but Python 3.9 or later: a copy of this file travels in every bundle, for
recipients who do not run the documentation database, with verify_timestamp.py, which it
imports from beside itself. Without --key the signature is checked against the key named inside
the bundle, which proves only that the bundle is intact; compare the printed fingerprint with
the key the installation publishes at /api/v1/signing-key (or pass that key with --key) to know
who signed it. Likewise, the timestamp's certificate is held to a CA only with --tsa-ca (the
authority's CA, PEM), which also makes a bundle without a timestamp fail.

Exit status: 0 when every check passes, 1 when any fails (each failing file is named), 2 when
the bundle or a file given cannot be read at all.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import functools
import hashlib
import importlib.util
import json
import os
import re
import struct
import sys
import zipfile
import zlib
from collections import Counter

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
TIMESTAMP = "manifest.tsr"
FORMAT = "incidents-dossier-bundle/1"
# Evidence originals are stored under the SHA-256 recorded when they were preserved.
EVIDENCE_NAME = re.compile(r"^evidence/([0-9a-f]{64})(\.[A-Za-z0-9]{1,10})?$")
CHUNK = 1024 * 1024
# What reading a damaged or doctored entry raises: a bad CRC or header, a broken deflate stream,
# an unknown compression method, encryption, a truncated file.
UNREADABLE_ENTRY = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError)

# --- Ed25519 verification (RFC 8032, section 5.1.7), in plain Python -------------------------
# Written out so that the script runs anywhere; the installation itself signs and checks with the
# `cryptography` library, and the test suite holds the two to the same answers.
_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _add(a, b):
    e1 = (a[1] - a[0]) * (b[1] - b[0]) % _P
    e2 = (a[1] + a[0]) * (b[1] + b[0]) % _P
    c = 2 * a[3] * b[3] * _D % _P
    d = 2 * a[2] * b[2] % _P
    e, f, g, h = e2 - e1, d - c, d + c, e2 + e1
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar, point):
    result = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _recover_x(y, sign):
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P)
    if x2 % _P == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    return _P - x if (x & 1) != sign else x


def _decompress(data):
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


_GY = 4 * pow(5, _P - 2, _P) % _P
_G = (_recover_x(_GY, 0), _GY, 1, _recover_x(_GY, 0) * _GY % _P)


def ed25519_verify(public: bytes, signature: bytes, message: bytes) -> bool:
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _L
    return _equal(_multiply(s, _G), _add(r, _multiply(h, a)))


# --- The bundle ----------------------------------------------------------------------------------

class Unreadable(Exception):
    """The file is not a ZIP archive at all."""


def _sha256(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# After an entry's data, when its flags say so (bit 3), a data descriptor follows (APPNOTE 4.3.9):
# its CRC and sizes (32- or 64-bit), with or without a signature before them.
DESCRIPTOR_FLAG = 0x08
DESCRIPTOR_SIGNATURE = b"PK\x07\x08"


def _is_descriptor(gap: bytes, info: zipfile.ZipInfo) -> bool:
    """True when ``gap`` is exactly the entry's data descriptor: anything else there (even of a
    descriptor's length) is bytes no entry accounts for."""
    if not info.flag_bits & DESCRIPTOR_FLAG:
        return gap == b""
    for body in ((gap[4:],) if gap.startswith(DESCRIPTOR_SIGNATURE) else ()) + (gap,):
        width = (len(body) - 4) // 2
        if width in (4, 8) and len(body) == 4 + 2 * width and (
                int.from_bytes(body[:4], "little"), int.from_bytes(body[4:4 + width], "little"),
                int.from_bytes(body[4 + width:], "little")) == (info.CRC, info.compress_size, info.file_size):
            return True
    return False


def _hidden_bytes(path, archive: zipfile.ZipFile) -> bool:
    """True when the file holds bytes no central-directory entry accounts for: a streaming unzip
    would show an entry there that this check never read."""
    entries = sorted(archive.infolist(), key=lambda info: info.header_offset)
    with open(path, "rb") as handle:
        position, previous = 0, None
        for info in entries + [None]:
            end = archive.start_dir if info is None else info.header_offset
            if previous is None:
                if end != 0:
                    return True
            elif not 0 <= end - position <= 24 or not _is_descriptor(_read_at(handle, position, end - position),
                                                                     previous):
                return True
            if info is None:
                return False
            handle.seek(info.header_offset + 26)
            name_length, extra_length = int.from_bytes(handle.read(2), "little"), int.from_bytes(handle.read(2), "little")
            position, previous = info.header_offset + 30 + name_length + extra_length + info.compress_size, info


def _read_at(handle, offset: int, size: int) -> bytes:
    handle.seek(offset)
    return handle.read(size)


# The end records (APPNOTE 4.3.14-4.3.16): the end of central directory, and before it, in a ZIP64
# archive, the ZIP64 end record (without extensible data) and its locator.
END = struct.Struct("<4s4H2LH")
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_END = struct.Struct("<4sQ2H2L4Q")


def _tail_problem(path, archive: zipfile.ZipFile) -> str | None:
    """What follows the central directory, if anything but its end records: trailing bytes or a
    comment (which ``unzip -l`` prints, so it can carry a forged message) are refused, as is any
    entry's own comment."""
    if archive.comment or any(info.comment for info in archive.infolist()):
        return "carries a ZIP comment, which is not part of what was signed"
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if size < END.size:
            return "ends before its end record"
        handle.seek(size - END.size)
        signature, disk, cd_disk, here, total, cd_size, cd_offset, comment = END.unpack(handle.read(END.size))
        if signature != b"PK\x05\x06" or comment:
            return "holds data after the end of the archive"
        cd_end = size - END.size
        if size >= END.size + ZIP64_LOCATOR.size + ZIP64_END.size:
            handle.seek(cd_end - ZIP64_LOCATOR.size)
            locator = ZIP64_LOCATOR.unpack(handle.read(ZIP64_LOCATOR.size))
            if locator[0] == b"PK\x06\x07":
                cd_end -= ZIP64_LOCATOR.size + ZIP64_END.size
                handle.seek(cd_end)
                record = ZIP64_END.unpack(handle.read(ZIP64_END.size))
                # A record with extensible data, or not where the locator points, leaves bytes unaccounted.
                if record[0] != b"PK\x06\x06" or record[1] != ZIP64_END.size - 12 or locator[2] != cd_end:
                    return "holds data after the end of the archive"
                disk, cd_disk, here, total, cd_size, cd_offset = record[4:]
    if (disk, cd_disk) != (0, 0) or here != total or total != len(archive.infolist()) \
            or cd_offset != archive.start_dir or cd_offset + cd_size != cd_end:
        return "holds data after the end of the archive"
    return None


def check_bundle(path, trusted_key: bytes | None = None, verify=ed25519_verify):
    """Check the bundle at ``path``; ``verify(public, signature, message) -> bool``.

    Returns (failures, manifest): failures is a list of (file name, what is wrong), empty when
    the bundle is intact and signed by ``trusted_key`` (or, without one, by the key it names).

    :raise Unreadable: not a ZIP file.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise Unreadable(f"{path}: not a readable ZIP file ({exc})") from exc
    with archive:
        names = archive.namelist()
        # A second entry under a name would be what an unzip tool shows, not what was checked.
        failures = [(name, "appears more than once in the archive")
                    for name, count in sorted(Counter(names).items()) if count > 1]
        if _hidden_bytes(path, archive):
            failures.append((path, "holds data outside the listed entries"))
        tail = _tail_problem(path, archive)
        if tail:
            failures.append((path, tail))
        try:
            raw = archive.read(MANIFEST)
            manifest = json.loads(raw)
            listed = {entry["path"]: entry for entry in manifest["files"]}
            if len(listed) != len(manifest["files"]):
                failures.append((MANIFEST, "lists a file more than once"))
            signer = base64.b64decode(manifest["signer"]["public_key"], validate=True)
        except (KeyError, ValueError, TypeError, binascii.Error, *UNREADABLE_ENTRY) as exc:
            # Without a manifest nothing else can be checked: the bundle fails on this alone.
            return failures + [(MANIFEST, f"missing or unreadable ({exc})")], {}
        if manifest.get("format") != FORMAT:
            failures.append((MANIFEST, f"unknown format {manifest.get('format')!r}"))
        try:
            signature = base64.b64decode(archive.read(SIGNATURE).strip(), validate=True)
        except KeyError:
            failures.append((SIGNATURE, "missing: the manifest is not signed"))
        except (ValueError, binascii.Error, *UNREADABLE_ENTRY):
            failures.append((SIGNATURE, "not a readable base64 signature"))
        else:
            if trusted_key is not None and trusted_key != signer:
                failures.append((MANIFEST, "signed by another key than the one given"))
            elif not verify(trusted_key or signer, signature, raw):
                failures.append((MANIFEST, "the signature does not match: the manifest was changed "
                                           "or signed by another key"))
        for name, entry in sorted(listed.items()):
            if name not in names:
                failures.append((name, "listed in the manifest but missing from the bundle"))
                continue
            try:
                digest, size = _sha256(archive, name)
            except UNREADABLE_ENTRY as exc:
                failures.append((name, f"cannot be read: damaged or altered inside the archive ({exc})"))
                continue
            if digest != entry.get("sha256") or size != entry.get("size"):
                failures.append((name, "changed: its SHA-256 or size differs from the manifest"))
                continue
            match = EVIDENCE_NAME.match(name)
            if match and match.group(1) != digest:
                failures.append((name, "differs from the hash recorded when it was preserved"))
        for name in sorted(set(names) - set(listed) - {MANIFEST, SIGNATURE, TIMESTAMP}):
            failures.append((name, "not listed in the manifest: added after signing"))
    return failures, manifest


@functools.cache
def timestamps():
    """verify_timestamp.py: the package's module in the installation, else the copy beside this script,
    loaded by its path (-I leaves the script's folder off sys.path). :raise OSError: it is not there."""
    if __package__:
        from . import verify_timestamp
        return verify_timestamp
    spec = importlib.util.spec_from_file_location(
        "verify_timestamp", os.path.join(os.path.dirname(os.path.abspath(__file__)), "verify_timestamp.py"))
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def declared_timestamp(manifest: dict) -> dict:
    """What the manifest says of its timestamp: the authority, and "token" or why it is "missing"."""
    return manifest["timestamp"] if isinstance(manifest.get("timestamp"), dict) else {}


def check_timestamp(path, manifest: dict, anchors=None, required: bool = False):
    """Check the manifest's timestamp (manifest.tsr) with ``anchors``, the authority's CA
    certificates, when given. Returns (failures, stamp): what the token says, None without one.

    No token fails when ``required`` (a timestamp check was asked for) and when the manifest says it
    was stamped (taken out); a token it does not name, always (put in). Else: not timestamped."""
    try:
        with zipfile.ZipFile(path) as archive:
            raw = archive.read(MANIFEST)
            if TIMESTAMP in archive.namelist():
                if declared_timestamp(manifest).get("token") != TIMESTAMP:  # the token lies outside the signature
                    return [(TIMESTAMP, "not named by the signed manifest: added after the bundle was signed")], None
                token = archive.open(TIMESTAMP).read(timestamps().MAX_TOKEN + 1)
                return [], timestamps().check(token, hashlib.sha256(raw).digest(), anchors)
    except KeyError:
        return [], None  # no manifest: check_bundle says so, and nothing was stamped
    except (zipfile.BadZipFile, *UNREADABLE_ENTRY) as exc:  # OSError among them: no verify_timestamp.py
        return [(TIMESTAMP, f"cannot be checked ({exc}): extract verify_timestamp.py beside verify_bundle.py, "
                            f"or the bundle was damaged or altered")], None
    except timestamps().Invalid as exc:
        return [(TIMESTAMP, str(exc))], None
    declared = declared_timestamp(manifest)
    if declared.get("token"):
        return [(TIMESTAMP, "missing: the manifest says the bundle was timestamped, so the token was removed")], None
    if required:
        why = f" (the authority gave none: {str(declared['missing'])!r})" if declared.get("missing") else ""
        return [(TIMESTAMP, f"not timestamped{why}, and a timestamp check was asked for")], None
    return [], None


# The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow it.
_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def read_key(path: str) -> bytes:
    """The raw public key from a file: PEM, or 32 bytes in hex or base64.

    :raise ValueError: not an Ed25519 public key.
    """
    with open(path, "rb") as handle:
        text = handle.read().strip()
    if text.startswith(b"-----BEGIN"):
        body = b"".join(line for line in text.splitlines() if not line.startswith(b"-----"))
        der = base64.b64decode(body)
        if len(der) != 44 or not der.startswith(_SPKI_PREFIX):
            raise ValueError(f"{path}: not an Ed25519 public key")
        return der[len(_SPKI_PREFIX):]
    for decode in (bytes.fromhex, base64.b64decode):
        try:
            raw = decode(text.decode("ascii"))
        except (ValueError, binascii.Error):
            continue
        if len(raw) == 32:
            return raw
    raise ValueError(f"{path}: not an Ed25519 public key (PEM, or 32 bytes in hex or base64)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Check a dossier bundle's hashes, signature and timestamp.")
    parser.add_argument("bundle")
    parser.add_argument("--key", help="the installation's public key (PEM, base64 or hex), "
                                      "as published at /api/v1/signing-key")
    parser.add_argument("--tsa-ca", help="the timestamp authority's CA certificate(s), a PEM file: "
                                         "the bundle must be timestamped by that authority")
    args = parser.parse_args(argv)
    try:
        trusted = read_key(args.key) if args.key else None
        anchors = timestamps().read_certificates(args.tsa_ca) if args.tsa_ca else None
    except (OSError, ValueError) as exc:
        print(f"FAILED: {exc}")
        return 2
    try:
        failures, manifest = check_bundle(args.bundle, trusted)
    except Unreadable as exc:
        print(f"FAILED: {exc}")
        return 2
    stamp_failures, stamp = check_timestamp(args.bundle, manifest, anchors, required=anchors is not None)
    failures += stamp_failures
    for name, problem in failures:
        print(f"FAILED {name}: {problem}")
    if failures:
        print(f"{len(failures)} problem(s): do not rely on this bundle.")
        return 1
    key = trusted or base64.b64decode(manifest["signer"]["public_key"])
    print(f"OK: {len(manifest['files'])} files match the manifest, signed by the key with "
          f"fingerprint {hashlib.sha256(key).hexdigest()}.")
    if trusted is None:
        print("Compare that fingerprint with the one the installation publishes at "
              "/api/v1/signing-key, or run again with --key.")
    if stamp is not None:
        print(f"Timestamped at {stamp.time:%Y-%m-%d %H:%M:%S} UTC (the authority's clock) by {stamp.subject}"
              + (", whose certificate chains to the CA given." if stamp.chained else
                 ". That certificate was not checked against a CA: run again with --tsa-ca to know whose it is."))
    else:
        missing = declared_timestamp(manifest).get("missing")
        print("Not timestamped" + (f": the authority gave no valid timestamp when the bundle was made ({str(missing)!r})."
                                   if missing else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
