"""Publishing pictures and video without exposing anyone (issue 16, point 1): faces proposed by a
detector in the sandbox, a reviewer's decision (boxes, or "publish unredacted" with a reason), the
public's copy made with the boxes destroyed, and no publication before the decision."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

import av
import numpy as np
import pytest
from PIL import Image

from incidents.errors import Conflict
from incidents.media import faces
from incidents.models import CustodyEvent, EvidenceItem, Incident, RedactionDecision
from tests.clips import FaceScene, Variant, astronaut, covered, film, likeness, same_place
from tests.factories import JPEG, attach_file, make_mp4, move, publish
from tests.helpers import bearer_headers

# Where the astronaut's face is in scikit-image's photograph (512 x 512).
FACE_CENTRE = (225, 110)


def redaction_of(client, item_id, user):
    answer = client.get(f"/api/v1/evidence/{item_id}/redaction", headers=bearer_headers(user))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def decide(client, item_id, user, body):
    return client.post(f"/api/v1/evidence/{item_id}/redaction", json=body, headers=bearer_headers(user))


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def test_a_face_in_a_picture_is_proposed_and_destroyed_in_the_public_copy(app, client, users, incident):
    """Does the detector propose the astronaut's face, and once a reviewer approved it, does the public
    see a copy (and a preview) in which the face is blocks of colour, the rest unchanged, while staff
    still download the original byte for byte? The decision is in the chain of custody."""
    original = astronaut()
    item = attach_file(app, incident, users["contributor"], original, "portrait.jpg")
    state = redaction_of(client, item.id, users["lawyer"])
    assert state["status"] == "proposed" and state["size"] == {"width": 512, "height": 512}
    assert len(state["proposed"]) == 1, state["proposed"]
    box = state["proposed"][0]
    assert box["x"] < FACE_CENTRE[0] < box["x"] + box["w"] and box["y"] < FACE_CENTRE[1] < box["y"] + box["h"]
    assert 90 <= box["w"] <= 260 and "start" not in box
    answer = decide(client, item.id, users["reviewer"], {"decision": "redact", "boxes": state["proposed"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["status"] == "decided" and answer.get_json()["approved"] == state["proposed"]
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer2"])

    shown = client.get(f"/evidence/{item.id}/media")
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    before, after = pixels(original), pixels(shown.data)
    face = (slice(box["y"], box["y"] + box["h"]), slice(box["x"], box["x"] + box["w"]))
    assert likeness(after[face], before[face]) < 0.3
    # Nothing else was touched (beyond a JPEG's re-encoding).
    outside = np.ones(before.shape[:2], dtype=bool)
    outside[face] = False
    assert np.abs(after - before)[outside].mean() < 4
    preview = client.get(f"/evidence/{item.id}/preview")
    assert preview.status_code == 200
    small = pixels(preview.data)
    scale = small.shape[1] / 512
    inner = (slice(int((box["y"] + 8) * scale), int((box["y"] + box["h"] - 8) * scale)),
             slice(int((box["x"] + 8) * scale), int((box["x"] + box["w"] - 8) * scale)))
    resized = np.asarray(Image.fromarray(before.astype(np.uint8)).resize(small.shape[1::-1]), dtype=np.int16)
    assert likeness(small[inner], resized[inner]) < 0.3
    staff = client.get(f"/evidence/{item.id}/download", headers=bearer_headers(users["lawyer"]))
    downloaded = client.get(f"/api/v1/evidence/{item.id}", headers=bearer_headers(users["lawyer"])).get_json()
    assert downloaded["sha256"] == hashlib.sha256(original).hexdigest()
    assert staff.status_code in (200, 302)
    events = list(CustodyEvent.select().where((CustodyEvent.item == item.id)
                                              & (CustodyEvent.action == "redaction_decided")))
    assert [(e.detail["decision"], e.detail["boxes"], e.actor_id) for e in events] == \
        [("redact", 1, users["reviewer"].id)]


def test_publication_waits_for_a_decision_on_each_public_picture_and_video(app, client, users, incident):
    """Is an approval refused, naming the items, while a public picture or video has no decision,
    and let through once each has one? A confidential picture and a document need none."""
    photo = attach_file(app, incident, users["contributor"], JPEG, "photo.jpg")
    clip = attach_file(app, incident, users["contributor"], make_mp4(), "clip.mp4")
    attach_file(app, incident, users["contributor"], JPEG + b"hidden", "secret.jpg", confidential=True)
    attach_file(app, incident, users["contributor"], b"%PDF-1.4 report\n", "report.pdf")
    move(incident, users["contributor"], "submit")
    with pytest.raises(Conflict) as refused:
        move(incident, users["reviewer"], "approve")
    assert f"items {photo.id}, {clip.id}." in str(refused.value.message)
    answer = client.post(f"/api/v1/incidents/{incident.id}/transitions", headers=bearer_headers(users["reviewer"]),
                         json={"action": "approve", "version": Incident.get_by_id(incident.id).version})
    assert answer.status_code == 409 and Incident.get_by_id(incident.id).status == "in_review"
    assert decide(client, photo.id, users["reviewer"], {"decision": "publish_unredacted",
                                                        "reason": "An empty cell: nobody is shown."}).status_code == 200
    with pytest.raises(Conflict):
        move(incident, users["reviewer"], "approve")
    box = {"x": 0, "y": 0, "w": 16, "h": 16, "start": 0, "end": 1}
    assert decide(client, clip.id, users["reviewer"], {"decision": "redact", "boxes": [box]}).status_code == 200
    assert move(incident, users["reviewer"], "approve").status == "published"
    assert client.get(f"/evidence/{clip.id}/media").status_code == 200


def test_who_sees_the_proposal_and_who_decides(app, client, users, incident, as_role):
    """Do staff see the proposal while the public and a contributor do not, and may only a reviewer who
    did not add the item decide (four eyes)?"""
    item = attach_file(app, incident, users["reviewer"], JPEG, "photo.jpg")
    assert client.get(f"/api/v1/evidence/{item.id}/redaction").status_code == 401
    assert client.get(f"/evidence/{item.id}/redaction").status_code in (302, 401, 404)
    assert client.get(f"/api/v1/evidence/{item.id}/redaction",
                      headers=bearer_headers(users["researcher"])).status_code == 404
    assert redaction_of(client, item.id, users["lawyer"])["status"] == "proposed"
    body = {"decision": "publish_unredacted", "reason": "A red square."}
    for role in ("reviewer", "lawyer", "contributor"):  # the uploader; not reviewers
        assert decide(client, item.id, users[role], body).status_code in (403, 404), role
    assert RedactionDecision.select().count() == 0
    assert decide(client, item.id, users["reviewer2"], body).status_code == 200
    page = as_role("reviewer").get(f"/evidence/{item.id}/redaction").get_data(as_text=True)
    assert "A reviewer who did not add this item decides" in page and 'name="decision"' not in page


@pytest.mark.parametrize("body", [
    {}, {"decision": "blur"}, {"decision": ["redact"]}, {"decision": "redact"}, {"decision": "redact", "boxes": []},
    {"decision": "redact", "boxes": "all"}, {"decision": "redact", "boxes": {"x": 1}},
    {"decision": "redact", "boxes": [{"x": 0, "y": 0, "w": 0, "h": 5}]},
    {"decision": "redact", "boxes": [{"x": 60, "y": 0, "w": 10, "h": 10}]},  # the picture is 64 x 48
    {"decision": "redact", "boxes": [{"x": -1, "y": 0, "w": 10, "h": 10}]},
    {"decision": "redact", "boxes": [{"x": True, "y": 0, "w": 10, "h": 10}]},
    {"decision": "redact", "boxes": [{"x": 1.5, "y": 0, "w": 10, "h": 10}]},
    {"decision": "redact", "boxes": [{"x": "<script>", "y": 0, "w": 10, "h": 10}]},
    {"decision": "redact", "boxes": [{"x": 0, "y": 0, "w": 10, "h": 10, "colour": "red"}]},
    {"decision": "redact", "boxes": [{"x": 0, "y": 0, "w": 10, "h": 10, "start": 1, "end": 2}]},
    {"decision": "redact", "boxes": [{"x": 0, "y": 0, "w": 10, "h": 10}] * 20_001},
    {"decision": "redact", "boxes": [None]},
    {"decision": "publish_unredacted"}, {"decision": "publish_unredacted", "reason": "   "},
    {"decision": "publish_unredacted", "reason": "Nobody.", "boxes": [{"x": 0, "y": 0, "w": 10, "h": 10}]},
    {"decision": "publish_unredacted", "reason": "Nobody \x1b[31mhere"},
    {"decision": "publish_unredacted", "reason": "x" * 2001},
    {"decision": "publish_unredacted", "reason": 12},
], ids=lambda body: json.dumps(body)[:60])
def test_nonsense_and_hostile_decisions_are_refused_and_nothing_is_recorded(app, client, users, incident, body):
    item = attach_file(app, incident, users["contributor"], JPEG, "photo.jpg")
    custody = CustodyEvent.select().count()
    answer = decide(client, item.id, users["reviewer"], body)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["error"]
    assert RedactionDecision.select().count() == 0 and CustodyEvent.select().count() == custody


def test_a_body_that_is_not_json_or_a_video_box_without_times_is_refused(app, client, users, incident):
    clip = attach_file(app, incident, users["contributor"], make_mp4(), "clip.mp4")
    headers = bearer_headers(users["reviewer"])
    assert client.post(f"/api/v1/evidence/{clip.id}/redaction", data="decision=redact", headers=headers,
                       content_type="application/x-www-form-urlencoded").status_code == 400
    for box in ({"x": 0, "y": 0, "w": 8, "h": 8}, {"x": 0, "y": 0, "w": 8, "h": 8, "start": 3, "end": 1},
                {"x": 0, "y": 0, "w": 8, "h": 8, "start": float("nan"), "end": 1}):
        answer = client.post(f"/api/v1/evidence/{clip.id}/redaction", headers=headers,
                             data=json.dumps({"decision": "redact", "boxes": [box]}).replace("NaN", '"NaN"'),
                             content_type="application/json")
        assert answer.status_code == 422, box
    document = attach_file(app, incident, users["contributor"], b"%PDF-1.4 report\n", "report.pdf")
    assert redaction_of(client, document.id, users["lawyer"])["status"] == "not_needed"
    assert decide(client, document.id, users["reviewer"], {"decision": "redact", "boxes": []}).status_code == 422
    assert RedactionDecision.select().count() == 0


def test_the_public_gets_no_copy_of_a_picture_that_has_no_decision(app, client, users, incident):
    """A picture published before decisions existed: the public gets its hash and description, but
    no copy and no preview until a reviewer decides."""
    photo = attach_file(app, incident, users["contributor"], JPEG, "photo.jpg")
    publish(incident, users["contributor"], users["reviewer"])
    RedactionDecision.delete().execute()  # as an item published before this release
    assert client.get(f"/api/v1/evidence/{photo.id}").status_code == 200
    assert client.get(f"/evidence/{photo.id}/media").status_code == 404
    assert client.get(f"/evidence/{photo.id}/preview").status_code == 404


def test_a_films_faces_are_tracked_and_destroyed_in_every_frame(app, client, users, incident):
    """Are two moving faces proposed as tracks through a clip, and once a reviewer approved them (and
    added an area the detector was not asked for), is each face destroyed in every frame of the
    public copy, which the detector then finds no face in?"""
    scene = FaceScene(5, faces=2, size=80)
    clip = attach_file(app, incident, users["contributor"], film(scene, 6, Variant(*scene.side), fps=10), "ward.mp4")
    state = redaction_of(client, clip.id, users["lawyer"])
    assert len({box["track"] for box in state["proposed"]}) == 2, state["proposed"]
    tag = {"x": 10, "y": 10, "w": 40, "h": 20, "start": 0, "end": 6}  # a name tag the reviewer saw
    answer = decide(client, clip.id, users["reviewer"], {"decision": "redact", "boxes": state["proposed"] + [tag]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    approved = answer.get_json()["approved"]
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer2"])
    public = client.get(f"/evidence/{clip.id}/media")
    assert public.status_code == 200 and public.mimetype == "video/mp4"
    shown = 0
    with av.open(io.BytesIO(public.data)) as container:
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            original = np.asarray(scene.frame(frame.time), dtype=np.int16)
            for x, y, w, h in scene.boxes(frame.time):
                hidden = faces.during(approved, frame.time)
                assert covered((x, y, w, h), hidden) > 0.97, (frame.time, (x, y, w, h), hidden)
                region = (slice(y, y + h), slice(x, x + w))
                assert likeness(rgb[region], original[region]) < 0.3
            assert not any(same_place(found, box) for found in faces.find(rgb) for box in scene.boxes(frame.time))
            shown += 1
    assert shown == 60


def test_the_page_keeps_proposed_faces_adds_a_missed_area_and_keeps_what_was_typed(app, users, incident,
                                                                                   as_role):
    """On the redaction page, with CSRF on: a reviewer unticks nothing, adds an area in a row and
    approves; a row typed wrong comes back with the error and the typed text, nothing recorded."""
    item = attach_file(app, incident, users["contributor"], astronaut(), "portrait.jpg")
    reviewer = as_role("reviewer")
    page = reviewer.get(f"/evidence/{item.id}/redaction?lang=ru")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Лицо 1" in text and f"/evidence/{item.id}/redaction/frames/0" in text
    assert reviewer.client.post(f"/evidence/{item.id}/redaction", data={"decision": "redact"}).status_code == 400
    wrong = reviewer.post(f"/evidence/{item.id}/redaction?lang=ru",
                          data={"decision": "redact", "keep": "1", "add-0-x": "abc", "add-0-y": "400",
                                "add-0-w": "60", "add-0-h": "30"})
    assert wrong.status_code == 422
    assert 'value="abc"' in wrong.get_data(as_text=True) and RedactionDecision.select().count() == 0
    done = reviewer.post(f"/evidence/{item.id}/redaction",
                         data={"decision": "redact", "keep": "1", "add-0-x": "280", "add-0-y": "400",
                               "add-0-w": "60", "add-0-h": "30"})
    assert done.status_code == 302
    decision = RedactionDecision.get()
    assert len(decision.boxes) == 2 and {"x": 280, "y": 400, "w": 60, "h": 30} in decision.boxes
    assert reviewer.get(f"/evidence/{item.id}/public-copy").status_code == 200
    assert as_role("researcher").get(f"/evidence/{item.id}/public-copy").status_code == 404


def test_a_public_bundle_carries_the_redacted_copy(app, client, users, incident):
    """Does a public dossier bundle carry the copy the decision made, named for its areas?"""
    photo = attach_file(app, incident, users["contributor"], astronaut(), "portrait.jpg")
    proposed = redaction_of(client, photo.id, users["lawyer"])["proposed"]
    decide(client, photo.id, users["reviewer"], {"decision": "redact", "boxes": proposed})
    publish(incident, users["contributor"], users["reviewer2"])
    answer = client.post("/api/v1/dossiers", headers=bearer_headers(users["lawyer"]),
                         json={"incident_ids": [incident.id], "redaction": "public", "include_files": True})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    bundle = zipfile.ZipFile(io.BytesIO(answer.data))
    digest = RedactionDecision.get().digest
    name = f"derivatives/{EvidenceItem.get_by_id(photo.id).stored_file_id}-{digest}.derivative.jpg"
    assert [n for n in bundle.namelist() if n.startswith("derivatives/")] == [name]
    assert bundle.read(name) == client.get(f"/evidence/{photo.id}/media").data


def test_a_new_decision_after_publication_is_not_answered_from_a_cache_of_the_old_copy(app, client, users,
                                                                                    incident):
    """Published as it is, then a reviewer decides to hide the face: does a visitor (or a proxy) that
    holds the first copy and asks whether it is still good get the new copy, not "not modified"?"""
    item = attach_file(app, incident, users["contributor"], astronaut(), "portrait.jpg")
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer2"])
    first = {kind: client.get(f"/evidence/{item.id}/{kind}") for kind in ("media", "preview")}
    assert all(answer.status_code == 200 and answer.headers["ETag"] for answer in first.values())
    answer = decide(client, item.id, users["reviewer"], {"decision": "redact", "boxes": [
        {"x": 150, "y": 30, "w": 160, "h": 170}]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    for kind, before in first.items():
        again = client.get(f"/evidence/{item.id}/{kind}", headers={"If-None-Match": before.headers["ETag"]})
        assert again.status_code == 200 and again.data != before.data, kind
        assert client.get(f"/evidence/{item.id}/{kind}",
                          headers={"If-None-Match": again.headers["ETag"]}).status_code == 304
