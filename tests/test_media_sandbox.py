"""Decoders run apart from the keys: a fresh process, no key in its environment, limits, a timeout."""
from __future__ import annotations

import ast
import os
import struct
import zlib

import pytest

from factories import MP4, attach_file, make_facility, make_incident, publish
from incidents.evidence import previews
from incidents.media import sandbox
from incidents.models import Incident


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


def png(width: int, height: int, rows: int | None = None) -> bytes:
    """A PNG of ``width`` x ``height`` black pixels, compressed to almost nothing; with ``rows``
    only that many rows of data follow (a bomb declares more than it holds)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + width * 3)
    body = b"".join(packer.compress(row) for _ in range(height if rows is None else rows)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def test_the_decoder_process_holds_no_key_and_runs_under_limits(app, monkeypatch, tmp_path):
    """The child is a new interpreter with a fixed environment, its own process group, no
    inherited descriptor, no module of the app, and every limit in force."""
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
    assert len(probe["open_fds"]) <= 4  # stdin, stdout, stderr and the listing of them
    assert probe["modules"] == [] and probe["pgid"] == probe["pid"] != os.getpid()
    assert probe["cwd"] == os.path.dirname(outcome.out_dir) and probe["cwd"].startswith(str(tmp_path / "scratch"))
    sandbox.discard(outcome)
    assert os.listdir(tmp_path / "scratch") == []


def test_the_decoder_modules_import_nothing_of_the_app():
    """The child must not load the app (its config reads keys): only Pillow, PyAV and the stdlib."""
    folder = os.path.dirname(sandbox.__file__)
    for name in ("worker.py", "decoders.py"):
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert imported <= {"json", "os", "resource", "sys", "fractions", "av", "PIL", "decoders"}, imported


def test_a_decompression_bomb_is_marked_unreadable_and_the_site_answers(app, client, published):
    bomb = published(png(30_000, 30_000, rows=10), "bomb.png")
    assert client.get(f"/evidence/{bomb.id}/preview").status_code == 404
    assert marker(app, bomb).startswith("failed")  # the child refused it and exited
    assert client.get(f"/evidence/{bomb.id}/preview").status_code == 404  # not tried again
    assert client.get(f"/incidents/{bomb.incident_id}").status_code == 200


def test_a_truncated_video_is_marked_unreadable_and_the_site_answers(app, client, published):
    video = published(MP4[: len(MP4) // 2], "cut.mp4")
    assert client.get(f"/evidence/{video.id}/preview").status_code == 404
    assert marker(app, video).startswith("failed")
    assert client.get(f"/evidence/{video.id}").status_code == 200


def test_a_file_that_outlasts_the_clock_is_killed_and_marked(app, client, published, monkeypatch):
    """A real slow input: 49 megapixels, just under the bomb bound, takes the decoder about two
    seconds; with half a second allowed the parent kills it and the request still answers."""
    monkeypatch.setattr(sandbox, "PREVIEW_LIMITS", sandbox.Limits(seconds=0.5))
    slow = published(png(7000, 7000), "slow.png")
    assert client.get(f"/evidence/{slow.id}/preview").status_code == 404
    assert marker(app, slow) == "timeout"
    assert client.get(f"/incidents/{slow.incident_id}").status_code == 200
    work = os.path.join(app.config["SETTINGS"].EVIDENCE_DIR, "work")
    assert os.listdir(work) == []  # the working copy and the child's folder are gone


def test_a_file_that_exhausts_the_memory_allowed_is_marked(app, client, published, monkeypatch):
    monkeypatch.setattr(sandbox, "PREVIEW_LIMITS", sandbox.Limits(memory=400 * 1024 * 1024))
    big = published(png(7000, 7000), "big.png")
    assert client.get(f"/evidence/{big.id}/preview").status_code == 404
    assert marker(app, big).startswith(("failed", "killed"))
    assert client.get(f"/incidents/{big.incident_id}").status_code == 200


def test_what_the_child_leaves_is_taken_only_as_a_plain_file(tmp_path):
    """A fooled child could leave a link to a key file as its output: the parent takes none."""
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
