"""Check an RFC 3161 timestamp offline: what it stamps, who signed it, when, and under which CA.

It needs nothing but Python 3.9 or later: a copy travels in every bundle beside verify_bundle.py,
which imports it, and the installation checks its own timestamps (bundles, the audit chain's
heads) with this same code. It reads DER, CMS SignedData (RFC 5652), TSTInfo (RFC 3161) and
X.509 certificates (RFC 5280), only as far as a timestamp needs, and checks RSA PKCS#1 v1.5
signatures (SHA-256, -384, -512). Every problem is an ``Invalid`` whose message says what is wrong.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
from dataclasses import dataclass

# Object identifiers, in their dotted form.
SIGNED_DATA = "1.2.840.113549.1.7.2"
TST_INFO = "1.2.840.113549.1.9.16.1.4"
CONTENT_TYPE, MESSAGE_DIGEST = "1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4"
SIGNING_CERTIFICATE, SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.12", "1.2.840.113549.1.9.16.2.47"
RSA = "1.2.840.113549.1.1.1"
DIGESTS = {"2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384",
           "2.16.840.1.101.3.4.2.3": "sha512"}
RSA_WITH = {"1.2.840.113549.1.1.11": "sha256", "1.2.840.113549.1.1.12": "sha384",
            "1.2.840.113549.1.1.13": "sha512"}
EXTENDED_KEY_USAGE, BASIC_CONSTRAINTS, SUBJECT_KEY_ID = "2.5.29.37", "2.5.29.19", "2.5.29.14"
TIME_STAMPING = "1.3.6.1.5.5.7.3.8"
NAMES = {"2.5.4.3": "CN", "2.5.4.5": "serialNumber", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
         "2.5.4.10": "O", "2.5.4.11": "OU", "1.2.840.113549.1.9.1": "emailAddress"}
# The DER of a DigestInfo up to the digest (RFC 8017, section 9.2, note 1).
DIGEST_INFO = {"sha256": "3031300d060960864801650304020105000420", "sha384": "3041300d060960864801650304020205000430",
               "sha512": "3051300d060960864801650304020305000440"}
STATUSES = ("granted", "grantedWithMods", "rejection", "waiting", "revocationWarning", "revocationNotification")
# Far more than any authority's reply; a bigger one is refused before it is read.
MAX_TOKEN = 256 * 1024
# Larger RSA keys, or exponents, are refused: a hostile certificate must not make the check run for minutes.
MAX_RSA_BITS = 8192
MAX_CHAIN = 8


class Invalid(Exception):
    """The timestamp is unreadable, refused, altered, of other bytes, or of an authority not trusted."""


class Malformed(Invalid):
    """Bytes that are not the DER they should be (in a token or a certificate)."""


# --- DER --------------------------------------------------------------------------------------

class Node:
    """One DER element of ``data``: its tag, where its header begins and its content begins and ends."""

    def __init__(self, data: bytes, at: int = 0, limit: int | None = None):
        limit = len(data) if limit is None else limit
        if at + 2 > limit or data[at] & 0x1F == 0x1F:
            raise Malformed("truncated DER")
        self.data, self.tag, self.head = data, data[at], at
        length, at = data[at + 1], at + 2
        if length & 0x80:
            count = length & 0x7F
            if not 1 <= count <= 4 or at + count > limit:  # 0x80: BER's indefinite length, never DER
                raise Malformed("a length that DER does not allow")
            length, at = int.from_bytes(data[at:at + count], "big"), at + count
        self.start, self.end = at, at + length
        if self.end > limit:
            raise Malformed("truncated DER")

    @property
    def content(self) -> bytes:
        return self.data[self.start:self.end]

    @property
    def der(self) -> bytes:
        return self.data[self.head:self.end]

    def children(self) -> list[Node]:
        found, at = [], self.start
        while at < self.end:
            found.append(Node(self.data, at, self.end))
            at = found[-1].end
        return found

    def integer(self) -> int:
        return int.from_bytes(self._is(0x02, "an INTEGER").content, "big", signed=True)

    def oid(self) -> str:
        body = self._is(0x06, "an OBJECT IDENTIFIER").content
        parts, value = [], 0
        for byte in body:
            value = value << 7 | byte & 0x7F
            if not byte & 0x80:
                parts.append(value)
                value = 0
        if not parts:
            raise Malformed("an empty OBJECT IDENTIFIER")
        first = min(parts[0] // 40, 2)
        return ".".join(str(part) for part in [first, parts[0] - 40 * first] + parts[1:])

    def _is(self, tag: int, what: str) -> Node:
        if self.tag != tag:
            raise Malformed(f"{what} expected, tag {self.tag:#04x} found")
        return self


def parse(data: bytes, tag: int = 0x30) -> Node:
    """The one element ``data`` holds, nothing after it."""
    node = Node(data)
    if node.end != len(data):
        raise Malformed("bytes after its end")
    return node._is(tag, {0x30: "a SEQUENCE", 0x31: "a SET"}.get(tag, "an OCTET STRING"))


def _fields(node: Node, count: int, what: str) -> list[Node]:
    children = node._is(0x30, "a SEQUENCE").children()
    if len(children) < count:
        raise Malformed(f"its {what} is incomplete")
    return children


def _time(node: Node) -> datetime.datetime:
    """A UTCTime or GeneralizedTime (fractions of a second allowed), in UTC."""
    text = node.content.decode("ascii", "replace")
    if node.tag == 0x17:  # two-digit years: 50-99 are 19xx (RFC 5280, section 4.1.2.5.1)
        text = ("19" if text[:2] >= "50" else "20") + text
    whole, _dot, fraction = text[:-1].partition(".")
    try:
        if node.tag not in (0x17, 0x18) or not text.endswith("Z") or fraction and not fraction.isdigit():
            raise ValueError
        moment = datetime.datetime.strptime(whole, "%Y%m%d%H%M%S")
    except ValueError:
        raise Malformed(f"{printable(text)!r} is not a time in UTC") from None
    # Not datetime.UTC: this file runs on Python 3.9.
    return moment.replace(microsecond=int((fraction + "000000")[:6]), tzinfo=datetime.timezone.utc)  # noqa: UP017


def printable(text: str) -> str:
    """``text`` with every control or invisible character escaped: a certificate's subject or an
    authority's message must not rewrite the lines a verifier prints."""
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


