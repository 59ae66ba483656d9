"""The organisation profile: who submits the dossiers, set by administrators.

Every dossier, public or confidential, names the organisation as the author of the communication,
with its address, contact and the consent statement it uses, and never a member of staff. The
logo is decoded in the sandbox (``media/``), like any file from outside: what is kept is a PNG the
app encodes itself from the bare pixels, so no metadata or hostile content of the upload passes.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from incidents import audit, i18n, policy
from incidents.config import LANGUAGES
from incidents.db import database
from incidents.errors import Conflict, Forbidden, ValidationFailed
from incidents.media import sandbox
from incidents.models import OrganisationProfile, utcnow
from incidents.validation import MAX_URL, Errors, clean_text, clean_url

MAX_NAME, MAX_ADDRESS, MAX_CONSENT = 300, 1000, 5000
# What an administrator may send: a logo is a small picture, not a scan of a poster.
LOGO_MAX_BYTES = 1_000_000
# The formats the sandbox's decoder opens, by their first bytes: anything else (SVG, which can
# carry scripts, an HTML page renamed .png) is refused before any decoder sees it.
LOGO_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"))
LOGO_SIDE = 600  # the decoder's bound too (media/decoders.py LOGO_SIDE)
LOGO_LIMITS = sandbox.Limits(seconds=30, cpu=30, memory=1024 * 1024 * 1024, file_size=8 * 1024 * 1024)
PHONE = re.compile(r"\+?[0-9 ()./-]{3,40}")
# The fields the form sets, which an audit event shows before and after when they change.
FIELDS = ("names", "address", "email", "phone", "website", "consent")


@dataclass(frozen=True)
class Submitter:
    """The profile as a dossier carries it (``as_data``) and a layout reads it."""

    names: dict
    address: str
    email: str
    phone: str
    website: str
    consent: dict
    logo: bool

    def as_data(self) -> dict:
        return {"names": dict(self.names), "address": self.address, "email": self.email, "phone": self.phone,
                "website": self.website, "consent": dict(self.consent), "logo": self.logo}


# The profile is one row, always with this id: two first saves at the same moment cannot make two.
PROFILE_ID = 1


def current() -> OrganisationProfile | None:
    return OrganisationProfile.select().order_by(OrganisationProfile.id).first()


def logo_of(profile: OrganisationProfile | None) -> bytes | None:
    """The kept logo's PNG as bytes (PostgreSQL hands a BYTEA column back as a memoryview)."""
    return bytes(profile.logo) if profile is not None and profile.logo is not None else None


def submitter() -> tuple[Submitter | None, bytes | None]:
    """The organisation as every dossier names it, and its logo's PNG; (None, None) while no
    administrator has set the profile."""
    profile = current()
    if profile is None:
        return None, None
    return Submitter(dict(profile.names), profile.address, profile.email, profile.phone, profile.website,
                     dict(profile.consent), profile.logo is not None), logo_of(profile)


def _email(value, errors: Errors) -> str:
    email = clean_text(value, "email", errors, max_length=254)
    if email and ("@" not in email or any(c.isspace() for c in email) or email.startswith("@")
                  or email.endswith("@")):
        errors.add("email", _l("Enter a valid e-mail address."))
    return email


def _phone(value, errors: Errors) -> str:
    phone = clean_text(value, "phone", errors, max_length=40)
    if phone and not PHONE.fullmatch(phone):
        errors.add("phone", _l("A telephone number holds digits, spaces, brackets, dashes and a leading +."))
    return phone


def _website(value, errors: Errors) -> str:
    website = clean_text(value, "website", errors, max_length=MAX_URL)
    return clean_url(website, "website", errors) if website and "website" not in errors else website


def _per_language(data, name: str, errors: Errors, max_length: int, multiline: bool) -> dict:
    """One text per language (``name_en``, ``name_ru``...), each required: a dossier in any of them
    must name the organisation in its own language."""
    texts = {}
    for language in LANGUAGES:
        key = f"{name}_{language}"
        texts[language] = clean_text(data.get(key), key, errors, required=True, max_length=max_length,
                                     multiline=multiline)
    return texts


def clean(data) -> dict:
    """The profile's fields from a form or JSON body.

    :raise ValidationFailed: naming every field that is wrong.
    """
    errors = Errors()
    values = {
        "names": _per_language(data, "name", errors, MAX_NAME, False),
        "address": clean_text(data.get("address"), "address", errors, required=True, max_length=MAX_ADDRESS,
                              multiline=True),
        "email": _email(data.get("email"), errors),
        "phone": _phone(data.get("phone"), errors),
        "website": _website(data.get("website"), errors),
        "consent": _per_language(data, "consent", errors, MAX_CONSENT, True),
    }
    if not any(values[name] for name in ("email", "phone", "website")) and "email" not in errors:
        errors.add("email", _l("Give at least one way to reach the organisation: e-mail, telephone or website."))
    errors.raise_if_any()
    return values


