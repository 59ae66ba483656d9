"""A process killed with SIGKILL in the middle of an upload or an ingest leaves the database whole
and nothing half-written in the evidence store; doing the same again finishes the work, once.

Each child stops at one exact point, set up by its own patches and announced on its stdout, and is
killed there: every window is hit on every run, without timing luck and without test hooks in the
application.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import select
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest

from incidents import audit
from incidents.accounts import credentials
from incidents.db import database
from incidents.evidence.store import EvidenceStore
from incidents.models import (
    AuditEvent,
    CustodyEvent,
    EvidenceItem,
    Incident,
    IngestBatch,
    IngestEntry,
    Revision,
    StoredFile,
)
from tests.factories import make_facility, make_incident
from tests.helpers import ROOT

pytestmark = pytest.mark.skipif(os.environ.get("INCIDENTS_TEST_DATABASE_URL", "").startswith("postgres"),
                                reason="kills processes writing to the SQLite file")

PAUSE = r"""
import os, sys, time

def pause(point):
    print(point, flush=True)  # the test kills this process as soon as it reads this line
    time.sleep(120)
"""

# A real HTTP server with the app, stopping (in the request's thread) at the point named by argv[1].
SERVER = PAUSE + r"""
from werkzeug.serving import make_server
from incidents import audit, create_app
from incidents.evidence import service
from incidents.evidence.store import EvidenceStore

point = sys.argv[1]
if point == "renaming":  # the spool is whole, hashed and synced; its rename into the store is next
    rename = os.replace
    def replace(source, target):
        if os.sep + "originals" + os.sep in target:
            pause(point)
        return rename(source, target)
    os.replace = replace
elif point == "stored":  # the original is in the store; the database knows nothing of it yet
    commit = EvidenceStore.commit
    def stored(self, spool, durable=True):
        commit(self, spool, durable)
        pause(point)
    EvidenceStore.commit = stored
elif point == "uncommitted":  # the item, its custody, the revision and the audit event are written, not committed
    record = audit.record
    def recorded(actor, action, obj=None, **detail):
        entry = record(actor, action, obj, **detail)
        if action == "evidence.attach":
            pause(point)
        return entry
    audit.record = recorded
elif point == "committed":  # committed; the answer is not sent yet
    attach = service.attach_file
    def attached(*args, **kwargs):
        attach(*args, **kwargs)
        pause(point)
    service.attach_file = attached