# --- RSA (RFC 8017, section 8.2.2), in plain Python ---------------------------------------------

def rsa_verify(key: tuple[int, int], signature: bytes, message: bytes, digest: str) -> bool:
    """True when ``signature`` is ``key``'s PKCS#1 v1.5 signature of ``message`` hashed with ``digest``."""
    modulus, exponent = key
    size = (modulus.bit_length() + 7) // 8
    if len(signature) != size or not 0 < int.from_bytes(signature, "big") < modulus:
        return False
    encoded = pow(int.from_bytes(signature, "big"), exponent, modulus).to_bytes(size, "big")
    info = bytes.fromhex(DIGEST_INFO[digest]) + hashlib.new(digest, message).digest()
    return encoded == b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info


# --- Certificates -------------------------------------------------------------------------------

class Certificate:
    """An X.509 certificate, read as far as checking a timestamp needs."""

    def __init__(self, der: bytes):
        outer = _fields(parse(der), 3, "certificate")
        tbs = _fields(outer[0], 6, "certificate")
        fields = tbs[1:] if tbs[0].tag == 0xA0 else tbs  # version [0], absent in version 1
        serial, _signed_with, issuer, validity, subject, spki = fields[:6]
        self.der, self.tbs, self.signature = der, outer[0].der, _bits(outer[2])
        self.algorithm = _fields(outer[1], 1, "certificate")[0].oid()
        self.serial, self.issuer, self.subject = serial.integer(), issuer.der, subject.der
        self.subject_text, self.key = name_text(subject), _rsa_key(spki)
        self.not_before, self.not_after = (_time(node) for node in _fields(validity, 2, "validity"))
        self.extensions = {}  # OID -> (critical, the value's DER)
        for extra in (node for node in fields[6:] if node.tag == 0xA3):
            for extension in Node(extra.data, extra.start, extra.end).children():
                parts = _fields(extension, 2, "extension")
                critical = parts[1].tag == 0x01 and parts[1].content != b"\x00"
                self.extensions[parts[0].oid()] = (critical, parts[-1].content)

    def signed_by(self, issuer: Certificate) -> bool:
        digest = RSA_WITH.get(self.algorithm)
        return bool(digest and issuer.key and rsa_verify(issuer.key, self.signature, self.tbs, digest))

    def for_timestamping_only(self) -> bool:
        """RFC 3161, section 2.3: one critical extendedKeyUsage, of timeStamping alone."""
        critical, value = self.extensions.get(EXTENDED_KEY_USAGE, (False, b"\x30\x00"))
        return critical and [node.oid() for node in parse(value).children()] == [TIME_STAMPING]

    def is_ca(self) -> bool:
        flags = parse(self.extensions.get(BASIC_CONSTRAINTS, (False, b"\x30\x00"))[1]).children()
        return bool(flags) and flags[0].tag == 0x01 and flags[0].content != b"\x00"


