"""The custody log of a confidential bundle: stable codes for programs, their words for people."""
from __future__ import annotations

import csv
import io
import zipfile

from incidents.accounts import credentials
from tests.factories import attach_file, make_facility, make_incident, publish


def test_the_custody_log_keeps_codes_and_names_them_in_the_dossiers_language(app, users):
    """Does a Ukrainian confidential bundle's custody log keep each action's code and give, beside it,
    its name in Ukrainian (received, hashed, exported)?"""
    incident = make_incident(users["contributor"], make_facility(users["contributor"]))
    attach_file(app, incident, users["contributor"])
    publish(incident, users["contributor"], users["reviewer"])
    token = credentials.issue_api_token(users["lawyer"])
    response = app.test_client().post("/api/v1/dossiers", headers={"Authorization": f"Bearer {token}"},
                                      json={"incident_ids": [incident.id], "include_files": True, "lang": "uk",
                                            "redaction": "confidential"})
    assert response.status_code == 200
    text = zipfile.ZipFile(io.BytesIO(response.data)).read("custody-log.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    labels = {row["action"]: row["action_label"] for row in rows}
    assert labels["received"] == "Отримано" and labels["hashed"]
    assert all(label and not label.isascii() for label in labels.values()), labels
