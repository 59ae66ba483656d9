"""Decoders run apart from the keys: a fresh process, no key in its environment, limits, a timeout,
and walls: its own namespaces and root, where no key file, no other original and no network is."""
from __future__ import annotations

import ast
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import zlib

import pytest

from incidents.evidence import previews
from incidents.media import sandbox
from incidents.models import Incident
from tests.factories import JPEG, MP4, attach_file, make_facility, make_incident, publish
from tests.helpers import ROOT


@pytest.fixture
def published(app, users):
    """attach(content, name) -> an evidence item of a published incident, as the public sees it."""
    incident = make_incident(users["contributor"], make_facility(users["contributor"]))

    def attach(content: bytes, filename: str):
        item = attach_file(app, incident, users["contributor"], content, filename)
        publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer"])
        return item
    return attach


def marker(app, item, suffix=".none") -> str:
    path = os.path.join(app.config["SETTINGS"].EVIDENCE_DIR, "previews", item.stored_file_id[:2],
                        item.stored_file_id + suffix)
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def png(width: int, height: int, rows: int | None = None, slow: bool = False) -> bytes:
    """A PNG of ``width`` x ``height`` black pixels, compressed to almost nothing; with ``rows``
    only that many rows of data follow (a bomb declares more than it holds). ``slow``: 16 bits a
    channel, each row with the Paeth filter to undo, which takes a decoder two to three seconds of
    CPU at 7000 x 7000 (8 bits unfiltered take about one, too close to a one-second limit)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    packer = zlib.compressobj(9)
    row = b"\x04" + b"\x00" * (width * 6) if slow else b"\x00" * (1 + width * 3)
    body = b"".join(packer.compress(row) for _ in range(height if rows is None else rows)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 16 if slow else 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


@pytest.mark.parametrize("confinement", ["namespaces", "limits-only"])
def test_the_decoder_process_holds_no_key_and_runs_under_limits(app, monkeypatch, tmp_path, confinement):
    """Does the process that decodes uploaded media start clean, without any key, inherited descriptor or
    app module, and under every resource limit, whether walled in or not?

    The child is a new interpreter with a fixed environment, its own process group, no
    inherited descriptor, no module of the app, and every limit in force, walled in or not."""
    monkeypatch.setenv(sandbox.CONFINEMENT_VARIABLE, confinement)
    monkeypatch.setenv("INCIDENTS_SECRET_KEY", "a-key-the-child-must-not-see")
    monkeypatch.setenv("INCIDENTS_DATA_KEY", app.config["SETTINGS"].DATA_KEY)
    leaked = open(tmp_path / "held-open", "w")  # a descriptor the web worker holds
    source = tmp_path / "input"
    source.write_bytes(b"anything")
    limits = sandbox.Limits(seconds=20, cpu=7, memory=900 * 1024 * 1024, file_size=5_000_000, open_files=32)
    outcome = sandbox.run("probe", "image", str(source), str(tmp_path / "scratch"), limits)
    leaked.close()
    assert outcome.ok, outcome.reason
    probe = outcome.result
    assert set(probe["environ"]) == {"PATH", "LANG", "LC_ALL", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "HOME", "TMPDIR"}
    secrets = {app.config["SECRET_KEY"], app.config["SETTINGS"].DATA_KEY, "a-key-the-child-must-not-see"}
    assert not any(secret in value for secret in secrets for value in probe["environ"].values())
    assert probe["limits"] == {"RLIMIT_AS": 900 * 1024 * 1024, "RLIMIT_CPU": 7, "RLIMIT_FSIZE": 5_000_000,
                               "RLIMIT_NOFILE": 32, "RLIMIT_CORE": 0}
    assert probe["open_fds"] == [0, 1, 2]
    assert probe["modules"] == []
    if confinement == "namespaces":  # pid 1 of its own pid namespace (its group's leader is outside)
        assert probe["pid"] == 1 and probe["cwd"] == "/" and probe["output"] == "/out"
    else:
        assert probe["pgid"] == probe["pid"] != os.getpid()
        assert probe["cwd"] == os.path.dirname(outcome.out_dir) and probe["cwd"].startswith(str(tmp_path / "scratch"))
    sandbox.discard(outcome)
    assert os.listdir(tmp_path / "scratch") == []


def test_the_decoder_modules_import_nothing_of_the_app():
    """Do the modules run in the decoder process import anything of the application?

    The child must not load the app (its config reads keys): only Pillow, PyAV, numpy, OpenCV, c2pa and the stdlib."""
    folder = os.path.dirname(sandbox.__file__)
    for name in ("worker.py", "decoders.py", "fingerprints.py", "faces.py", "walls.py", "credentials.py"):
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert imported <= {"json", "os", "resource", "sys", "fractions", "av", "PIL", "decoders", "walls", "errno",
                            "socket", "ctypes", "signal", "math", "numpy", "fingerprints", "__future__", "faces", "cv2",
                            "functools", "itertools", "credentials", "c2pa"}, imported


def _probe_in_the_store(app, asked: dict) -> dict:
    """The probe run as the previews are: on a working copy under the store's work folder."""
    work = os.path.join(app.config["SETTINGS"].EVIDENCE_DIR, "work")
    os.makedirs(work, exist_ok=True)
    working_copy = os.path.join(work, "work-probe")
    with open(working_copy, "w", encoding="utf-8") as handle:
        json.dump(asked, handle)
    outcome = sandbox.run("probe", "image", working_copy, work)
    try:
        assert outcome.ok, outcome.reason
        return outcome.result
    finally:
        sandbox.discard(outcome)
        os.unlink(working_copy)