def _bits(node: Node) -> bytes:
    if node.tag != 0x03 or not node.content or node.content[0]:
        raise Malformed("a BIT STRING of whole bytes expected")
    return node.content[1:]


def _rsa_key(spki: Node) -> tuple[int, int] | None:
    """The (modulus, exponent) of an RSA public key; None for a key of another kind."""
    algorithm, key = _fields(spki, 2, "public key")[:2]
    if _fields(algorithm, 1, "public key")[0].oid() != RSA:
        return None
    modulus, exponent = (node.integer() for node in _fields(parse(_bits(key)), 2, "RSA key")[:2])
    if modulus.bit_length() > MAX_RSA_BITS or not 1 < exponent < 2**32:
        raise Malformed("an RSA key out of bounds")
    return modulus, exponent


def name_text(name: Node) -> str:
    """A distinguished name as people read it: "CN=..., O=..., C=..."."""
    parts = []
    for rdn in name._is(0x30, "a Name").children():
        for pair in rdn.children():
            kind, value = _fields(pair, 2, "name")[:2]
            oid = kind.oid()
            codec = {0x1E: "utf-16-be", 0x1C: "utf-32-be", 0x14: "latin-1"}.get(value.tag, "utf-8")
            parts.append(f"{NAMES.get(oid, oid)}={value.content.decode(codec, 'replace')}")
    return printable(", ".join(parts))


def read_certificates(path: str) -> list[Certificate]:
    """Every certificate in a PEM file.

    :raise ValueError: none could be read.
    """
    with open(path, "rb") as handle:
        text = handle.read()
    blocks = [block.split(b"-----", 1)[0] for block in text.split(b"-----BEGIN CERTIFICATE-----")[1:]]
    try:  # binascii.Error, of a block that is not base64, is a ValueError
        found = [Certificate(base64.b64decode(b"".join(block.split()), validate=True)) for block in blocks]
    except (Malformed, ValueError) as exc:
        raise ValueError(f"{path}: not a readable certificate file ({exc})") from None
    if not found:
        raise ValueError(f"{path}: holds no PEM certificate")
    return found


# --- The timestamp --------------------------------------------------------------------------------

@dataclass
class Stamp:
    """What a checked timestamp says: when (the authority's clock), who signed it (the subject of
    its certificate), and whether that certificate was held to a CA (``chained``)."""

    time: datetime.datetime
    subject: str
    chained: bool


def _token(data: bytes) -> Node:
    """The TimeStampToken (a CMS ContentInfo), from a whole reply (TimeStampResp) or a bare token.

    :raise Invalid: the authority did not grant it.
    """
    top = _fields(parse(data), 1, "timestamp")
    if top[0].tag == 0x06:  # a ContentInfo: the token alone
        return parse(data)
    status = _fields(top[0], 1, "status")
    code = status[0].integer()
    if code not in (0, 1):
        said = "; ".join(printable(node.content.decode("utf-8", "replace"))
                         for extra in status[1:] if extra.tag == 0x30 for node in extra.children())
        name = STATUSES[code] if 0 <= code < len(STATUSES) else str(code)
        raise Invalid(f"the authority refused: status {name}" + (f" ({said})" if said else ""))
    if len(top) < 2:
        raise Malformed("a granted reply without a token")
    return top[1]


