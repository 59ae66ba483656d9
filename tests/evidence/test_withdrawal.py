"""Withdrawing a file attached by mistake (issue 14, point 5): before publication it leaves the
incident, the original stays in the store, and the chain of custody says who withdrew it and why."""
from __future__ import annotations

import os

import pytest

from incidents.models import AuditEvent, CustodyEvent, EvidenceItem, Incident, PublishedIncident, StoredFile
from tests.factories import JPEG, attach_file, publish

REASON = "Не тот файл: это видео из другого дела"


@pytest.fixture
def mistaken(app, users, incident):
    return attach_file(app, incident, users["contributor"], JPEG + b"wrong", "wrong.jpg")


def original_path(app, item) -> str:
    sha = item.stored_file_id
    return os.path.join(app.config["SETTINGS"].EVIDENCE_DIR, "originals", sha[:2], sha[2:4], sha)


def test_a_file_withdrawn_with_a_reason_leaves_the_incident_and_stays_preserved(app, users, as_role, incident,
                                                                                   mistaken):
    """Does the author, after a confirmation page in Russian whose safe way out comes first, withdraw a
    wrongly attached file with a reason: off the incident and its next publication, the original
    still in the store, its custody log naming who withdrew it, from where and why?"""
    contributor = as_role("contributor")
    version = Incident.get_by_id(incident.id).version
    assert f'href="/evidence/{mistaken.id}/withdraw"' in contributor.get(
        f"/evidence/{mistaken.id}").get_data(as_text=True)
    asking = contributor.get(f"/evidence/{mistaken.id}/withdraw?lang=ru").get_data(as_text=True)
    assert "Отозвать этот материал из" in asking and "wrong.jpg" in asking
    assert asking.index("Отмена: оставить") < asking.index('type="submit" class="danger"')
    assert EvidenceItem.get_by_id(mistaken.id).incident_id == incident.id  # asking changes nothing

    done = contributor.post(f"/evidence/{mistaken.id}/withdraw", data={"reason": REASON})
    assert done.status_code == 302
    item = EvidenceItem.get_by_id(mistaken.id)
    assert item.incident_id is None and StoredFile.get_by_id(item.stored_file_id)
    assert os.path.exists(original_path(app, item))
    event = CustodyEvent.select().where((CustodyEvent.item == item.id)
                                        & (CustodyEvent.action == "withdrawn")).get()
    assert (event.actor_id, event.detail["incident"], event.detail["reason"]) == (
        users["contributor"].id, incident.id, REASON)
    assert AuditEvent.select().where(AuditEvent.action == "evidence.withdraw").exists()
    assert Incident.get_by_id(incident.id).version == version + 1
    assert "wrong.jpg" not in contributor.get(f"/incidents/{incident.id}").get_data(as_text=True)

    publish(incident, users["contributor"], users["reviewer"])
    public = PublishedIncident.get(PublishedIncident.incident == incident.id).public_data
    assert item.id not in [e.get("id") for e in public.get("evidence", [])]
    page = as_role("reviewer").get(f"/evidence/{item.id}?lang=ru").get_data(as_text=True)
    assert "Отозван из инцидента" in page and REASON in page


def test_the_page_needs_csrf_and_a_reason(as_role, incident, mistaken):
    """Is withdrawing from the page refused without a CSRF token, and without a reason (said beside
    the reason's field, the item kept on the incident)?"""
    contributor = as_role("contributor")
    assert contributor.client.post(f"/evidence/{mistaken.id}/withdraw",
                                   data={"reason": REASON}).status_code == 400
    refused = contributor.post(f"/evidence/{mistaken.id}/withdraw?lang=ru", data={"reason": "  "})
    assert refused.status_code == 422 and 'id="reason-error"' in refused.get_data(as_text=True)
    assert EvidenceItem.get_by_id(mistaken.id).incident_id == incident.id
    assert not CustodyEvent.select().where(CustodyEvent.action == "withdrawn").exists()


@pytest.mark.parametrize("reason", [None, "", 42, ["a"], "x" * 2001, "тот\x00файл", "\u202eфайл"])
def test_the_api_refuses_a_missing_or_unusable_reason(client, bearer, incident, mistaken, reason):
    """Is a withdrawal through the API without a usable reason (none, a number, a list, too long, a
    control character) a 422 on "reason", with nothing changed?"""
    body = {} if reason is None else {"reason": reason}
    answer = client.post(f"/api/v1/evidence/{mistaken.id}/withdraw", json=body, headers=bearer("contributor"))
    assert answer.status_code == 422 and "reason" in answer.get_json()["error"]["fields"]
    assert EvidenceItem.get_by_id(mistaken.id).incident_id == incident.id


def test_the_api_withdraws_and_answers_with_the_item(client, bearer, incident, mistaken):
    """Does the API withdraw with a reason and answer with the item, now on no incident?"""
    answer = client.post(f"/api/v1/evidence/{mistaken.id}/withdraw", json={"reason": REASON},
                         headers=bearer("contributor"))
    assert answer.status_code == 200 and answer.get_json()["incident"] is None
    assert answer.get_json()["sha256"] == mistaken.stored_file_id
    again = client.post(f"/api/v1/evidence/{mistaken.id}/withdraw", json={"reason": REASON},
                        headers=bearer("contributor"))
    assert again.status_code == 404  # off the incident: nothing left to withdraw, for its author


@pytest.mark.parametrize("role", ["researcher", "lawyer"])
def test_those_who_may_not_edit_the_incident_cannot_withdraw(client, bearer, as_role, incident, mistaken, role):
    """Can nobody who may not edit the incident withdraw its files, by page or API?"""
    answer = client.post(f"/api/v1/evidence/{mistaken.id}/withdraw", json={"reason": REASON},
                         headers=bearer(role))
    assert answer.status_code in (403, 404)
    page = as_role(role).get(f"/evidence/{mistaken.id}/withdraw")
    assert page.status_code in (403, 404)
    assert EvidenceItem.get_by_id(mistaken.id).incident_id == incident.id


def test_a_published_file_is_not_withdrawn_before_the_incident_is_retracted(client, bearer, as_role, users,
                                                                          incident, mistaken):
    """Once the file is public with the incident, is withdrawing refused with the way to do it
    (retract first), by the API (409) and on the page (no withdraw button, a plain message)?"""
    publish(incident, users["contributor"], users["reviewer"])
    answer = client.post(f"/api/v1/evidence/{mistaken.id}/withdraw", json={"reason": REASON},
                         headers=bearer("admin"))
    assert answer.status_code == 409 and "retract" in answer.get_json()["error"]["message"]
    admin = as_role("admin")
    assert f"/evidence/{mistaken.id}/withdraw" not in admin.get(f"/evidence/{mistaken.id}").get_data(as_text=True)
    page = admin.get(f"/evidence/{mistaken.id}/withdraw?lang=uk").get_data(as_text=True)
    assert "спершу" in page and 'class="danger"' not in page
    assert EvidenceItem.get_by_id(mistaken.id).incident_id == incident.id
