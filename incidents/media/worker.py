"""The decoder's side of the sandbox: one task on one working copy, then exit.

Run only by ``sandbox.run`` as a script of a fresh interpreter (``python -I worker.py``), never
imported by the app, and it imports nothing of the app: only the standard library, Pillow,
PyAV, numpy, OpenCV and c2pa. So the process that parses a hostile file holds no database
connection and no configuration, and no key (but the task "sign", given only the key that signs
public copies, for a copy the decoders made), and the limits below are in force before any byte
of the file is read.

    worker.py TASK KIND INPUT OUTPUT_DIR SPEC_JSON

writes its files and ``result.json`` into OUTPUT_DIR; SPEC may name a JSON file of the task's
arguments. Unless SPEC says ``"confine": "limits-only"``,
the task runs behind the walls of ``walls.py`` (its own namespaces and root: no key file, no
database, no other original, no network), in a child forked for its new pid namespace; where
the kernel refuses them (or a namespace in which nothing may be mounted), nothing is decoded and
the exit code is NO_SANDBOX. Any exception, signal or limit is a failure; the parent decides what
that means.
"""
import errno
import json
import os
import resource
import socket
import sys

NO_SANDBOX = 77  # the kernel refused the walls: the parent marks the file "no sandbox"
LIMITS = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE")


def _limit(limits: dict) -> None:
    """Memory, CPU time, file size, open files; and no core file that would hold decoded pixels."""
    # Soft and hard limits alike: at its CPU time the kernel sends SIGKILL, which pid 1 of a pid
    # namespace (the walled decoder) cannot ignore, as it does SIGXCPU.
    for name, value in zip(LIMITS, (limits["memory"], limits["cpu"], limits["file_size"], limits["open_files"], 0), strict=True):
        resource.setrlimit(getattr(resource, name), (value, value))


def main(argv: list) -> int:
    task, kind, source, out_dir, spec = argv[1], argv[2], argv[3], argv[4], json.loads(argv[5])
    arguments = _arguments(spec.get("arguments"))
    _limit(spec)
    walled = spec.get("confine") != "limits-only"  # anything else, or nothing: the walls
    if walled:
        import walls
        try:
            walls.enter()
        except walls.Unavailable as error:
            print(error, file=sys.stderr)
            return NO_SANDBOX
        child = os.fork()
        if child:
            return walls.relay(child)
    # This folder's modules load before the walls rise; PyAV and numpy with the task that needs
    # them, from the libraries the walls show read-only (as OpenCV always did: faces.py).
    run = _probe if task == "probe" else _decoder(task)
    if walled:
        try:
            source, out_dir = walls.wall_in(source, out_dir, _shown())
        except (OSError, ValueError) as error:  # a namespace without the right to mount (AppArmor, seccomp)
            print(error, file=sys.stderr)
            return NO_SANDBOX
    result = run(kind, source, out_dir, **arguments)
    with open(os.path.join(out_dir, "result.json"), "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


def _arguments(path: str | None) -> dict:
    """The task's own arguments (a redaction's boxes), which the parent wrote to a file: a long
    film's boxes would not fit in a command line. Read before the walls hide the file."""
    if not path:
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _decoder(task: str):
    from decoders import prepared  # only once the limits hold
    return prepared(task)


def _shown() -> list:
    """What the new root shows, read-only: the interpreter and its libraries (Python's own prefixes,
    the virtualenv with Pillow and PyAV, /usr) and the dynamic linker's cache. A path inside
    another is shown through it. The app's folder and its instance are not among them."""
    paths = {"/usr", sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix, "/etc/ld.so.cache"}
    paths = {os.path.abspath(path) for path in paths if os.path.exists(path)}
    return sorted(path for path in paths
                  if not any(path.startswith(other.rstrip("/") + "/") for other in paths if other != path))


def _probe(kind: str, source: str, out_dir: str) -> dict:
    """What the child runs with and what it can reach, for the sandbox's own tests and an operator's
    check. The input may be JSON naming paths to open and list, (host, port) pairs to connect to
    and process ids to signal (signal 0: none is sent); the probe says only whether each worked
    (an errno name when not), never what it read."""
    try:
        with open(source, encoding="utf-8") as handle:
            asked = json.load(handle)
    except ValueError:
        asked = {}
    walls = sys.modules.get("walls")  # loaded when walled in
    return {
        "environ": dict(os.environ),
        "limits": {name: resource.getrlimit(getattr(resource, name))[0] for name in LIMITS},
        "open_fds": [fd for fd in range(resource.getrlimit(resource.RLIMIT_NOFILE)[0]) if _is_open(fd)],
        "cwd": os.getcwd(), "input": source, "output": out_dir,
        "modules": sorted(name for name in sys.modules if name.split(".")[0] in ("incidents", "flask", "peewee")),
        "pid": os.getpid(), "pgid": os.getpgid(0), "uid": os.getuid(), "gid": os.getgid(),
        "capabilities": walls.capabilities() if walls else None,
        "open": {path: _tried(lambda p=path: os.close(os.open(p, os.O_RDONLY))) for path in asked.get("open", [])},
        "list": {path: _tried(lambda p=path: os.listdir(p)) for path in asked.get("list", [])},
        "connect": {f"{host}:{port}": _tried(lambda a=(host, port): socket.create_connection(a, timeout=2).close())
                    for host, port in asked.get("connect", [])},
        "signal": {str(pid): _tried(lambda p=pid: os.kill(p, 0)) for pid in asked.get("signal", [])},
        "nested_namespace": _tried(lambda: walls.unshare(walls.CLONE_NEWUSER)) if walls else None,
    }


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _tried(action) -> str:
    try:
        action()
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error.errno)) if error.errno else type(error).__name__
    return "ok"


if __name__ == "__main__":
    # -I leaves the script's folder off sys.path; the modules beside it are the only ones added.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv))
