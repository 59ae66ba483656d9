"""Validation of evidence input: links, file descriptions and provenance, for pages and API."""
from __future__ import annotations

import datetime
import os

from incidents import shape
from incidents.models import ACQUISITIONS, ORIGINALITY
from incidents.text import NAME_CONTROL
from incidents.validation import (
    Errors,
    clean_bool,
    clean_choice,
    clean_code,
    clean_fields,
    clean_known_date,
    clean_text,
    clean_texts,
)

MAX_FILENAME = 255


def clean_link(row: dict, prefix: str, errors: Errors) -> dict:
    """An evidence link's kind and address as the item form and the API send them (its description
    is provenance's, ``clean_provenance``: judged once, so said once)."""
    return clean_fields([field for field in shape.LINK if field.name in ("kind", "url")], row, prefix, errors)


def clean_provenance(data: dict, errors: Errors, today: datetime.date | None = None) -> dict:
    """Where an item came from, how and when, and what it claims to show."""
    today = today or datetime.date.today()
    return {
        "kind": clean_code("evidence_kinds", data.get("kind"), "kind", errors, required=True),
        "description": clean_text(data.get("description"), "description", errors, max_length=2000,
                                  multiline=True),
        "description_translations": clean_texts(_translations(data), "description_translations", errors,
                                                max_length=2000, multiline=True),
        "graphic": clean_bool(data.get("graphic"), "graphic", errors),
        "confidential": clean_bool(data.get("confidential"), "confidential", errors),
        "source": clean_text(data.get("source"), "source", errors, max_length=2000, multiline=True),
        "acquisition": clean_choice(data.get("acquisition") or "not_stated", ACQUISITIONS, "acquisition",
                                    errors),
        "received_on": clean_known_date(data.get("received_on"), "received_on", errors, today, since_1900=False),
        "original_location": clean_text(data.get("original_location"), "original_location", errors,
                                        max_length=2000),
        "captured_on": clean_known_date(data.get("captured_on"), "captured_on", errors, today, since_1900=False),
        "captured_place": clean_text(data.get("captured_place"), "captured_place", errors),
        "originality": clean_choice(data.get("originality") or "unknown", ORIGINALITY, "originality",
                                    errors),
    }


def _translations(data: dict):
    """The description in other languages: a mapping from the API, or the form's fields
    ``description_translations-ru``..."""
    if "description_translations" in data:
        return data["description_translations"]
    prefix = "description_translations-"
    return {key[len(prefix):]: value for key, value in data.items() if key.startswith(prefix)}


def form_flags(data: dict) -> dict:
    """Checkbox and multipart values ("true", "on", "1") as the booleans the checks expect."""
    data = dict(data)
    for flag in ("graphic", "confidential"):
        if isinstance(data.get(flag), str):
            data[flag] = data[flag].strip().lower() in ("1", "true", "yes", "on")
    return data


def safe_filename(name) -> str:
    """The uploaded file's name as metadata: no folders, no control characters, bounded length.

    It is never used to build a path; this only keeps what is shown and sent back harmless.
    """
    if not isinstance(name, str):
        return ""
    name = NAME_CONTROL.sub("", name).replace("\\", "/")
    name = os.path.basename(name).strip().lstrip(".") or ""
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        keep = MAX_FILENAME - len(extension) - 1 if dot and len(extension) < 16 else MAX_FILENAME
        name = (stem[:keep] + "." + extension) if dot and len(extension) < 16 else name[:MAX_FILENAME]
    return name
