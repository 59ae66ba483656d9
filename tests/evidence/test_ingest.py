"""Ingesting an archive: hashes, duplicates, refusals, and resuming after a real kill."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

from incidents.db import database
from incidents.models import AuditEvent, CustodyEvent, EvidenceItem, IngestBatch, IngestEntry, StoredFile
from tests.helpers import ROOT


@pytest.fixture
def archive(tmp_path):
    folder = tmp_path / "archive"
    (folder / "videos" / "2020").mkdir(parents=True)
    files = {"videos/2020/otb1.mp4": os.urandom(150_000), "videos/2020/Допрос №3.avi": os.urandom(90_000),
             "notes.txt": "Список файлов\n".encode()}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    (folder / "copy-of-otb1.mp4").write_bytes(files["videos/2020/otb1.mp4"])
    (folder / "empty.dat").write_bytes(b"")
    os.symlink("/etc/passwd", folder / "passwd-link")
    return folder, files


def test_ingest_preserves_every_file_once_and_says_what_it_refused(app, users, archive):
    """Does ingesting an archive keep every distinct file once, hashed and with its source, say which files
    it refused and why, and add nothing when run again?"""
    folder, files = archive
    result = app.test_cli_runner().invoke(args=["ingest", str(folder), "--user", users["reviewer"].email,
                                               "--source", "Former prisoner with IT access",
                                               "--received-on", "2021-10-01"])
    assert result.exit_code == 0, result.output
    assert "preserved as new evidence: 3" in result.output
    assert "duplicates within this archive: 1" in result.output
    assert "empty.dat: empty" in result.output and "passwd-link: a symbolic link" in result.output
    assert {s.sha256 for s in StoredFile.select()} == {hashlib.sha256(c).hexdigest() for c in files.values()}
    items = list(EvidenceItem.select())
    assert len(items) == 3 and all(i.incident_id is None and i.batch_id for i in items)
    assert {i.source for i in items} == {"Former prisoner with IT access"}
    assert IngestBatch.get().finished_at is not None and IngestEntry.select().count() == 4
    assert CustodyEvent.select().where(CustodyEvent.action == "hashed").count() == 3
    again = app.test_cli_runner().invoke(args=["ingest", str(folder), "--user", users["reviewer"].email])
    assert "preserved as new evidence: 0" in again.output and "already evidence here before: 3" in again.output
    assert EvidenceItem.select().count() == 3


def test_ingest_is_for_reviewers(app, users, archive):
    """Can a contributor ingest an archive?"""
    result = app.test_cli_runner().invoke(args=["ingest", str(archive[0]), "--user", users["contributor"].email])
    assert result.exit_code != 0 and not StoredFile.select().exists()


def test_unattached_ingested_items_are_for_staff_only(app, users, archive, as_role):
    """Can the public or a contributor see an ingested item that is not yet tied to an incident?"""
    app.test_cli_runner().invoke(args=["ingest", str(archive[0]), "--user", users["reviewer"].email])
    item = EvidenceItem.select().first()
    assert app.test_client().get(f"/evidence/{item.id}").status_code == 404
    assert as_role("contributor").get(f"/evidence/{item.id}").status_code == 404
    assert as_role("lawyer").get(f"/evidence/{item.id}").status_code == 200


def test_a_killed_ingest_resumes_without_rereading_or_duplicating(app, settings, users, tmp_path):
    """If an ingest is killed half-way, does running it again finish the job without duplicating files or
    leaving partial files in the spool?"""
    folder = tmp_path / "big"
    folder.mkdir()
    for index in range(120):
        (folder / f"clip-{index:03d}.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    env = dict(os.environ, INCIDENTS_INSTANCE_PATH=settings["INSTANCE_PATH"],
               INCIDENTS_DATABASE_URL=settings["DATABASE_URL"], INCIDENTS_SECRET_KEY="x", INCIDENTS_DATA_KEY=settings["DATA_KEY"])
    command = [sys.executable, "-m", "flask", "--app", "app", "ingest", str(folder), "--user",
               users["reviewer"].email]
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while IngestEntry.select().count() < 10 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = IngestEntry.select().count()
    assert 10 <= done_before < 120, "the first run was not stopped half-way"
    assert IngestBatch.get().finished_at is None
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"done by an earlier, interrupted run: {done_before}" in second.stdout
    assert f"preserved as new evidence: {120 - done_before}" in second.stdout
    database.close()
    database.connect()
    assert EvidenceItem.select().count() == 120 and StoredFile.select().count() == 120
    assert IngestEntry.select().count() == 120 and IngestBatch.select().count() == 1
    spool = os.path.join(settings["INSTANCE_PATH"], "evidence", "spool")
    assert len(os.listdir(spool)) <= 1  # at most the one file being written at the kill


def test_archive_items_are_browsed_and_tied_to_incidents(app, users, archive, as_role):
    """Can a reviewer browse an ingested archive (the read of its source audited) and tie its items to an
    incident, once each, without the file path leaking into the public description?"""
    from tests.factories import item_where, make_facility, make_incident
    app.test_cli_runner().invoke(args=["ingest", str(archive[0]), "--user", users["reviewer"].email,
                                       "--source", "Former prisoner"])
    batch = IngestBatch.get()
    reviewer = as_role("reviewer")
    listing = reviewer.get("/archive?lang=en").get_data(as_text=True)
    assert f"/archive/{batch.id}" in listing
    files = reviewer.get(f"/archive/{batch.id}?lang=en").get_data(as_text=True)
    assert "videos/2020/Допрос №3.avi" in files and "Former prisoner" in files
    # The batch page names the source: the read is audited.
    assert AuditEvent.select().where((AuditEvent.action == "evidence.view_confidential")
                                     & (AuditEvent.object_id == str(batch.id))).count() == 1
    # The path stays out of the description, which the public sees once the item is published.
    interrogation = item_where(original_location="videos/2020/Допрос №3.avi")
    assert interrogation.description == "" and interrogation.original_filename == "Допрос №3.avi"
    incident = make_incident(users["contributor"], make_facility(users["contributor"]))
    item = item_where(original_filename="copy-of-otb1.mp4")
    contributor = as_role("contributor")
    assert contributor.get(f"/evidence/{item.id}").status_code == 404  # not theirs to see yet
    response = reviewer.post(f"/evidence/{item.id}/assign", data={"incident": str(incident.id)})
    assert response.status_code == 302
    assert EvidenceItem.get_by_id(item.id).incident_id == incident.id
    assert contributor.get(f"/evidence/{item.id}").status_code == 200  # now part of their incident
    again = reviewer.post(f"/evidence/{item.id}/assign", data={"incident": str(incident.id)})
    assert again.status_code == 409
    other = item_where(original_filename="notes.txt")
    nonsense = reviewer.post(f"/evidence/{other.id}/assign", data={"incident": "not a number"})
    assert nonsense.status_code == 302 and EvidenceItem.get_by_id(other.id).incident_id is None


def _bytes_folder(tmp_path, names: dict[bytes, bytes]):
    """A folder holding files under these exact byte names (as an archive made on Windows or DOS)."""
    folder = tmp_path / "handed-over"
    folder.mkdir()
    for name, content in names.items():
        with open(os.path.join(os.fsencode(str(folder)), name), "wb") as handle:
            handle.write(content)
    return folder


def test_names_that_are_not_utf8_are_kept_byte_for_byte_shown_decoded_and_a_rerun_goes_on(app, users, tmp_path):
    """Are file names that are not UTF-8 kept byte for byte in the chain of custody, shown decoded, and
    resumed or recognised on a rerun?"""
    import base64
    names = {b"bad\xff\xfename.txt": b"cp1251", "Допрос.avi".encode("cp866"): b"cp866", b"x\xb0\xb1.bin": b"neither"}
    folder = _bytes_folder(tmp_path, names)
    command = ["ingest", str(folder), "--user", users["reviewer"].email]
    first = app.test_cli_runner().invoke(args=command)
    assert first.exit_code == 0, first.output
    assert "preserved as new evidence: 3" in first.output and "skipped: 0" in first.output
    shown = {i.original_filename: i for i in EvidenceItem.select()}
    assert set(shown) == {"badяюname.txt", "Допрос.avi", "x\ufffd\ufffd.bin"}
    for item in shown.values():
        received = CustodyEvent.get((CustodyEvent.item == item.id) & (CustodyEvent.action == "received"))
        raw = base64.b64decode(received.detail["path_bytes"])
        assert names[raw] == open(os.path.join(os.fsencode(str(folder)), raw), "rb").read()
        assert received.detail["path_read_as"] == {b"cp1251": "cp1251", b"cp866": "cp866",
                                                   b"neither": "replaced"}[names[raw]]
    IngestBatch.update(finished_at=None).execute()  # as if the run had been killed at its very end
    resumed = app.test_cli_runner().invoke(args=command)
    assert resumed.exit_code == 0, resumed.output
    assert "done by an earlier, interrupted run: 3" in resumed.output
    again = app.test_cli_runner().invoke(args=command)
    assert again.exit_code == 0 and "already evidence here before: 3" in again.output
    assert EvidenceItem.select().count() == 3 and IngestBatch.select().count() == 2


def test_a_source_typed_in_a_terminal_that_does_not_speak_utf8_is_read_not_a_crash(app, users, tmp_path):
    """Does a source or note typed in a terminal that is not UTF-8 get stored readably, without its control
    characters, instead of crashing the ingest?

    A CP1251 terminal's bytes reach the command as lone surrogates, which no column can store."""
    folder = _bytes_folder(tmp_path, {b"kept.txt": b"kept"})
    typed = os.fsdecode("Бывший заключённый".encode("cp1251"))
    result = app.test_cli_runner().invoke(args=["ingest", str(folder), "--user", users["reviewer"].email,
                                                "--source", typed, "--note", os.fsdecode(b"\xcf\xe0\xef\xea\xe0 \x1b[2J3")])
    assert result.exit_code == 0, result.output
    batch = IngestBatch.get()
    assert (batch.source, batch.note) == ("Бывший заключённый", "Папка [2J3")
    assert EvidenceItem.get().source == "Бывший заключённый"


