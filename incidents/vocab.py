"""Controlled vocabularies and their translations.

Each vocabulary is a JSON file in ``incidents/vocabularies/``: terms with a code, the HURIDOCS
code they file under, a parent and labels per language. Terms are data, not interface
strings, so their labels live beside them rather than in the gettext catalogs; the small
fixed lists below (roles, precisions, consent) are interface strings and go through gettext.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache

from flask_babel import lazy_gettext as _l

from incidents import shape

VOCAB_DIR = os.path.join(os.path.dirname(__file__), "vocabularies")
VOCABULARIES = ("abuse", "perpetrators", "violation_status", "evidence_kinds", "facility_types",
                "responses")
FALLBACK_LANGUAGE = "en"
# The vocabularies an incident holds several terms of (the rest are single codes or lists elsewhere).
TERM_VOCABULARIES = tuple(field.vocabulary for field in shape.TERM_FIELDS)


@dataclass(frozen=True)
class Term:
    code: str
    huridocs: str | None  # None for local terms no HURIDOCS list has
    parent: str | None
    selectable: bool
    local: bool
    labels: dict
    depth: int

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels[FALLBACK_LANGUAGE]


@cache
def _load(name: str) -> tuple[Term, ...]:
    if name not in VOCABULARIES:  # never open a file named by a caller
        raise KeyError(name)
    with open(os.path.join(VOCAB_DIR, name + ".json"), encoding="utf-8") as handle:
        raw = json.load(handle)["terms"]
    depth: dict[str, int] = {}
    terms = []
    for item in raw:
        depth[item["code"]] = depth[item["parent"]] + 1 if item["parent"] else 0
        terms.append(Term(item["code"], item["huridocs"], item["parent"], item["selectable"],
                          item.get("local", False), item["labels"], depth[item["code"]]))
    return tuple(terms)


def all_terms(name: str) -> tuple[Term, ...]:
    """Every term of a vocabulary, headings included, in display order."""
    return _load(name)


@cache
def _index(name: str) -> dict[str, Term]:
    return {term.code: term for term in _load(name)}


def get(name: str, code: str) -> Term | None:
    return _index(name).get(code)


def is_selectable(name: str, code: str) -> bool:
    """True when ``code`` is a term a record may carry (headings may not)."""
    term = get(name, code)
    return term is not None and term.selectable


def label(name: str, code: str | None, language: str) -> str:
    """The term's label in ``language``; the code itself when the term is unknown."""
    if not code:
        return ""
    term = get(name, code)
    return term.label(language) if term else code


def choices(name: str, language: str) -> list[tuple[str, str]]:
    """(code, label) pairs of selectable terms, indented under their headings."""
    return [(t.code, "\u2003" * max(t.depth - 1, 0) + t.label(language))
            for t in _load(name) if t.selectable]


def grouped_choices(name: str, language: str) -> list[tuple[str, str, list[tuple[str, str, int]]]]:
    """(heading code, heading label, selectable terms) per top-level heading, for checkbox lists."""
    groups: list[tuple[str, str, list[tuple[str, str, int]]]] = []
    for term in _load(name):
        if term.depth == 0:
            groups.append((term.code, term.label(language), []))
            if not term.selectable:
                continue
        groups[-1][2].append((term.code, term.label(language), term.depth))
    return groups


# The group a form opens first: torture and ill-treatment, what most records are about.
PRIMARY_GROUPS = {"abuse": "030000000000", "perpetrators": "010000000000"}


# Fixed lists of the domain, translated through the catalogs.
DATE_PRECISION_LABELS = {
    "day": _l("Exact day"),
    "month": _l("Month known"),
    "year": _l("Year known"),
    "circa": _l("Approximate (circa)"),
}
PERSON_ROLE_LABELS = {
    "victim": _l("Victim"),
    "witness": _l("Witness"),
    "perpetrator": _l("Alleged perpetrator"),
    "informant": _l("Informant"),
}
SEX_LABELS = {
    "unknown": _l("Unknown"),
    "male": _l("Male"),
    "female": _l("Female"),
    "other": _l("Other"),
}
CONSENT_LABELS = {
    "none": _l("No consent to publication"),
    "anonymised": _l("Anonymised publication"),
    "named": _l("Publication under own name"),
}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "in_review": _l("In review"),
    "published": _l("Published"),
    "rejected": _l("Rejected"),
    "retracted": _l("Retracted"),
}
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "reviewer": _l("Reviewer"),
    "contributor": _l("Contributor"),
    "lawyer": _l("Lawyer"),
    "researcher": _l("Researcher"),
}
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "uk": "Українська"}
FIELD_LABELS = {field.name: field.label for field in shape.INCIDENT}
EVIDENCE_FIELD_LABELS = {
    "file": _l("File"),
    "url": _l("Link"),
    "kind": _l("Kind"),
    "description": _l("Description"),
    "description_translations": _l("Description in other languages"),
    "graphic": _l("Graphic content"),
    "confidential": _l("Confidential"),
    "source": _l("Source (confidential)"),
    "acquisition": _l("How it was obtained"),
    "received_on": _l("Received on"),
    "original_location": _l("Original location (link or platform)"),
    "captured_on": _l("Claimed date of capture"),
    "captured_place": _l("Claimed place of capture"),
    "originality": _l("Original or copy"),
}
# An evidence description's translations, as the incident form's link rows ask for them.
TRANSLATION_LABELS = next(field.prompt for field in shape.LINK if field.name == "description_translations")
ACQUISITION_LABELS = {
    "not_stated": _l("Not stated"),
    "leak_handover": _l("Handed over from a leak"),
    "direct_upload": _l("Uploaded directly"),
    "capture_app": _l("Recorded with a capture app"),
    "platform_download": _l("Downloaded from a platform"),
    "other": _l("Other"),
}
ORIGINALITY_LABELS = {
    "original": _l("Original"),
    "copy": _l("Copy"),
    "unknown": _l("Not known"),
}
CUSTODY_LABELS = {
    "received": _l("Received"),
    "hashed": _l("Hashed"),
    "viewed": _l("Viewed"),
    "downloaded": _l("Downloaded"),
    "exported": _l("Exported"),
    "verified": _l("Verified"),
    "detached": _l("Detached: the edit that brought it was rejected"),
    "left_out": _l("Detached: left out of an edit of the incident"),
    "withdrawn": _l("Withdrawn from the incident"),
    "verification_confirmed": _l("Verification confirmed"),
    "redaction_decided": _l("Decided what the public copy hides"),
}
# What a re-hash of the store found (evidence/fixity.py), in a "verified" custody event.
FIXITY_LABELS = {
    "ok": _l("the file is intact"),
    "changed": _l("the file has changed"),
    "missing": _l("the file is missing"),
}
ASSESSMENT_PART_LABELS = {
    "source": _l("Source: provenance and credibility"),
    "technical": _l("Technical: metadata and signs of editing"),
    "content": _l("Content: place, time and corroboration"),
}
ASSESSMENT_OUTCOME_LABELS = {
    "consistent": _l("Consistent"),
    "inconclusive": _l("Inconclusive"),
    "inconsistent": _l("Inconsistent"),
    "not_verifiable": _l("Could not be verified"),
}
VERIFICATION_LABELS = {
    "unassessed": _l("Not assessed yet"),
    "in_progress": _l("Verification in progress"),
    "verified": _l("Verified"),
    "unverifiable": _l("Could not be verified"),
    "disputed": _l("Found inconsistent"),
}
