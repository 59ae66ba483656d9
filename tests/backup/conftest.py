"""Fixtures shared by the backup tests of both engines."""
from __future__ import annotations

import os

import pytest

from incidents.evidence.previews import ensure_previews
from tests.factories import JPEG, attach_file, make_facility, make_incident, move, publish

BACKUP_KEY = "5eed" * 16
LEGAL_NAME = "Осечкин Владимир Валерьевич"
CONTACT = "Telegram @nightjar_contact_7731"
SOURCE = "Insider in the FSIN IT department, codename NIGHTJAR"
FILE_BYTES = os.urandom(4096)


@pytest.fixture
def settings(settings):
    return {**settings, "BACKUP_KEY": BACKUP_KEY}


@pytest.fixture
def filled(app, users):
    """Incidents in several states with confidential persons, files with a confidential source."""
    author, reviewer = users["contributor"], users["reviewer"]
    place = make_facility(author)
    person = {"role": "informant", "pseudonym": "N.", "legal_name": LEGAL_NAME, "contact": CONTACT,
              "consent": "none"}
    draft = make_incident(author, place, persons=[person])
    published = make_incident(author, place)
    publish(published, author, reviewer)
    rejected = make_incident(author, place)
    move(rejected.id, author, "submit")
    move(rejected.id, reviewer, "reject", comment="Not enough to go on.")
    photo = attach_file(app, draft, author, JPEG, "photo.jpg", source=SOURCE)
    attach_file(app, published, author, FILE_BYTES, "leak.bin", source=SOURCE, confidential=True)
    root = app.config["SETTINGS"].EVIDENCE_DIR
    sha256 = photo.stored_file.sha256
    assert ensure_previews(root, os.path.join(root, "originals", sha256[:2], sha256[2:4], sha256), sha256,
                           "image/jpeg")
    return {"published": published}


