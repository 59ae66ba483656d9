"""Knowing the same video when it comes back (issue 16, point 3): perceptual fingerprints made in the
sandbox when an original is preserved, copies found through them, and listed only among items the
reader may see."""
from __future__ import annotations

import numpy as np
import pytest

from incidents.evidence import likeness
from incidents.models import EvidenceItem, Fingerprint, Likeness
from tests.clips import Scene, Variant, film, picture
from tests.factories import attach_file, make_facility, make_incident, publish
from tests.helpers import hold_jobs, run_command

SECONDS = 20


@pytest.fixture(scope="module")
def original():
    return film(Scene(1), SECONDS)


def fingerprint_of(item_id: int) -> tuple[np.ndarray, np.ndarray]:
    row = Fingerprint.get_by_id(EvidenceItem.get_by_id(item_id).stored_file_id)
    return likeness.as_array(bytes(row.hashes)), np.frombuffer(bytes(row.seconds), dtype=np.float32)


def attached(app, users, content: bytes, filename: str, incident=None):
    author = users["contributor"]
    incident = incident or make_incident(author, make_facility(author))
    return attach_file(app, incident, author, content, filename)


@pytest.mark.parametrize("variant, offset", [
    (Variant(crf=38), 0), (Variant(width=176, height=144), 0), (Variant(crop=0.04), 0), (Variant(logo=True), 0),
    (Variant(dark=0.5), 0), (Variant(start=6, end=17), 6),
    (Variant(start=3, crop=0.03, logo=True, width=240, height=180, crf=33), 3),
], ids=["bitrate", "smaller", "cropped", "logo", "darker", "trimmed", "all-at-once"])
def test_a_re_encoded_copy_is_found_at_its_offset(app, client, users, as_role, original, variant, offset):
    """Is a copy re-encoded at a worse bitrate, resized, cropped by a few percent, marked with a
    channel's logo, darkened or trimmed (or all of it) listed as a likely copy of the original, at
    the time offset where the two align, on both items?"""
    first = attached(app, users, original, "clip.mp4")
    second = attached(app, users, film(Scene(1), SECONDS, variant), "repost.mp4")
    staff = as_role("reviewer")
    found = staff.get(f"/api/v1/evidence/{second.id}/similar").get_json()["items"]
    assert [row["id"] for row in found] == [first.id], found
    assert found[0]["offset_seconds"] == pytest.approx(offset, abs=1.0) and 0.5 <= found[0]["score"] <= 1.0
    back = staff.get(f"/api/v1/evidence/{first.id}/similar").get_json()["items"]
    assert [row["id"] for row in back] == [second.id]
    assert back[0]["offset_seconds"] == pytest.approx(-offset, abs=1.0)


def test_other_films_and_other_people_in_the_same_room_are_not_copies(app, users, as_role, original):
    """Are a different film, and a film of the same unchanging room with other people moving in it,
    left out? Frames of one room are alike; only a copy's moments line up."""
    first = attached(app, users, original, "clip.mp4")
    other = attached(app, users, film(Scene(2), SECONDS), "other.mp4")
    room = Scene(1)
    room.figures = Scene(9).figures
    same_room = attached(app, users, film(room, SECONDS), "same-room.mp4")
    staff = as_role("reviewer")
    for item in (first, other, same_room):
        assert staff.get(f"/api/v1/evidence/{item.id}/similar").get_json()["items"] == []
    assert Likeness.select().count() == 0
    assert Fingerprint.select().count() == 3


def test_a_picture_and_its_copies(app, users, as_role):
    """Is a photo found again resized, re-compressed and with a logo, and another photo not?"""
    scene = Scene(4)
    first = attached(app, users, picture(scene), "photo.jpg")
    copy = attached(app, users, picture(scene, Variant(width=200, height=150, logo=True), quality=40), "copy.jpg")
    other = attached(app, users, picture(Scene(5)), "other.jpg")
    staff = as_role("reviewer")
    assert [row["id"] for row in staff.get(f"/api/v1/evidence/{copy.id}/similar").get_json()["items"]] == [first.id]
    assert staff.get(f"/api/v1/evidence/{other.id}/similar").get_json()["items"] == []


