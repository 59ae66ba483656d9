"""The decoder's side of the sandbox: one task on one working copy, then exit.

Run only by ``sandbox.run`` as a script of a fresh interpreter (``python -I worker.py``), never
imported by the app, and it imports nothing of the app: only the standard library, Pillow and
PyAV. So the process that parses a hostile file holds no key, no database connection and no
configuration, and the limits below are in force before any byte of the file is read.

    worker.py TASK KIND INPUT OUTPUT_DIR LIMITS_JSON

writes its files and ``result.json`` into OUTPUT_DIR. Any exception, signal or limit is a
failure; the parent decides what that means.
"""
import json
import os
import resource
import sys


def _limit(limits: dict) -> None:
    """Memory, CPU time, file size, open files; and no core file that would hold decoded pixels."""
    for name, value in (("RLIMIT_AS", limits["memory"]), ("RLIMIT_CPU", limits["cpu"]),
                        ("RLIMIT_FSIZE", limits["file_size"]), ("RLIMIT_NOFILE", limits["open_files"]),
                        ("RLIMIT_CORE", 0)):
        # A hard limit of CPU time one second above the soft one: SIGXCPU first, SIGKILL after.
        hard = value + 1 if name == "RLIMIT_CPU" else value
        resource.setrlimit(getattr(resource, name), (value, hard))


def main(argv: list) -> int:
    task, kind, source, out_dir, limits = argv[1], argv[2], argv[3], argv[4], json.loads(argv[5])
    _limit(limits)
    if task == "probe":
        result = _probe()
    else:
        from decoders import TASKS  # Pillow and PyAV load only once the limits hold
        result = TASKS[task](kind, source, out_dir)
    with open(os.path.join(out_dir, "result.json"), "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


def _probe() -> dict:
    """What the child runs with, for the sandbox's own tests and an operator's check."""
    return {
        "environ": dict(os.environ),
        "limits": {name: resource.getrlimit(getattr(resource, name))[0]
                   for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE")},
        "open_fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
        "cwd": os.getcwd(),
        "modules": sorted(name for name in sys.modules if name.split(".")[0] in ("incidents", "flask", "peewee")),
        "pid": os.getpid(), "pgid": os.getpgid(0),
    }


if __name__ == "__main__":
    # -I leaves the script's folder off sys.path; the tasks beside it are the only module added.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv))
