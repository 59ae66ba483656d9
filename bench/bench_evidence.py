"""Evidence benchmarks (not tests): ingest throughput against sha256sum, and upload memory.

Usage:
    .venv/bin/python bench/bench_evidence.py ingest [GIGABYTES]   # default 2.2
    .venv/bin/python bench/bench_evidence.py upload [GIGABYTES]   # default 1.0

ingest: builds a tree of many small files and a few large ones in a temporary folder, then
times `sha256sum` over every file and `flask ingest` over the same tree, alternately, twice
each, and reports the best of each and their ratio (the target is at least 90%).

upload: serves the app (the same WSGI server as `make run`) in a subprocess, streams a file
of the given size to POST /api/v1/incidents/ID/evidence with curl (multipart), then sends the same
file over the resumable uploads (tus, parts of 8 MiB, with tuspy) and attaches it; for each, the
time and how much the server's peak resident memory (VmHWM) grew: the target is under 50 MB for
1 GB, and the resumable upload within 1.5 times the multipart one's time.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import requests
from tusclient import client as tus

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
MB = 1024 * 1024


def make_tree(folder: str, gigabytes: float) -> tuple[int, int]:
    """About half the bytes in 8 large files, half in small files of 16 KB to 1 MB."""
    total = int(gigabytes * 1024 * MB)
    block = os.urandom(4 * MB)
    files = size = 0
    large = total // 2 // 8
    for index in range(8):
        with open(os.path.join(folder, f"large-{index}.mp4"), "wb") as handle:
            written = 0
            while written < large:
                piece = block[: min(len(block), large - written)]
                handle.write(bytes([index]) + piece[1:])
                written += len(piece)
        files, size = files + 1, size + large
    small = 0
    while size < total:
        sub = os.path.join(folder, "small", f"{small // 500:03d}")
        os.makedirs(sub, exist_ok=True)
        length = 16 * 1024 + (small * 7919 % (1024 * 1024 - 16 * 1024))
        with open(os.path.join(sub, f"photo-{small:05d}.jpg"), "wb") as handle:
            handle.write(small.to_bytes(4, "big") + block[4:length])
        small += 1
        files, size = files + 1, size + length
    return files, size


ENROL = ("import pyotp\n"
         "from incidents.db import database\n"
         "from incidents.models import User\n"
         "from app import app\n"
         "with app.app_context(), database.connection_context():\n"
         "    User.update(totp_secret=pyotp.random_base32()).execute()\n")


def env_for(instance: str) -> dict:
    # The data key is generated into the instance folder on first use and read from there after.
    return dict(os.environ, INCIDENTS_INSTANCE_PATH=instance, INCIDENTS_SECRET_KEY="bench")


def flask(instance: str, *args, stdin: str | None = None, check=True) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(BIN, "flask"), "--app", "app", *args], cwd=ROOT, env=env_for(instance),
                          input=stdin, capture_output=True, text=True, check=check)


def new_instance(base: str, name: str) -> str:
    instance = os.path.join(base, name)
    flask(instance, "init-db")
    flask(instance, "users", "create", "bench@example.org", "--role", "reviewer", "--password-stdin",
          stdin="benchmark password 1\n")
    # A reviewer's token works only once a second factor is enrolled, as on a real installation.
    subprocess.run([sys.executable, "-c", ENROL], cwd=ROOT, env=env_for(instance), check=True)
    return instance


def timed(command: list[str], **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - start


def bench_ingest(gigabytes: float) -> None:
    base = tempfile.mkdtemp(prefix="bench-ingest-")
    try:
        tree = os.path.join(base, "tree")
        os.makedirs(tree)
        files, size = make_tree(tree, gigabytes)
        print(f"tree: {files} files, {size / 1024**3:.2f} GiB")
        sha = ["sh", "-c", f"find '{tree}' -type f -print0 | xargs -0 sha256sum > /dev/null"]
        shas, ingests = [], []
        for run in range(2):
            shas.append(timed(sha))
            instance = new_instance(base, f"instance-{run}")
            ingests.append(timed([os.path.join(BIN, "flask"), "--app", "app", "ingest", tree, "--user",
                                  "bench@example.org"], cwd=ROOT, env=env_for(instance)))
            shutil.rmtree(instance)
        best_sha, best_ingest = min(shas), min(ingests)
        print(f"sha256sum: {size / best_sha / MB:8.1f} MB/s  ({best_sha:.2f} s; runs {', '.join(f'{t:.2f}' for t in shas)})")
        print(f"ingest:    {size / best_ingest / MB:8.1f} MB/s  ({best_ingest:.2f} s; runs {', '.join(f'{t:.2f}' for t in ingests)})")
        print(f"ingest throughput is {best_sha / best_ingest * 100:.0f}% of sha256sum's")
    finally:
        shutil.rmtree(base)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def bench_upload(gigabytes: float) -> None:
    base = tempfile.mkdtemp(prefix="bench-upload-")
    server = None
    try:
        instance = new_instance(base, "instance")
        token = flask(instance, "users", "token", "bench@example.org").stdout.strip().splitlines()[-1]
        setup = ("from incidents.db import database\n"
                 "from incidents.models import User\n"
                 "from incidents.records import service\n"
                 "from app import app\n"
                 "with app.app_context(), database.connection_context():\n"
                 "    user = User.get()\n"
                 "    f = service.create_facility({'names': {'en': 'Bench'}, 'type': 'other', 'country': 'RU'}, user)\n"
                 "    i = service.create_incident({'facility': f.id, 'date_start': '2020', 'date_precision': 'year',\n"
                 "        'original_language': 'en', 'title': {'en': 'Bench'}, 'narrative': {'en': 'Bench'},\n"
                 "        'abuse': ['030100000000']}, user, max_text=1000)\n"
                 "    print(i.id)\n")
        incident = subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=env_for(instance), check=True,
                                  capture_output=True, text=True).stdout.strip()
        big = os.path.join(base, "big.mp4")
        with open(big, "wb") as handle:
            block = os.urandom(4 * MB)
            for _ in range(int(gigabytes * 256)):
                handle.write(block)
        port = free_port()
        server = subprocess.Popen([os.path.join(BIN, "flask"), "--app", "app", "run", "--port", str(port)],
                                  cwd=ROOT, env=env_for(instance), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/api/v1/incidents/{incident}/evidence"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)

        auth = {"Authorization": f"Bearer {token}"}

        def multipart(path: str) -> float:
            start = time.perf_counter()
            subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", "-H", f"Authorization: Bearer {token}",
                            "-F", "kind=220904051501", "-F", f"file=@{path}", url], check=True)
            return time.perf_counter() - start

        def resumable(path: str) -> float:
            """tus in parts of 8 MiB with tuspy, then attached by its URL: hashed as the parts arrive."""
            start = time.perf_counter()
            uploader = tus.TusClient(f"http://127.0.0.1:{port}/api/v1/uploads", headers=auth).uploader(
                path, chunk_size=8 * MB, metadata={"filename": os.path.basename(path)})
            uploader.upload()
            requests.post(url, headers=auth, json={"upload": uploader.url, "kind": "220904051501"},
                          timeout=600).raise_for_status()
            return time.perf_counter() - start

        small = os.path.join(base, "small.mp4")
        with open(small, "wb") as handle:
            handle.write(os.urandom(MB))
        size = os.path.getsize(big)
        for name, send in (("multipart", multipart), ("resumable (tus)", resumable)):
            send(small)  # warm up: imports, first request, database
            before = peak_rss_kb(server.pid)
            seconds = send(big)
            after = peak_rss_kb(server.pid)
            print(f"{name} upload of {size / 1024**3:.2f} GiB in {seconds:.1f} s ({size / seconds / MB:.0f} MB/s); "
                  f"server peak memory {before / 1024:.1f} MB before, {after / 1024:.1f} MB after: "
                  f"+{(after - before) / 1024:.1f} MB")
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(base)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "ingest"
    amount = float(sys.argv[2]) if len(sys.argv) > 2 else (2.2 if what == "ingest" else 1.0)
    {"ingest": bench_ingest, "upload": bench_upload}[what](amount)