def test_a_decoder_taken_over_finds_no_key_no_other_original_and_no_network(app, users):
    """If a hostile file takes over the decoder, can it reach a key file, the database, another original,
    the web worker or the network?

    What a hostile file that took the decoder over would try: the keys beside the app, the
    database, the other originals, the web worker (same uid, every key in memory), the network."""
    instance = app.instance_path
    key = os.path.join(instance, "secret_key")
    with open(key, "w", encoding="utf-8") as handle:
        handle.write("key material")
    os.chmod(key, 0o600)
    item = attach_file(app, make_incident(users["contributor"], make_facility(users["contributor"])),
                       users["contributor"], JPEG, "another.jpg")
    other_original = os.path.join(app.config["SETTINGS"].EVIDENCE_DIR, "originals", item.stored_file_id[:2],
                                  item.stored_file_id[2:4], item.stored_file_id)
    # On PostgreSQL there is no database file to reach; the instance folder and the store remain.
    url = app.config["SETTINGS"].DATABASE_URL
    database = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else key
    assert all(os.path.exists(path) for path in (key, other_original, database))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        probe = _probe_in_the_store(app, {
            "open": [key, other_original, database, "/etc/passwd", "/proc/self/environ", "/in/file"],
            "list": [instance, os.path.dirname(other_original), "/proc", "/"],
            "connect": [["127.0.0.1", port]],
            "signal": [os.getpid()]})
    finally:
        listener.close()
    assert probe["open"] == {key: "ENOENT", other_original: "ENOENT", database: "ENOENT", "/etc/passwd": "ENOENT",
                             "/proc/self/environ": "ENOENT", "/in/file": "ok"}
    assert probe["list"] == {instance: "ENOENT", os.path.dirname(other_original): "ENOENT", "/proc": "ENOENT",
                             "/": "ok"}
    assert probe["connect"] == {f"127.0.0.1:{port}": "ENETUNREACH"}
    assert probe["signal"] == {str(os.getpid()): "ESRCH"}  # no process outside its own is there to reach
    assert probe["capabilities"] == [0] * 6  # nothing to remount, unmount or mount its way out with
    assert probe["nested_namespace"] == "ENOSPC"  # nor a namespace of its own to get them back in
    assert probe["uid"] == os.getuid() and probe["gid"] == os.getgid()


REFUSED = """
import logging, sys
from incidents.evidence import previews
logging.basicConfig(stream=sys.stderr)
print(previews.ensure_previews(*sys.argv[1:]))
"""


def test_where_the_kernel_refuses_namespaces_nothing_is_decoded_unless_limits_alone_are_allowed(tmp_path):
    """Where the kernel refuses user namespaces, is media left undecoded and the operator told what to do,
    unless they chose limits alone?

    Run where user namespaces are refused (their number capped at 0, as a sysctl or a container
    does; here inside a user namespace of the test's own, so the host is untouched and no privilege
    is needed): the preview is marked "no sandbox" and the log says what to do; with limits-only
    chosen, it is made, unwalled."""
    sha = hashlib.sha256(JPEG).hexdigest()
    original = tmp_path / "original.jpg"
    original.write_bytes(JPEG)
    root = ROOT

    def run(store, **environment):
        command = f'echo 0 > /proc/sys/user/max_user_namespaces && exec "{sys.executable}" -c "$0" "$@"'
        return subprocess.run(["unshare", "--user", "--map-root-user", "sh", "-c", command, REFUSED,  # noqa: S603,S607
                               str(tmp_path / store), str(original), sha, "image/jpeg"],
                              cwd=root, env={"PATH": os.environ["PATH"], **environment}, capture_output=True,
                              text=True, timeout=60, check=True)
    refused = run("refused")
    assert refused.stdout.strip() == "False"
    assert "INCIDENTS_DECODER_SANDBOX=limits-only" in refused.stderr
    with open(tmp_path / "refused" / "previews" / sha[:2] / f"{sha}.none", encoding="utf-8") as handle:
        assert handle.read() == "no sandbox\n"
    allowed = run("allowed", INCIDENTS_DECODER_SANDBOX="limits-only")
    assert allowed.stdout.strip() == "True", allowed.stderr
    assert os.path.exists(previews.preview_path(str(tmp_path / "allowed"), sha))


def test_a_decompression_bomb_is_marked_unreadable_and_the_site_answers(app, client, published):
    """Does a decompression bomb get marked unreadable without being tried again, while the site goes on
    answering?"""
    bomb = published(png(30_000, 30_000, rows=10), "bomb.png")
    assert client.get(f"/evidence/{bomb.id}/preview").status_code == 404
    assert marker(app, bomb).startswith("failed")  # the child refused it and exited
    assert client.get(f"/evidence/{bomb.id}/preview").status_code == 404  # not tried again
    assert client.get(f"/incidents/{bomb.incident_id}").status_code == 200