server = make_server("127.0.0.1", 0, create_app(), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""

# The `flask ingest` command, stopping at the point named by argv[1]; the rest of argv is the command's.
INGEST = PAUSE + r"""
import itertools
from flask.cli import main
from incidents.evidence import ingest, store

point = sys.argv[1]
if point == "copying":  # the one file larger than a chunk is half-way into its spool, in the first group
    write_at = store._write_at
    def write(spool, direct, chunk, offset):
        write_at(spool, direct, chunk, offset)
        if offset:
            pause(point)
    store._write_at = write
elif point == "recording":  # the first group committed; 50 files of the second preserved, not committed
    preserve_one, calls = ingest._preserve_one, itertools.count(1)
    def preserve(*args):
        preserve_one(*args)
        if next(calls) == 250:
            pause(point)
    ingest._preserve_one = preserve
elif point == "finishing":  # every group committed; the batch not yet marked finished
    store.EvidenceStore.sync = staticmethod(lambda: pause(point))
sys.argv = ["flask", "--app", "app", "ingest", *sys.argv[2:]]
main()
"""

UPLOAD_POINTS = ("streaming", "renaming", "stored", "uncommitted", "committed")
INGEST_POINTS = ("copying", "recording", "finishing")
DAY = 24 * 3600


def child_env(settings) -> dict:
    """The test app's settings for a child process, so both read and write the same data."""
    return dict(os.environ, PYTHONPATH=ROOT, **{f"INCIDENTS_{name}": str(value) for name, value in settings.items()})


def read_line(process, log) -> str:
    """The child's next line on stdout; fails with its stderr if it does not come."""
    ready, _w, _x = select.select([process.stdout], [], [], 60)
    line = process.stdout.readline().decode().strip() if ready else ""
    assert line, f"the child said nothing; its stderr:\n{log.read_text()[-3000:]}"
    return line


def kill(process) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def sha256_of(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def spools(store: EvidenceStore) -> list[str]:
    folder = store.spool_dir
    return [os.path.join(folder, name) for name in os.listdir(folder)] if os.path.isdir(folder) else []


def age(paths) -> None:
    """Make files look left behind a day ago: the store removes only spools no upload can still own."""
    past = time.time() - DAY - 60
    for path in paths:
        os.utime(path, (past, past))


def assert_consistent(store: EvidenceStore) -> set[str]:
    """Everything the database says is stored is stored whole, and nothing partial is an original.

    Returns the originals no row names yet: whole files, renamed into place just before a kill;
    the next upload or ingest of the same bytes adopts them instead of storing them again.
    """
    database.connect(reuse_if_open=True)
    assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    assert audit.check().broken is None
    on_disk = {}
    for folder, _dirs, names in os.walk(store.originals):
        for name in names:
            path = os.path.join(folder, name)
            assert re.fullmatch("[0-9a-f]{64}", name) and path == store.path_for(name), f"not an original: {path}"
            assert sha256_of(path) == name, f"an original that is not whole: {path}"
            assert not stat.S_IMODE(os.stat(path).st_mode) & 0o222
            on_disk[name] = os.path.getsize(path)
    rows = {stored.sha256: stored.size for stored in StoredFile.select()}
    assert {sha: on_disk.get(sha) for sha in rows} == rows, "a stored file without its original"
    for item in EvidenceItem.select().where(EvidenceItem.stored_file.is_null(False)):
        custody = [(event.action, event.sha256) for event in item.custody.order_by(CustodyEvent.id)]
        assert custody[:2] == [("received", item.stored_file_id), ("hashed", item.stored_file_id)]
        if item.batch_id is None:  # an upload is audited with its item; an ingest per batch
            assert AuditEvent.select().where((AuditEvent.action == "evidence.attach")
                                             & (AuditEvent.object_id == str(item.id))).exists()
    for incident in Incident.select():  # an attachment's new version came with its revision, or neither
        numbers = [r.number for r in incident.revisions.order_by(Revision.number)]
        assert numbers == list(range(1, incident.version + 1))
    assert set(os.listdir(store.root)) <= {"originals", "spool", "previews", "work"}
    assert all(os.path.basename(path).startswith("spool-") for path in spools(store))
    return set(on_disk) - set(rows)


def multipart(incident_id: int, port: int, token: str, content: bytes) -> tuple[bytes, bytes]:
    """An upload as raw HTTP: (everything before the file's bytes, everything after them)."""
    boundary = "crash-test-boundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n160815201501\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="otb1.mp4"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    request = (f"POST /api/v1/incidents/{incident_id}/evidence HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
               f"Content-Length: {len(head) + len(content) + len(tail)}\r\nConnection: close\r\n\r\n").encode()
    return request + head, tail


@pytest.mark.parametrize("point", UPLOAD_POINTS)
def test_an_upload_killed_anywhere_leaves_nothing_half_written_and_a_retry_stores_it_once(
        app, settings, users, tmp_path, point):
    """If the server is killed at any point of an upload, are the database and the evidence store left
    whole, with no partial file taken for an original, and does a retry store the file once?"""
    incident = make_incident(users["contributor"], make_facility(users["contributor"]))
    token = credentials.issue_api_token(users["contributor"])
    version = incident.version
    content = os.urandom(2 * 1024 * 1024)
    sha = hashlib.sha256(content).hexdigest()
    store = EvidenceStore.from_settings(app.config["SETTINGS"])
    log = tmp_path / "server.log"
    database.close()  # the server writes; this test only looks once it is dead
    with open(log, "wb") as errors:
        server = subprocess.Popen([sys.executable, "-c", SERVER, point], cwd=ROOT, env=child_env(settings),
                                  stdout=subprocess.PIPE, stderr=errors, bufsize=0)
    try:
        port = int(read_line(server, log))
        before, after = multipart(incident.id, port, token, content)
        with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
            if point == "streaming":  # half the file sent, the rest held back: the server is mid-body
                connection.sendall(before + content[: len(content) // 2])
                deadline = time.monotonic() + 30
                while sum(map(os.path.getsize, spools(store))) < len(content) // 4 and time.monotonic() < deadline:
                    time.sleep(0.01)
            else:
                connection.sendall(before + content + after)
                assert read_line(server, log) == point
            kill(server)
    finally:
        if server.poll() is None:
            kill(server)

    orphans = assert_consistent(store)
    items = [i.stored_file_id for i in EvidenceItem.select().where(EvidenceItem.stored_file.is_null(False))]
    assert items == ([sha] if point == "committed" else [])
    assert Incident.get_by_id(incident.id).version == version + (point == "committed")
    assert orphans == ({sha} if point in ("stored", "uncommitted") else set())
    left = spools(store)
    if point == "streaming":
        assert len(left) == 1 and 0 < os.path.getsize(left[0]) < len(content)
    elif point == "renaming":  # whole, but still a spool: never taken for an original
        assert len(left) == 1 and os.path.getsize(left[0]) == len(content) and sha256_of(left[0]) == sha
    else:
        assert left == []

    # The client never had an answer and sends the same file again; spools of the killed server,
    # once old enough that no upload can still own them, go with the next upload.
    age(left)
    retry = app.test_client().post(f"/api/v1/incidents/{incident.id}/evidence", content_type="multipart/form-data",
                                   headers={"Authorization": f"Bearer {token}"},
                                   data={"kind": "160815201501", "file": (io.BytesIO(content), "otb1.mp4")})
    assert retry.status_code == 201, retry.get_json()
    assert retry.get_json()["sha256"] == sha
    assert assert_consistent(store) == set()
    assert [s.sha256 for s in StoredFile.select()] == [sha]
    assert sum(len(names) for _f, _d, names in os.walk(store.originals)) == 1
    # A retry of an upload that had committed is a second item of the same, once-stored original.
    assert EvidenceItem.select().where(EvidenceItem.stored_file == sha).count() == 1 + (point == "committed")
    assert spools(store) == []


@pytest.fixture
def folder(tmp_path) -> dict[str, bytes]:
    """300 files, so three groups (of 200) of ingest transactions: small ones, one of three chunks
    (``120.bin``), and one (``270.bin``) with the same bytes as another of an earlier group."""
    files = {f"{index:03d}.bin": os.urandom(1024 + index) for index in range(300)}
    files["120.bin"] = os.urandom(3 * 1024 * 1024 + 5)
    files["270.bin"] = files["010.bin"]
    root = tmp_path / "archive"
    root.mkdir()
    for name, content in files.items():
        (root / name).write_bytes(content)
    return files


def assert_batch_agrees(files: dict[str, bytes]) -> list[IngestEntry]:
    """The batch's entries name files of the folder with their bytes' hash, each with its item."""
    batch = IngestBatch.get()
    entries = list(IngestEntry.select().where(IngestEntry.batch == batch))
    items = {item.id: item for item in EvidenceItem.select().where(EvidenceItem.batch == batch)}
    for entry in entries:
        content = files[entry.path]
        assert (entry.size, entry.sha256) == (len(content), hashlib.sha256(content).hexdigest())
        assert items[entry.item_id].stored_file_id == entry.sha256
    assert set(items) == {entry.item_id for entry in entries}, "an item without its entry"
    assert len(items) == len({entry.sha256 for entry in entries}), "the same bytes as two items"
    return entries


@pytest.mark.parametrize("point", INGEST_POINTS)
def test_an_ingest_killed_midway_leaves_nothing_half_written_and_resumes_to_every_file_once(
        app, settings, users, tmp_path, folder, point):
    """If an ingest is killed while copying, recording or finishing, are the database and the evidence
    store left whole, and does the next run finish with every file stored once?"""
    store = EvidenceStore.from_settings(app.config["SETTINGS"])
    command = [str(tmp_path / "archive"), "--user", users["reviewer"].email]
    log = tmp_path / "ingest.log"
    database.close()
    with open(log, "wb") as errors:
        first = subprocess.Popen([sys.executable, "-c", INGEST, point, *command], cwd=ROOT, env=child_env(settings),
                                 stdout=subprocess.PIPE, stderr=errors, bufsize=0)
    try:
        assert read_line(first, log) == point
        kill(first)
    finally:
        if first.poll() is None:
            kill(first)

    orphans = assert_consistent(store)
    assert IngestBatch.get().finished_at is None
    entries = assert_batch_agrees(folder)
    assert len(entries) == {"copying": 0, "recording": 200, "finishing": 300}[point]
    shas = {hashlib.sha256(content).hexdigest() for content in folder.values()}
    assert orphans <= shas and (orphans != set()) == (point != "finishing")
    left = spools(store)
    if point == "copying":  # two of the big file's three chunks, in a spool
        assert len(left) == 1 and os.path.getsize(left[0]) == 2 * 1024 * 1024
    else:
        assert left == []

    age(left)
    again = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "ingest", *command], cwd=ROOT,
                           env=child_env(settings), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"done by an earlier, interrupted run: {len(entries)}\n" in again.stdout
    assert f"preserved as new evidence: {299 - len({e.sha256 for e in entries})}\n" in again.stdout
    database.close()
    assert assert_consistent(store) == set()
    assert IngestBatch.select().count() == 1 and IngestBatch.get().finished_at is not None
    entries = assert_batch_agrees(folder)
    assert sorted(entry.path for entry in entries) == sorted(folder)
    assert {s.sha256 for s in StoredFile.select()} == shas and len(shas) == 299
    assert sum(len(names) for _f, _d, names in os.walk(store.originals)) == 299
    assert spools(store) == []
