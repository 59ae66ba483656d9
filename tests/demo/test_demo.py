"""The demo data set loads through the real workflow, with the Saratov case published."""
from __future__ import annotations

from incidents.accounts import credentials
from incidents.models import Incident, PublishedIncident, User


def test_demo_loads_every_state_and_prints_passwords(app, client):
    """Does the demo command load a user of every role (naming each), incidents in every state including a
    pending edit, and the Saratov case published and findable, and can it be run a second time?"""
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert {u.role for u in User.select()} == {"admin", "reviewer", "contributor", "lawyer", "researcher"}
    for user in User.select():
        # Each demo user's line names the account and the password it was given, once.
        line = next(line for line in result.output.splitlines() if user.email in line)
        assert credentials.authenticate(user.email, line.split()[-1], testing=True) == user
    statuses = {i.status for i in Incident.select()}
    assert statuses == {"draft", "in_review", "published", "rejected", "retracted"}
    assert Incident.select().count() >= 20
    assert Incident.select().where(Incident.published_revision.is_null(False)
                                   & (Incident.status == "draft")).exists()  # a pending edit
    saratov = PublishedIncident.get(PublishedIncident.region == "RU-SAR")
    assert "030502000000" in saratov.public_data["abuse"]
    assert client.get(f"/incidents?facility={saratov.facility_id}&lang=ru").status_code == 200
    loaded = Incident.select().count()
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0 and "loaded already" in again.output
    assert Incident.select().count() == loaded