def test_a_truncated_video_is_marked_unreadable_and_the_site_answers(app, client, published):
    """Does a truncated video get marked unreadable while the site goes on answering?"""
    video = published(MP4[: len(MP4) // 2], "cut.mp4")
    assert client.get(f"/evidence/{video.id}/preview").status_code == 404
    assert marker(app, video).startswith("failed")
    assert client.get(f"/evidence/{video.id}").status_code == 200


def test_a_file_that_outlasts_the_clock_is_killed_and_marked(app, client, published, monkeypatch):
    """Is a decoder that runs past its time limit killed, the file marked, its working files removed, and
    the request still answered?

    A real slow input: 49 megapixels, just under the bomb bound, takes the decoder about two
    seconds; with half a second allowed the parent kills it and the request still answers."""
    monkeypatch.setattr(sandbox, "PREVIEW_LIMITS", sandbox.Limits(seconds=0.5))
    slow = published(png(7000, 7000), "slow.png")
    assert client.get(f"/evidence/{slow.id}/preview").status_code == 404
    assert marker(app, slow) == "timeout"
    assert client.get(f"/incidents/{slow.incident_id}").status_code == 200
    work = os.path.join(app.config["SETTINGS"].EVIDENCE_DIR, "work")
    assert os.listdir(work) == []  # the working copy and the child's folder are gone


def test_a_file_that_exhausts_the_memory_allowed_is_marked(app, client, published, monkeypatch):
    """Is a file that exhausts the decoder's memory limit marked as failed while the site goes on
    answering?"""
    monkeypatch.setattr(sandbox, "PREVIEW_LIMITS", sandbox.Limits(memory=400 * 1024 * 1024))
    big = published(png(7000, 7000), "big.png")
    assert client.get(f"/evidence/{big.id}/preview").status_code == 404
    assert marker(app, big).startswith(("failed", "killed"))
    assert client.get(f"/incidents/{big.incident_id}").status_code == 200


def test_a_file_that_outlasts_the_cpu_time_allowed_is_killed_and_marked(app, client, published, monkeypatch,
                                                                        as_role):
    """Is a decoder that exceeds its CPU time killed and the file marked, even walled in as pid 1?

    Walled in, the decoder is pid 1 of its namespace, which ignores SIGXCPU: the kernel kills
    it at its CPU time all the same, long before the wall clock would (the file takes 2-3 s). Staff
    ask for the original's preview (the public's is made from the public copy, a JPEG read fast)."""
    monkeypatch.setattr(sandbox, "PREVIEW_LIMITS", sandbox.Limits(cpu=1, seconds=30))
    slow = published(png(7000, 7000, slow=True), "slow.png")
    assert as_role("reviewer").get(f"/evidence/{slow.id}/preview").status_code == 404
    assert marker(app, slow) == "killed by signal 9"
    assert client.get(f"/incidents/{slow.incident_id}").status_code == 200


def test_a_pipe_left_as_output_is_refused_without_waiting(tmp_path):
    """Can a named pipe left as the decoder's output make the web worker wait for good?

    A named pipe in place of a preview would hold the web worker in open() for good."""
    out = tmp_path / "sandbox" / "out"
    out.mkdir(parents=True)
    os.mkfifo(out / "preview.jpg")
    taken = []
    reader = threading.Thread(target=lambda: taken.append(sandbox.take_output(
        sandbox.Outcome(True, "ok", {}, str(out)), "preview.jpg", str(tmp_path / "taken"))), daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive():  # let the stuck reader go before failing
        os.close(os.open(out / "preview.jpg", os.O_WRONLY | os.O_NONBLOCK))
    assert taken == [False] and not os.path.exists(tmp_path / "taken")


def test_what_the_child_leaves_is_taken_only_as_a_plain_file(tmp_path):
    """Can the decoder pass a key file off as its output through a symbolic link, a hard link or a path
    outside its folder?

    A fooled child could leave a link to a key file as its output: the parent takes none."""
    out = tmp_path / "sandbox" / "out"
    out.mkdir(parents=True)
    key = tmp_path / "secret_key"
    key.write_text("key material")
    os.symlink(key, out / "preview.jpg")
    os.link(key, out / "derivative.jpg")
    (out / "fine.jpg").write_bytes(b"\xff\xd8 pixels")
    outcome = sandbox.Outcome(True, "ok", {}, str(out))
    assert not sandbox.take_output(outcome, "preview.jpg", str(tmp_path / "taken" / "a"))
    assert not sandbox.take_output(outcome, "derivative.jpg", str(tmp_path / "taken" / "b"))
    assert not sandbox.take_output(outcome, "../secret_key", str(tmp_path / "taken" / "c"))
    assert sandbox.take_output(outcome, "fine.jpg", str(tmp_path / "taken" / "d"))
    assert sorted(os.listdir(tmp_path / "taken")) == ["d"]
    assert previews.preview_path("/s", "ab" * 32).startswith("/s/previews/ab/")
