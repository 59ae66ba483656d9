"""Running a decoder apart from the keys: a fresh process per file, limited, timed, disposable.

The web worker holds every key (data, session, backup, signing). A decoder fooled by a hostile
file must find none of them, so each task runs in a new interpreter started by exec (never a
fork, whose child would inherit the keys in memory):

- ``python -I worker.py``: isolated mode, so no ``PYTHON*`` variable, user site or working folder
  shapes what it imports; the worker imports Pillow, PyAV and the standard library, not the app;
- an environment of a few fixed variables (no ``INCIDENTS_*``, no secret), no inherited file
  descriptor, a private empty working folder, standard input closed;
- limits set in the child before it reads the file (memory, CPU time, file size, open files, no
  core file) and a wall-clock timeout in the parent, which kills the child's whole process group;
- walls (``walls.py``): the child's own user, mount, pid, network, IPC and UTS namespaces and a
  root of its own, so a decoder taken over by a hostile file finds no key file, no database, no
  other original, no process to trace and no network. Where the kernel refuses user namespaces,
  nothing is decoded ("no sandbox") unless the operator chose ``limits-only`` (CONFINEMENT_VARIABLE).

The input is a working copy, never the original. What the child writes is checked before the
parent takes it (``take_output``): a regular file with one link, opened without following links.
"""
from __future__ import annotations

import json
import logging
import os
import select
import shutil
import signal
import stat
import subprocess  # noqa: S404 - the sandbox is a child process by design
import sys
import tempfile
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
# A property of the host's kernel, read at each run: "namespaces" (the default) or "limits-only",
# the weaker mode for a host that refuses user namespaces. Any other value means "namespaces".
CONFINEMENT_VARIABLE = "INCIDENTS_DECODER_SANDBOX"
NO_SANDBOX = 77  # the worker's exit code when the kernel refused the walls (worker.NO_SANDBOX)
MAX_RESULT = 1024 * 1024
# All the child's environment. Numerical libraries start one thread, not one per core.
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


@dataclass(frozen=True)
class Limits:
    """What one task may use. The defaults fit a preview; derivatives of video get more."""

    seconds: float = 60  # wall clock, enforced by the parent
    cpu: int = 60  # seconds of CPU time, enforced by the kernel (SIGKILL)
    memory: int = 1536 * 1024 * 1024  # address space: decoders reserve more than they touch
    file_size: int = 256 * 1024 * 1024  # the largest file the child may write
    open_files: int = 64


PREVIEW_LIMITS = Limits()
# A derivative of a long video is re-muxed in seconds or re-encoded in minutes; above these
# bounds the file is marked unreadable for the public and staff still have the original.
DERIVATIVE_LIMITS = Limits(seconds=600, cpu=1200, file_size=4 * 1024 * 1024 * 1024)


@dataclass
class Outcome:
    ok: bool
    reason: str  # "ok", "timeout", "failed (exit N)", "killed by signal N", "bad result", "no sandbox"
    result: dict = field(default_factory=dict)
    out_dir: str = ""