def test_names_with_line_breaks_or_bidi_controls_neither_break_downloads_nor_spoof_extensions(app, users, tmp_path,
                                                                                              as_role):
    """Can a file name with a line break or a right-to-left control break a download or disguise its
    extension on a page?"""
    from tests.factories import make_facility, make_incident
    folder = _bytes_folder(tmp_path, {b"report\n2020.txt": b"a line break",
                                      "photo\u202egpj.exe".encode(): b"MZ an executable"})
    assert app.test_cli_runner().invoke(args=["ingest", str(folder), "--user", users["reviewer"].email]).exit_code == 0
    reviewer = as_role("reviewer")
    spoof = EvidenceItem.get(EvidenceItem.id == max(i.id for i in EvidenceItem.select()
                                                    if i.original_filename.startswith("photo")))
    broken = EvidenceItem.get(EvidenceItem.id != spoof.id)
    incident = make_incident(users["reviewer"], make_facility(users["reviewer"]))
    assert reviewer.post(f"/evidence/{spoof.id}/assign", data={"incident": str(incident.id)}).status_code == 302
    pages = [reviewer.get(path).get_data(as_text=True)
             for path in (f"/archive/{spoof.batch_id}", f"/evidence/{spoof.id}", f"/incidents/{incident.id}")]
    for page in pages:
        assert "\u202e" not in page and "photo\ufffdgpj.exe" in page
    for item, suggested in ((broken, "report_2020.txt"), (spoof, "photo_gpj.exe")):
        download = reviewer.get(f"/evidence/{item.id}/download")
        assert download.status_code == 200
        disposition = download.headers["Content-Disposition"]
        assert suggested in disposition and "\n" not in disposition and "%E2%80%AE" not in disposition
        assert CustodyEvent.select().where((CustodyEvent.item == item.id)
                                           & (CustodyEvent.action == "downloaded")).count() == 1