def test_only_items_the_reader_may_see_are_named(app, client, users, as_role, original):
    """Does a contributor asking about a published clip learn nothing of another author's unpublished
    copy, nor of the same bytes in that author's draft, while staff see both? An unpublished item
    is as missing to the contributor as one that does not exist, and visitors are not answered."""
    author, other_author = users["contributor"], users["reviewer2"]
    public_incident = make_incident(author, make_facility(author))
    shown = attach_file(app, public_incident, author, original, "clip.mp4")
    publish(public_incident, author, users["reviewer"])
    drafts = make_incident(other_author, make_facility(other_author))
    hidden = attach_file(app, drafts, other_author, film(Scene(1), SECONDS, Variant(crf=35)), "hidden.mp4")
    same_bytes = attach_file(app, drafts, other_author, original, "again.mp4")
    contributor = as_role("contributor")
    assert contributor.get(f"/api/v1/evidence/{shown.id}/similar").get_json() == {"items": []}
    assert contributor.get(f"/api/v1/evidence/{hidden.id}/similar").status_code == 404
    assert client.get(f"/api/v1/evidence/{shown.id}/similar").status_code == 401
    page = contributor.get(f"/evidence/{shown.id}").get_data(as_text=True)
    assert f"/evidence/{hidden.id}\"" not in page and f"/evidence/{same_bytes.id}\"" not in page
    staff = {row["id"] for row in as_role("reviewer").get(f"/api/v1/evidence/{shown.id}/similar").get_json()["items"]}
    assert staff == {hidden.id, same_bytes.id}


def test_the_item_page_lists_copies_in_russian(app, users, as_role, original):
    """Does a reviewer's page of an item, in Russian, list the copy with its likeness and where the two
    align, and link to it?"""
    first = attached(app, users, original, "clip.mp4")
    second = attached(app, users, film(Scene(1), SECONDS, Variant(start=6, end=17)), "repost.mp4")
    page = as_role("reviewer").get(f"/evidence/{first.id}?lang=ru").get_data(as_text=True)
    assert "Вероятные копии" in page and f'href="/evidence/{second.id}"' in page
    assert "тот начинается на 0:06 этого" in page


def test_fingerprints_are_made_once_per_original_and_each_item_compared_once(app, users, original):
    """Does the same file attached twice get one fingerprint, each item compared once, and a job run
    again change nothing?"""
    from incidents.jobs.service import submit
    first = attached(app, users, original, "clip.mp4")
    second = attached(app, users, original, "clip-again.mp4")
    assert Fingerprint.select().count() == 1
    hashes, seconds = fingerprint_of(first.id)
    assert len(hashes) == SECONDS and list(seconds[:3]) == [0.0, 1.0, 2.0]
    when = {item.id: EvidenceItem.get_by_id(item.id).compared_at for item in (first, second)}
    assert all(when.values())
    with app.app_context():
        submit("fingerprint", {"item": first.id})
    assert EvidenceItem.get_by_id(first.id).compared_at == when[first.id] and Fingerprint.select().count() == 1
    assert Likeness.select().count() == 0  # the same bytes are one original, not a likeness


@pytest.mark.parametrize("held_by_worker", [False, True], ids=["compared-at-once", "worker-waiting"])
def test_an_ingest_says_how_many_files_are_copies_of_stored_items(app, users, original, tmp_path, held_by_worker):
    """Does the ingest command say how many of the pictures and videos it preserved are likely copies of
    others held (here a re-encoded repost of a clip already attached, not an unrelated film), in
    Russian for a Russian-speaking operator, whether or not a job worker got to them first?"""
    attached(app, users, original, "clip.mp4")
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "repost.mp4").write_bytes(film(Scene(1), SECONDS, Variant(crf=35, width=240, height=180)))
    (folder / "other.mp4").write_bytes(film(Scene(2), SECONDS))
    (folder / "notes.txt").write_text("Опись")
    users["reviewer"].locale = "ru"
    users["reviewer"].save()
    drain = hold_jobs(app) if held_by_worker else None
    result = run_command(app, "ingest", str(folder), "--user", users["reviewer"].email)
    assert result.exit_code == 0, result.output
    assert "вероятные копии изображений или видео, уже хранящихся здесь (перекодированные, уменьшенные, " \
           "обрезанные): 1" in result.output, result.output
    if drain:
        drain()  # the worker's own comparisons then find them done
    assert Likeness.select().count() == 2  # the pair, both ways
