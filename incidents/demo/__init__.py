"""The demo data set: the Saratov case as reported in the press and fictional incidents around it.

Everything goes through the real services and workflow, so the demo also shows that they work:
each incident is entered by its author and moved to its state by a reviewer. Floor 2.5.
"""
from __future__ import annotations

import json
import os
import secrets

from flask_babel import gettext as _

from incidents import vocab, workflow
from incidents.accounts import credentials
from incidents.admin import organisation
from incidents.db import database
from incidents.models import Incident, User
from incidents.records import service
from incidents.shape import WRITABLE

DATA_FILE = os.path.join(os.path.dirname(__file__), "data.json")
# The organisation the demo's dossiers name as their author (a dossier without one says so in red).
ORGANISATION_FILE = os.path.join(os.path.dirname(__file__), "organisation.json")
DEMO_DOMAIN = "demo.invalid"
DEMO_ROLES = ("admin", "reviewer", "contributor", "lawyer", "researcher")
# Generous: a demo narrative must never be refused for length by a lowered setting.
MAX_TEXT = 100_000


def _comment(texts: dict | None) -> str:
    if not texts:
        return ""
    return "\n\n".join(texts[lang] for lang in ("en", "ru", "uk") if texts.get(lang))


def _users(echo) -> dict:
    people = {}
    echo(_("Demo users (passwords shown once):"))
    for role in DEMO_ROLES:
        password = secrets.token_urlsafe(12)
        user = credentials.create_user(f"{role}@{DEMO_DOMAIN}", role, None, f"Demo {role}")
        credentials.set_password(user, password, actor=user)
        people[role] = user
        echo(f"    {vocab.ROLE_LABELS[role]!s:<15} {user.email:<28} {password}")
    return people


def load_demo(echo=print) -> None:
    if User.select().where(User.email.endswith("@" + DEMO_DOMAIN)).exists():
        echo(_("The demo data set is loaded already."))
        return
    with open(DATA_FILE, encoding="utf-8") as handle:
        data = json.load(handle)
    # All or nothing: a demo loaded half-way would be mistaken for a loaded one on the next run.
    with database.atomic():
        _load(data, echo)


def _load(data: dict, echo) -> None:
    people = _users(echo)
    with open(ORGANISATION_FILE, encoding="utf-8") as handle:
        organisation.save(people["admin"], json.load(handle))
    facilities = {}
    for raw in data["facilities"]:
        fields = {k: v for k, v in raw.items() if k != "key"}
        # Distinct places by design, though two in one town may share a word of their names.
        facilities[raw["key"]] = service.create_facility(fields, people["contributor"], confirm_new=True)
    for raw in data["incidents"]:
        _load_incident(raw, facilities, people)
    echo(_("Loaded %(facilities)s facilities and %(incidents)s incidents.", facilities=len(facilities),
           incidents=len(data["incidents"])))


def _load_incident(raw: dict, facilities: dict, people: dict) -> None:
    author = people[raw["author"]]
    # Four eyes: whoever did not enter it reviews it.
    reviewer = people["admin"] if raw["author"] == "reviewer" else people["reviewer"]
    # A field the demo data does not give is left empty, as a form would leave it.
    fields = {k: raw.get(k) for k in WRITABLE if k != "facility"}
    fields["facility"] = facilities[raw["facility"]].id
    incident = service.create_incident(fields, author, max_text=MAX_TEXT)
    state, comment = raw["state"], _comment(raw.get("review_comment"))
    if state == "draft":
        return
    incident = workflow.transition(incident.id, author, "submit", version=incident.version)
    steps = {
        "in_review": [],
        "changes_requested": [("request_changes", comment)],
        "rejected": [("reject", comment)],
        "published": [("approve", "")],
        "retracted": [("approve", ""), ("retract", comment)],
        "published_with_pending_edit": [("approve", "")],
    }[state]
    for action, text in steps:
        incident = workflow.transition(incident.id, reviewer, action, comment=text, version=incident.version)
    if state == "published_with_pending_edit":
        version = Incident.get_by_id(incident.id).version
        service.update_incident(incident.id, dict(fields, **raw["pending_edit"]), author,
                                version=version, max_text=MAX_TEXT)