def _attributes(signed: Node) -> dict[str, Node]:
    found = {}
    for attribute in signed.children():
        kind, values = _fields(attribute, 2, "signed attribute")[:2]
        if kind.oid() in found or values.tag != 0x31 or len(values.children()) != 1:
            raise Malformed("a signed attribute twice or of several values")
        found[kind.oid()] = values.children()[0]
    return found


def _signer(certificates: list[Certificate], sid: Node, attributes: dict[str, Node]) -> Certificate:
    """The certificate that signed: named by the SignerInfo, and bound by its hash in the signed
    signingCertificate attribute (RFC 5816), so another certificate of the same key cannot stand in."""
    if sid.tag == 0x30:
        issuer, serial = _fields(sid, 2, "signer")[:2]
        named = [c for c in certificates if c.issuer == issuer.der and c.serial == serial.integer()]
    else:  # [0]: its subjectKeyIdentifier
        named = [c for c in certificates if SUBJECT_KEY_ID in c.extensions
                 and parse(c.extensions[SUBJECT_KEY_ID][1], 0x04).content == sid.content]
    if not named:
        raise Invalid("the token does not carry the certificate of the authority that signed it")
    version = SIGNING_CERTIFICATE_V2 if SIGNING_CERTIFICATE_V2 in attributes else SIGNING_CERTIFICATE
    if version not in attributes:
        raise Invalid("the token's signature does not name the authority's certificate (signingCertificate)")
    first = _fields(_fields(attributes[version], 1, "signingCertificate")[0], 1, "ESSCertID")[0]
    ess = _fields(first, 1, "ESSCertID")
    digest = "sha256" if version == SIGNING_CERTIFICATE_V2 else "sha1"  # v2's default, left out of DER
    if version == SIGNING_CERTIFICATE_V2 and ess[0].tag == 0x30:
        digest, ess = DIGESTS.get(_fields(ess[0], 1, "ESSCertIDv2")[0].oid(), "?"), ess[1:]
    if digest not in hashlib.algorithms_available or not ess:
        raise Invalid("the token names its certificate by a hash this check does not know")
    if hashlib.new(digest, named[0].der).digest() != ess[0].content:
        raise Invalid("the certificate in the token is not the one its signature names: it was replaced")
    return named[0]


def check(data: bytes, sha256: bytes, anchors: list[Certificate] | None = None, nonce: int | None = None) -> Stamp:
    """Check the timestamp ``data`` (a TimeStampResp or a TimeStampToken, DER) as a stamp of bytes
    whose SHA-256 is ``sha256``: that it stamps them, that its content is what the authority signed,
    that the signature is the certificate's, which must be for timestamping; with ``anchors``, that
    this certificate chains to one of them, every certificate valid at the stamped time; with
    ``nonce``, that the authority answered this request.

    :raise Invalid: with what is wrong.
    """
    try:
        return _check(data, sha256, anchors, nonce)
    except (Malformed, IndexError, ValueError, OverflowError) as exc:  # DER that parses into nonsense
        raise Invalid(f"not a readable RFC 3161 timestamp ({exc})") from None


