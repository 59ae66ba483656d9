"""Several app servers at once (issue 15, point 4), with real processes: two gunicorn servers on two
ports (two worker processes each), one database (the suite's: SQLite or PostgreSQL), one evidence
folder, one Redis queue and one job worker. Writers on both lose no update, the audit trail stays one
unbroken chain, the same file sent to both is stored once, a session and the sign-in throttle hold on
both, facet counts agree, and a bundle asked for on one is built by the worker and fetched from the other."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from incidents import audit
from incidents.accounts import throttle
from incidents.models import Incident, StoredFile
from tests.helpers import PASSWORD, ROOT, bearer_headers, current_code

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed "
                                "(.ci/run installs it)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url} did not start"
        try:
            requests.get(url, timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def sign_in(server: str, user, password: str = PASSWORD) -> tuple[requests.Session, requests.Response]:
    """A browser's sign-in on ``server``: the password, then the code when the account has one."""
    browser = requests.Session()
    answer = browser.post(f"{server}/login", allow_redirects=False, timeout=30, data={
        "email": user.email, "password": password, "csrf_token": csrf_of(browser.get(f"{server}/login", timeout=30).text)})
    if answer.status_code == 302 and answer.headers["Location"].endswith("/login/code"):
        answer = browser.post(f"{server}/login/code", allow_redirects=False, timeout=30, data={
            "code": current_code(user), "csrf_token": csrf_of(browser.get(f"{server}/login/code", timeout=30).text)})
    return browser, answer


