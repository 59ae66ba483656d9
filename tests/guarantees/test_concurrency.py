"""No lost data: saves that race are decided by the database, one wins and the other is told so;
a process killed in the middle of its work leaves nothing half-written."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from incidents import audit
from incidents.accounts import credentials
from incidents.db import database
from incidents.models import Incident, PublishedCount, PublishedIncident, Revision
from tests.factories import make_facility, make_incident
from tests.helpers import ROOT


def test_two_people_saving_at_once_one_wins_the_other_is_told(live_server, users):
    """When two people save the same incident at the same moment, does exactly one save win, with its
    revision, and is the other told to reload?

    Real requests on two connections, released together, many times over."""
    facility = make_facility(users["contributor"])
    incident = make_incident(users["contributor"], facility)
    people = {"reviewer": users["reviewer"], "reviewer2": users["reviewer2"]}
    tokens = {name: credentials.issue_api_token(user) for name, user in people.items()}
    database.close()  # the server's threads use their own connections; this test's would hold a lock
    for round_ in range(8):
        version = requests.get(f"{live_server}/api/v1/incidents/{incident.id}", timeout=30,
                               headers={"Authorization": f"Bearer {tokens['reviewer']}"}).json()["version"]
        barrier, answers = threading.Barrier(2), {}

        def save(name, version=version, round_=round_, barrier=barrier, answers=answers):
            body = {"version": version, "narrative": {"ru": f"Правка {round_} от {name}"}}
            barrier.wait()
            answers[name] = requests.patch(f"{live_server}/api/v1/incidents/{incident.id}", json=body, timeout=60,
                                           headers={"Authorization": f"Bearer {tokens[name]}"})

        threads = [threading.Thread(target=save, args=(name,)) for name in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        codes = sorted(answer.status_code for answer in answers.values())
        assert codes == [200, 409], codes
        loser = next(a for a in answers.values() if a.status_code == 409)
        assert "reload" in loser.json()["error"]["message"]
        winner = next(name for name, a in answers.items() if a.status_code == 200)
        database.connect(reuse_if_open=True)
        saved = Incident.get_by_id(incident.id)
        assert saved.version == version + 1 and saved.narrative["ru"] == f"Правка {round_} от {winner}"
        assert Revision.select().where(Revision.incident == incident).count() == version + 1
        database.close()


WORKER = r"""
import sys
from incidents import create_app, workflow
from incidents.db import database
from incidents.models import Incident, User
from incidents.records import service
from incidents.revisions import snapshot
app = create_app({"INSTANCE_PATH": sys.argv[1], "DATABASE_URL": sys.argv[2], "SECRET_KEY": "k",
                  "DATA_KEY": sys.argv[3], "TESTING": True})
with app.app_context():
    database.connect()
    author, reviewer = User.get(User.role == "contributor"), User.get(User.role == "reviewer")
    print("ready", flush=True)
    turn = 0
    while True:  # edit, submit and approve the same incidents over and over, until killed
        for incident in Incident.select():
            turn += 1
            data = snapshot(incident)
            data["narrative"]["ru"] = f"Правка {turn}"
            edited = service.update_incident(incident.id, data, author, version=incident.version, max_text=20000)
            submitted = workflow.transition(incident.id, author, "submit", version=edited.version)
            workflow.transition(incident.id, reviewer, "approve", version=submitted.version)
"""


@pytest.mark.skipif(os.environ.get("INCIDENTS_TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="kills a process writing to the SQLite file")
def test_a_process_killed_in_the_middle_of_transitions_leaves_the_database_whole(app, settings, users):
    """If a process is killed in the middle of edits and transitions, is each save whole, the audit chain
    intact, and the public projection, search index and counts in agreement?"""
    facility = make_facility(users["contributor"])
    for _ in range(4):
        make_incident(users["contributor"], facility)
    database.close()
    for attempt in range(3):
        worker = subprocess.Popen([sys.executable, "-c", WORKER, settings["INSTANCE_PATH"], settings["DATABASE_URL"],
                                   settings["DATA_KEY"]],
                                  cwd=ROOT, stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=ROOT))
        assert worker.stdout.readline().strip() == b"ready"
        time.sleep(0.5 + 0.35 * attempt)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        database.connect(reuse_if_open=True)
        assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert audit.verify() is None
        # Each save is whole: its version, its revision and its audit event, or none of them.
        for incident in Incident.select():
            numbers = [r.number for r in incident.revisions.order_by(Revision.number)]
            assert numbers == list(range(1, len(numbers) + 1))
            assert incident.narrative["ru"] == Revision.get((Revision.incident == incident)
                                                            & (Revision.number == numbers[-1])).snapshot["narrative"]["ru"]
        # The public projection, its search index and its counts agree with each other.
        published = {row.incident_id for row in PublishedIncident.select()}
        assert published == {i.id for i in Incident.select().where(Incident.published_revision.is_null(False))}
        assert PublishedCount.get(dimension="total").count == len(published)
        assert database.execute_sql("SELECT count(*) FROM published_search").fetchone()[0] == len(published)
        database.close()