def _check(data: bytes, sha256: bytes, anchors: list[Certificate] | None, nonce: int | None) -> Stamp:
    if len(data) > MAX_TOKEN:
        raise Malformed("far larger than any")
    token = _fields(_token(data), 2, "token")
    if token[0].oid() != SIGNED_DATA or token[1].tag != 0xA0:
        raise Malformed("not CMS signed data")
    signed = _fields(Node(data, token[1].start, token[1].end), 4, "signed data")
    content = _fields(signed[2], 2, "content")
    if content[0].oid() != TST_INFO or content[1].tag != 0xA0:
        raise Malformed("it carries no TSTInfo")
    octets = Node(data, content[1].start, content[1].end)._is(0x04, "an OCTET STRING")
    info = _fields(parse(octets.content), 5, "TSTInfo")
    imprint = _fields(info[2], 2, "message imprint")
    certificates = [Certificate(each.der) for bag in signed[3:-1] if bag.tag == 0xA0  # [0]: certificates
                    for each in bag.children() if each.tag == 0x30]
    signers = signed[-1]._is(0x31, "a SET").children()
    if len(signers) != 1:
        raise Malformed("not one signer")
    signer_info = _fields(signers[0], 5, "signer info")
    _version, sid, digest_algorithm, signed_attributes = signer_info[:4]
    if signed_attributes.tag != 0xA0:
        raise Malformed("its signature covers no signed attributes")
    algorithm, signature = signer_info[4:6]
    attributes = _attributes(_as_set(signed_attributes))
    digest = DIGESTS.get(_fields(digest_algorithm, 1, "digest algorithm")[0].oid())
    if digest is None or attributes.get(CONTENT_TYPE) is None or attributes[CONTENT_TYPE].oid() != TST_INFO:
        raise Malformed("an unknown digest or content type")
    signer = _signer(certificates + list(anchors or []), sid, attributes)
    if MESSAGE_DIGEST not in attributes or \
            hashlib.new(digest, octets.content).digest() != attributes[MESSAGE_DIGEST].content:
        raise Invalid("the stamped content (TSTInfo) was changed: it no longer matches the digest the authority signed")
    kind = _fields(algorithm, 1, "signature algorithm")[0].oid()
    if kind not in (RSA, *RSA_WITH) or signer.key is None:
        raise Invalid(f"signed with an algorithm this check does not know ({kind})")
    if not rsa_verify(signer.key, signature._is(0x04, "an OCTET STRING").content,
                      _as_set(signed_attributes).der, RSA_WITH.get(kind, digest)):
        raise Invalid("the authority's signature does not match: the token was altered after it was signed")
    if not signer.for_timestamping_only():
        raise Invalid(f"the certificate that signed it ({signer.subject_text}) is not a timestamping "
                      f"certificate (a critical extendedKeyUsage of timeStamping alone)")
    hashed = DIGESTS.get(_fields(imprint[0], 1, "message imprint")[0].oid())
    if hashed != "sha256" or imprint[1].content != sha256:
        raise Invalid("it stamps other bytes: its message imprint is not their SHA-256")
    when = _time(info[4])
    found = next((node.integer() for node in info[5:] if node.tag == 0x02), None)
    if nonce is not None and found != nonce:
        raise Invalid("the reply's nonce is not the request's: a replayed or misdirected reply")
    if anchors:
        _chain(signer, certificates, anchors, when)
    return Stamp(when, signer.subject_text, bool(anchors))


def _as_set(attributes: Node) -> Node:
    """The signed attributes as they were signed: under a SET's tag, not the [0] they are sent in."""
    return parse(b"\x31" + attributes.der[1:], 0x31)


def _chain(certificate: Certificate, pool: list[Certificate], anchors: list[Certificate],
           when: datetime.datetime) -> None:
    """:raise Invalid: ``certificate`` does not lead to an anchor, by issuers whose signatures hold
    and who may issue certificates, each valid at ``when``."""
    trusted = {anchor.der for anchor in anchors}
    for _step in range(MAX_CHAIN):
        if not certificate.not_before <= when <= certificate.not_after:
            raise Invalid(f"the certificate {certificate.subject_text} was not valid at the stamped time")
        if certificate.der in trusted:
            return
        issuer = next((c for c in anchors + pool if c.subject == certificate.issuer and certificate.signed_by(c)
                       and (c.der in trusted or c.is_ca())), None)
        if issuer is None:
            raise Invalid(f"the authority's certificate ({certificate.subject_text}) does not chain to the "
                          f"CA certificates given: another authority, or a forged certificate")
        certificate = issuer
    raise Invalid("the authority's certificate chain is longer than any this check follows")