def test_a_download_or_viewing_of_an_original_missing_from_the_store_records_nothing(app, users, as_role):
    """When an original is missing from the store, is a download or viewing refused without being recorded
    in its chain of custody?

    An original gone from the store (a failing disk, an edit outside the app) is a 404, and the
    custody log does not claim it was downloaded or viewed."""
    from tests.factories import JPEG, attach_file, make_facility, make_incident
    item = attach_file(app, make_incident(users["contributor"], make_facility(users["contributor"])),
                       users["contributor"], JPEG + os.urandom(32), "photo.jpg")
    store = app.config["SETTINGS"].EVIDENCE_DIR
    os.unlink(os.path.join(store, "originals", item.stored_file_id[:2], item.stored_file_id[2:4], item.stored_file_id))
    before = CustodyEvent.select().where(CustodyEvent.item == item.id).count()
    reviewer = as_role("reviewer")
    assert reviewer.get(f"/evidence/{item.id}/download").status_code == 404
    assert reviewer.get(f"/evidence/{item.id}/media").status_code == 404
    assert CustodyEvent.select().where(CustodyEvent.item == item.id).count() == before


def test_a_file_swapped_for_a_symbolic_link_after_the_walk_is_not_followed(app, users, tmp_path, monkeypatch):
    """Can someone make the ingest read a file outside the folder by swapping a file for a symbolic link
    while it runs?"""
    from incidents.evidence import ingest
    from incidents.evidence.store import EvidenceStore
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_bytes(b"not handed over")
    folder = _bytes_folder(tmp_path, {b"harmless.txt": b"handed over", b"victim.txt": b"looked at"})
    walk = ingest._walk

    def walk_then_swap(root):
        for entry in walk(root):
            yield entry
            if entry[0] == "victim.txt":  # after its lstat, before it is opened
                os.unlink(entry[1])
                os.symlink(secret, entry[1])

    monkeypatch.setattr(ingest, "_walk", walk_then_swap)
    report = ingest.ingest(str(folder), users["reviewer"], EvidenceStore.from_settings(app.config["SETTINGS"]))
    stored = {s.sha256 for s in StoredFile.select()}
    assert hashlib.sha256(b"not handed over").hexdigest() not in stored
    assert stored == {hashlib.sha256(b"handed over").hexdigest()}
    assert [(path, str(why)) for path, why in report.refused] == [
        ("victim.txt", "replaced while the ingest ran (not followed)")]


