"""How a file or link was obtained is "not stated" until someone states it: in the form, the API,
``flask ingest`` and the model alike."""
from __future__ import annotations

from incidents.models import EvidenceItem, IngestBatch
from tests.helpers import selected


def test_the_evidence_form_starts_at_not_stated_and_unknown(as_role, incident):
    """Does the form that attaches a file start with "how obtained" not stated and "original or copy"
    unknown?"""
    html = as_role("contributor").get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert selected(html, "acquisition") == ["not_stated"]
    assert selected(html, "originality") == ["unknown"]


def test_an_api_item_sent_without_acquisition_is_not_stated(client, bearer, incident):
    """Is an item created through the API without ``acquisition`` recorded as not stated?"""
    response = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=bearer("contributor"),
                           json={"kind": "220904051501", "url": "https://example.org/x"})
    assert response.status_code == 201
    assert EvidenceItem.get_by_id(response.get_json()["id"]).acquisition == "not_stated"


def test_the_stated_values_are_still_accepted(client, bearer, incident):
    """Is an item sent with one of the earlier values still recorded with it?"""
    response = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=bearer("contributor"),
                           json={"kind": "220904051501", "url": "https://example.org/x", "acquisition": "leak_handover"})
    assert EvidenceItem.get_by_id(response.get_json()["id"]).acquisition == "leak_handover"


def test_ingest_without_the_option_records_not_stated(app, users, tmp_path):
    """Does ``flask ingest`` without ``--acquisition`` record the archive and its files as not stated?"""
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "a.txt").write_bytes("Список\n".encode())
    result = app.test_cli_runner().invoke(args=["ingest", str(folder), "--user", users["reviewer"].email])
    assert result.exit_code == 0, result.output
    assert IngestBatch.get().acquisition == "not_stated"
    assert [item.acquisition for item in EvidenceItem.select().where(EvidenceItem.batch.is_null(False))] \
        == ["not_stated"]


def test_the_models_default_is_not_stated():
    """Does an item or a batch made with no acquisition given default to not stated?"""
    assert EvidenceItem.acquisition.default == IngestBatch.acquisition.default == "not_stated"