@pytest.fixture
def servers(app, settings, users, tmp_path):
    """Two servers and a worker on one database, one evidence folder and one Redis; their addresses."""
    started = []
    redis_port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    started.append(redis)
    environment = dict(os.environ, PYTHONPATH=ROOT, INCIDENTS_INSTANCE_PATH=settings["INSTANCE_PATH"],
                       INCIDENTS_DATABASE_URL=settings["DATABASE_URL"], INCIDENTS_SECRET_KEY=settings["SECRET_KEY"],
                       INCIDENTS_DATA_KEY=settings["DATA_KEY"], INCIDENTS_TESTING="1",
                       INCIDENTS_JOBS_URL=f"redis://127.0.0.1:{redis_port}/0", INCIDENTS_JOBS_LEASE_SECONDS="5")
    bin_dir = os.path.dirname(sys.executable)
    addresses = []
    try:
        for _ in range(2):
            port = free_port()
            server = subprocess.Popen([os.path.join(bin_dir, "gunicorn"), "--workers", "2", "--threads", "4",
                                       "--bind", f"127.0.0.1:{port}", "app:app"], cwd=ROOT, env=environment,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            started.append(server)
            addresses.append(f"http://127.0.0.1:{port}")
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=ROOT,
                                  env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        started.append(worker)
        for address, server in zip(addresses, started[1:3], strict=True):
            wait_until_up(address + "/login", server)
        yield addresses
    finally:
        for process in reversed(started):
            if process.poll() is None:
                os.killpg(process.pid, 15) if process is not redis else process.terminate()
            process.wait(timeout=30)


def test_two_servers_and_a_worker_share_one_installation(app, users, facility, incident, servers):
    a, b = servers
    token = bearer_headers(users["reviewer"])

    # No lost update: four writers, two on each server, each adds one victim five times over,
    # reading the incident and sending back the version it read; a stale version is read again.
    def add_victims(server: str) -> int:
        conflicts = 0
        for _ in range(5):
            while True:
                current = requests.get(f"{server}/api/v1/incidents/{incident.id}", headers=token, timeout=30).json()
                answer = requests.patch(f"{server}/api/v1/incidents/{incident.id}", headers=token, timeout=30,
                                        json={"victims_count": current["victims_count"] + 1,
                                              "version": current["version"]})
                if answer.status_code == 200:
                    break
                assert answer.status_code == 409, answer.text
                conflicts += 1
        return conflicts
    with ThreadPoolExecutor(4) as pool:
        conflicts = sum(pool.map(add_victims, [a, b, a, b]))
    assert Incident.get_by_id(incident.id).victims_count == 1 + 20
    assert conflicts > 0, "the writers never raced: the test proved nothing"

    # No file stored twice: the same bytes sent to both servers at once.
    content = os.urandom(2 * 1024 * 1024)
    sha256 = hashlib.sha256(content).hexdigest()

    def attach(server: str):
        return requests.post(f"{server}/api/v1/incidents/{incident.id}/evidence", headers=token, timeout=60,
                             data={"kind": "160815201501"}, files={"file": ("camera.bin", content)})
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(attach, [a, b, a, b]))
    assert [answer.status_code for answer in answers] == [201] * 4, [answer.text for answer in answers]
    assert StoredFile.select().where(StoredFile.sha256 == sha256).count() == 1
    originals = os.path.join(app.config["SETTINGS"].EVIDENCE_DIR, "originals")
    assert [name for _folder, _dirs, names in os.walk(originals) for name in names].count(sha256) == 1

    # One unbroken audit chain, written by four processes.
    assert audit.verify() is None

    # A session begun on one server holds on the other, and a sign-out on the other ends it.
    browser, signed_in = sign_in(a, users["contributor"])
    assert signed_in.status_code == 302
    workspace = browser.get(f"{b}/workspace", allow_redirects=False, timeout=30)
    assert workspace.status_code == 200
    signed_out = browser.post(f"{b}/logout", data={"csrf_token": csrf_of(workspace.text)}, allow_redirects=False,
                              timeout=30)
    assert signed_out.status_code == 302
    assert browser.get(f"{a}/workspace", allow_redirects=False, timeout=30).status_code == 302

    # The sign-in throttle counts failures on both servers together: once it holds its limit, even the
    # right password is refused, on either.
    for attempt in range(throttle.ACCOUNT_LIMIT):
        assert sign_in((a, b)[attempt % 2], users["researcher"], "wrong" * 4)[1].status_code == 400
    for server in (a, b):
        refused = sign_in(server, users["researcher"])[1]
        assert refused.status_code == 429 and "Too many failed attempts" in refused.text

    # Facet counts agree: published through one server, counted alike by every process of both.
    move = requests.post(f"{a}/api/v1/incidents/{incident.id}/transitions", headers=bearer_headers(users["contributor"]),
                         json={"action": "submit", "version": Incident.get_by_id(incident.id).version}, timeout=30)
    assert move.status_code == 200, move.text
    approve = requests.post(f"{b}/api/v1/incidents/{incident.id}/transitions", timeout=30,
                            headers=bearer_headers(users["reviewer2"]),  # the first one edited it
                            json={"action": "approve", "version": Incident.get_by_id(incident.id).version})
    assert approve.status_code == 200, approve.text
    answers = [requests.get(f"{server}/api/v1/incidents?q=больнице", timeout=30).json() for server in (a, b) * 4]
    assert {(body["total"], str(body["facets"])) for body in answers} == {(1, str(answers[0]["facets"]))}

    # A bundle asked for on one server is built by the worker and fetched from the other.
    lawyer, _answer = sign_in(a, users["lawyer"])
    csrf = csrf_of(lawyer.get(f"{a}/dossier", timeout=30).text)
    lawyer.post(f"{a}/dossier/add", data={"incident_id": str(incident.id), "csrf_token": csrf}, timeout=30)
    built = lawyer.post(f"{a}/dossier/build", allow_redirects=False, timeout=30, data={
        "lang": "ru", "redaction": "public", "layout": "dossier", "format": "zip", "csrf_token": csrf})
    assert built.status_code == 302, built.text[:300]
    page = b + built.headers["Location"]
    deadline = time.monotonic() + 60
    while 'http-equiv="refresh"' in lawyer.get(page, timeout=30).text:
        assert time.monotonic() < deadline, "the worker never built the bundle"
        time.sleep(0.5)
    bundle = lawyer.get(page + "/file", timeout=30)
    assert bundle.status_code == 200
    path = os.path.join(app.instance_path, "two-servers.zip")
    with open(path, "wb") as handle:
        handle.write(bundle.content)
    assert "manifest.json" in zipfile.ZipFile(path).namelist()
    assert audit.verify() is None