def _logo_refused(message) -> ValidationFailed:
    return ValidationFailed(message, {"logo": [message]})


def read_logo(upload: bytes, scratch: str) -> bytes:
    """A PNG of the picture ``upload`` holds, made from its pixels alone.

    :raise ValidationFailed: not a PNG or JPEG picture, larger than LOGO_MAX_BYTES, or one the
        sandboxed decoder could not read (a broken file, or one whose header announces more pixels
        than a logo has); or no sandbox to decode it in.
    """
    if len(upload) > LOGO_MAX_BYTES:
        raise _logo_refused(_l("The logo is too large: at most %(size)s.", size=i18n.format_size(LOGO_MAX_BYTES)))
    if not any(upload.startswith(signature) for signature, _format in LOGO_SIGNATURES):
        raise _logo_refused(_l("The logo must be a PNG or JPEG picture."))
    os.makedirs(scratch, mode=0o700, exist_ok=True)
    work = tempfile.mkdtemp(prefix="logo-", dir=scratch)
    try:
        working_copy = os.path.join(work, "upload")
        with open(working_copy, "wb") as handle:
            handle.write(upload)
        outcome = sandbox.run("logo", "image", working_copy, work, LOGO_LIMITS)
        try:
            pixels = _pixels(outcome)
        finally:
            sandbox.discard(outcome)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if outcome.reason == "no sandbox":
        raise _logo_refused(_l("Pictures cannot be checked on this server: its decoder sandbox is not available."))
    if pixels is None:
        raise _logo_refused(_l("This file could not be read as a picture, or it is far larger than a logo."))
    from PIL import Image  # only here: encoding pixels the app checked, never parsing a file
    width, height, raw = pixels
    buffer = io.BytesIO()
    Image.frombytes("RGBA", (width, height), raw).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _pixels(outcome: sandbox.Outcome) -> tuple[int, int, bytes] | None:
    """(width, height, RGBA bytes) the decoder wrote, only when they are exactly what it said."""
    width, height = outcome.result.get("width"), outcome.result.get("height")
    if not outcome.ok or outcome.result.get("file") != "logo.rgba" or not all(
            isinstance(side, int) and not isinstance(side, bool) and 0 < side <= LOGO_SIDE for side in (width, height)):
        return None
    handle = sandbox.open_output(os.path.join(outcome.out_dir, "logo.rgba"))
    if handle is None:
        return None
    with handle:
        raw = handle.read(width * height * 4 + 1)
    return (width, height, raw) if len(raw) == width * height * 4 else None


def save(actor, data, *, logo: bytes | None = None, remove_logo: bool = False,
         scratch: str | None = None) -> OrganisationProfile:
    """Set the profile from ``data``; ``logo``: the bytes of a new logo, as uploaded, decoded in the
    folder ``scratch`` (which a new logo needs).

    :raise Forbidden: not an administrator. :raise ValidationFailed: any field, or the logo.
    :raise Conflict: another administrator's first save came at the same moment.
    """
    if not policy.can_manage_organisation(actor):
        raise Forbidden(_l("Only administrators set the organisation profile."))
    values = clean(data)
    png = read_logo(logo, scratch) if logo else None
    try:
        return _save(actor, values, png, remove_logo)
    except IntegrityError:  # another administrator's first save came first
        raise Conflict(_l("Someone else saved the profile at the same moment. Reload the page and check it "
                          "before saving again.")) from None


def _save(actor, values: dict, png: bytes | None, remove_logo: bool) -> OrganisationProfile:
    with database.atomic():
        found = current()
        created = found is None
        profile = found or OrganisationProfile(id=PROFILE_ID)
        # Before and after of each field that changed, and the hashes of the logos: the trail
        # keeps what the organisation said of itself and of consent, and when, and who changed it.
        changes = {name: {"old": None if created else getattr(profile, name), "new": values[name]}
                   for name in FIELDS if created or getattr(profile, name) != values[name]}
        if png or (remove_logo and profile.logo is not None):
            changes["logo"] = {"old": _digest(logo_of(profile)), "new": _digest(png)}
            profile.logo = png
        for name, value in values.items():
            setattr(profile, name, value)
        profile.updated_at, profile.updated_by = utcnow(), actor
        profile.save(force_insert=created)
        audit.record(actor, "organisation.update", profile, created=created, changes=changes)
    return profile


def _digest(png: bytes | None) -> str | None:
    return hashlib.sha256(png).hexdigest() if png else None
