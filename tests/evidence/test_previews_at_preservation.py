"""Previews are asked of the worker when a file is preserved (upload or ingest), not when someone first
opens the item (issue 15, point 3): a reviewer opening a fresh item finds its preview ready."""
from __future__ import annotations

import io
import os

from incidents.evidence.previews import preview_path
from incidents.models import EvidenceItem, Job, StoredFile
from tests.factories import JPEG, make_mp4
from tests.helpers import hold_jobs, run_command


def previews_jobs() -> list[int]:
    return [job.arguments["item"] for job in Job.select().where(Job.kind == "previews").order_by(Job.id)]


def previewed(app, item: EvidenceItem) -> bool:
    return os.path.exists(preview_path(app.config["SETTINGS"].EVIDENCE_DIR, item.stored_file_id))


def test_an_upload_queues_its_previews_and_the_first_view_finds_them_made(app, client, users, incident, bearer,
                                                                          as_role):
    drain = hold_jobs(app)
    headers = bearer("contributor")
    for content, filename in ((JPEG, "photo.jpg"), (make_mp4(), "clip.mp4"), (b"%PDF-1.4 report\n", "report.pdf")):
        answer = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=headers,
                             content_type="multipart/form-data",
                             data={"kind": "160815201501", "file": (io.BytesIO(content), filename)})
        assert answer.status_code == 201, answer.get_data(as_text=True)
    photo, clip, report = EvidenceItem.select().where(EvidenceItem.stored_file.is_null(False)).order_by(EvidenceItem.id)
    # Nobody has opened them: the photo and the clip wait for the worker, the document needs nothing.
    assert previews_jobs() == [photo.id, clip.id]
    assert not previewed(app, photo)
    # The previews, the fingerprints (evidence/copies.py) and the search for faces (evidence/redaction.py)
    # of the photo and the clip.
    assert drain() == 6
    assert previewed(app, photo) and previewed(app, clip)
    page = as_role("contributor").get(f"/evidence/{photo.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page  # not "being prepared": ready
    assert len(previews_jobs()) == 2  # and opening it asked for nothing more


def test_an_ingest_queues_the_previews_of_the_items_it_creates(app, users, tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "cell.jpg").write_bytes(JPEG)
    (folder / "copy of cell.jpg").write_bytes(JPEG)  # the same bytes: no second item, no second job
    (folder / "list.txt").write_text("Список файлов")
    drain = hold_jobs(app)
    result = run_command(app, "ingest", str(folder), "--user", users["reviewer"].email)
    assert result.exit_code == 0, result.output
    photo = EvidenceItem.get(EvidenceItem.stored_file == StoredFile.get(StoredFile.media_type == "image/jpeg"))
    assert previews_jobs() == [photo.id]
    assert drain() == 3  # its previews, its fingerprint and its search for faces
    assert previewed(app, photo)