def test_links_and_special_files_are_skipped_and_the_summary_says_why_in_the_users_language(app, users, tmp_path):
    """Are hard links, symbolic links and special files skipped, with the reason given in the user's
    language?"""
    outside = tmp_path / "elsewhere.txt"
    outside.write_bytes(b"a file outside the folder")
    folder = _bytes_folder(tmp_path, {b"kept.txt": b"kept"})
    os.link(outside, folder / "hard-link.txt")
    os.mkfifo(folder / "pipe")
    os.symlink(tmp_path, folder / "linked-folder")
    english = app.test_cli_runner().invoke(args=["ingest", str(folder), "--user", users["reviewer"].email])
    assert english.exit_code == 0, english.output
    assert "preserved as new evidence: 1" in english.output and "skipped: 3" in english.output
    assert "hard-link.txt: a hard link" in english.output and "pipe: not a regular file" in english.output
    assert "linked-folder: a symbolic link (not followed)" in english.output
    assert StoredFile.select().count() == 1
    for language, expected in (("ru", ("Сохранение", "пропущено: 3", "hard-link.txt: жёсткая ссылка")),
                               ("uk", ("Збереження", "пропущено: 3", "hard-link.txt: жорстке посилання"))):
        users["reviewer"].locale = language
        users["reviewer"].save()
        translated = app.test_cli_runner().invoke(args=["ingest", str(folder), "--user", users["reviewer"].email])
        assert all(text in translated.output for text in expected), translated.output


def test_a_folder_swapped_for_a_link_to_elsewhere_during_the_walk_is_not_followed(app, users, tmp_path, monkeypatch):
    """Can someone make the ingest read files outside the folder by swapping a subfolder for a symbolic
    link while it runs?"""
    from incidents.evidence import ingest
    from incidents.evidence.store import EvidenceStore
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_bytes(b"not handed over")
    folder = _bytes_folder(tmp_path, {b"harmless.txt": b"handed over"})
    (folder / "sub").mkdir()
    (folder / "sub" / "victim.txt").write_bytes(b"looked at")
    walk = os.walk

    def walk_then_swap(top, *args, **kwargs):
        for found in walk(top, *args, **kwargs):
            if found[0].endswith("sub"):  # listed, its files not yet looked at
                os.rename(found[0], found[0] + "-moved")
                os.symlink(outside, found[0])
            yield found

    monkeypatch.setattr(ingest.os, "walk", walk_then_swap)
    report = ingest.ingest(str(folder), users["reviewer"], EvidenceStore.from_settings(app.config["SETTINGS"]))
    assert {s.sha256 for s in StoredFile.select()} == {hashlib.sha256(b"handed over").hexdigest()}
    assert [(path, str(why)) for path, why in report.refused] == [
        ("sub/victim.txt", "replaced while the ingest ran (not followed)")]


def test_files_and_folders_that_cannot_be_read_are_skipped_and_named_as_unreadable(app, users, tmp_path, monkeypatch):
    """Are files and folders that cannot be read skipped and named as unreadable, without stopping the
    ingest?

    The tests run as root, who reads a mode-000 file, so the refusals are the system's, faked."""
    folder = _bytes_folder(tmp_path, {b"kept.txt": b"kept", b"locked.txt": b"no permission"})
    (folder / "closed").mkdir()
    (folder / "closed" / "inside.txt").write_bytes(b"never listed")
    real_open, real_scandir = os.open, os.scandir

    def refusing_open(path, *args, **kwargs):
        if os.fsdecode(path).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    def refusing_scandir(path="."):
        if os.fsdecode(path).endswith("closed"):
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "open", refusing_open)
    monkeypatch.setattr(os, "scandir", refusing_scandir)
    result = app.test_cli_runner().invoke(args=["ingest", str(folder), "--user", users["reviewer"].email])
    assert result.exit_code == 0, result.output
    assert "preserved as new evidence: 1" in result.output and "skipped: 2" in result.output
    assert "locked.txt: unreadable: Permission denied" in result.output
    assert "closed: unreadable: Permission denied" in result.output
    assert {s.sha256 for s in StoredFile.select()} == {hashlib.sha256(b"kept").hexdigest()}