def run(task: str, kind: str, working_copy: str, scratch: str, limits: Limits = PREVIEW_LIMITS,
        arguments: dict | None = None) -> Outcome:
    """Run ``task`` of the worker on ``working_copy`` in a new private folder under ``scratch``,
    with the task's keyword ``arguments`` (JSON-ready).

    The caller removes ``outcome.out_dir`` (``discard``) once it has taken what it needs.
    Never raises for anything the file does; only for a broken installation (no interpreter).
    """
    os.makedirs(scratch, mode=0o700, exist_ok=True)
    home = tempfile.mkdtemp(prefix="sandbox-", dir=scratch)
    out_dir = os.path.join(home, "out")
    os.mkdir(out_dir, 0o700)
    mode = confinement()
    given = None
    if arguments:
        given = os.path.join(home, "arguments.json")
        with open(given, "w", encoding="utf-8") as handle:
            json.dump(arguments, handle)
    spec = json.dumps({"memory": limits.memory, "cpu": limits.cpu, "file_size": limits.file_size,
                       "open_files": limits.open_files, "confine": mode, "arguments": given})
    with open(os.path.join(home, "stderr"), "wb") as errors:
        child = subprocess.Popen(  # noqa: S603 - fixed interpreter and script, arguments are paths
            [sys.executable, "-I", WORKER, task, kind, working_copy, out_dir, spec],
            env={**ENVIRONMENT, "HOME": home, "TMPDIR": home}, cwd=home, close_fds=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors, process_group=0)
        try:
            code = _wait(child, limits.seconds)
        finally:
            _kill_group(child)  # and anything the child left running in its group
    if code is None:
        return Outcome(False, "timeout", out_dir=out_dir)
    if code == NO_SANDBOX and mode == "namespaces":
        _refused(os.path.join(home, "stderr"))
        return Outcome(False, "no sandbox", out_dir=out_dir)
    if code != 0:
        reason = f"killed by signal {-code}" if code < 0 else f"failed (exit {code})"
        return Outcome(False, reason, out_dir=out_dir)
    result = _read_result(os.path.join(out_dir, "result.json"))
    return Outcome(result is not None, "ok" if result is not None else "bad result", result or {}, out_dir)


def confinement() -> str:
    """How the decoders are shut in: "namespaces" unless the operator chose "limits-only"."""
    return "limits-only" if os.environ.get(CONFINEMENT_VARIABLE) == "limits-only" else "namespaces"


def _refused(errors: str) -> None:
    with open(errors, "rb") as handle:
        said = handle.read(300).decode("utf-8", "replace").strip()
    log.error("media: nothing decoded: the decoder sandbox cannot be raised on this host (%r). Allow "
              "unprivileged user namespaces and mounts in them (docs/deployment.md, the decoder sandbox), or set %s=limits-only "
              "to decode with limits alone (weaker: a decoder taken over can then read whatever the app's "
              "user can, keys included).", said, CONFINEMENT_VARIABLE)


def _wait(child: subprocess.Popen, seconds: float) -> int | None:
    """The child's exit code, or None once ``seconds`` have passed. The kernel wakes the parent as
    the child ends (a pidfd), where ``Popen.wait(timeout)`` polls and adds up to 50 ms to each file."""
    pidfd = os.pidfd_open(child.pid)
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        ended = poller.poll(seconds * 1000)
    finally:
        os.close(pidfd)
    return child.wait() if ended else None


def _kill_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()


def _read_result(path: str) -> dict | None:
    handle = open_output(path)
    if handle is None:
        return None
    with handle:
        data = handle.read(MAX_RESULT + 1)
    try:
        result = json.loads(data) if len(data) <= MAX_RESULT else None
    except ValueError:
        return None
    return result if isinstance(result, dict) else None


def open_output(path: str):
    """The child's file at ``path`` opened for reading, or None unless it is a regular file with
    a single link: a fooled child could leave a link to a key file there for the parent to publish,
    or a named pipe (opened without O_NONBLOCK, it would hold the web worker forever)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def take_output(outcome: Outcome, name: str, target: str) -> bool:
    """Copy the child's file ``name`` to ``target`` (atomically); False when it is not a safe file.

    Copied through a checked descriptor, not renamed: what is published is what was checked.
    """
    if os.sep in name or name in ("", ".", ".."):
        return False
    source = open_output(os.path.join(outcome.out_dir, name))
    if source is None:
        return False
    os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".part-", dir=os.path.dirname(target))
    try:
        with source, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
    return True


def discard(outcome: Outcome) -> None:
    """Remove the task's private folder and everything the child wrote."""
    if outcome.out_dir:
        shutil.rmtree(os.path.dirname(outcome.out_dir), ignore_errors=True)
