"""The decoder's walls: Linux namespaces the worker raises around itself before it reads a byte.

Run only inside the worker (standard library only; ``ctypes`` because Python 3.11 has no
``os.unshare``), needing no privilege and no package: the kernel's unprivileged user namespaces.
After ``enter``, a fork, and ``wall_in`` in the forked child, that child

- is in a new user namespace that maps only its own uid and gid (what it writes in /out belongs
  to the app's user), and holds no capability once the walls stand, nor can it gain one again
  (no_new_privs, empty bounding set), nor make a user namespace of its own (their number is
  capped at 0 inside): it cannot remount, unmount or mount its way out;
- is pid 1 of a new pid namespace, with no /proc: it can name, signal or trace no process
  outside, the web worker of the same uid (whose memory holds every key) included;
- has new network, IPC and UTS namespaces: no interface but a loopback that is down, so no TCP,
  no UDP and no abstract Unix socket; no shared memory of the host; not even the host's name;
- has a new root: an empty, read-only tmpfs holding, read-only, /usr and the interpreter's
  prefixes (the code it runs, nothing secret), ``/etc/ld.so.cache``, the working copy at
  ``/in/file`` and, writable, its out folder at ``/out``. The instance folder and its keys, the
  database, the store's other originals, /etc, /home and /proc are not there at all.
"""
import ctypes
import os
import signal

IN_FILE, OUT_DIR = "/in/file", "/out"
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = 1024, 2048, 4096, 16384, 1 << 18, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
CAPABILITY_VERSION_3 = 0x20080522
# pivot_root has no glibc wrapper. On another architecture the walls are not raised (fail closed).
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
# A mount's flags as statvfs reports them, and as mount takes them: a remount inside a user
# namespace must repeat the flags the host locked on the mount (nosuid, noexec, atime...), or fail.
LOCKED = {os.ST_RDONLY: MS_RDONLY, os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC,
          os.ST_NOATIME: MS_NOATIME, os.ST_NODIRATIME: MS_NODIRATIME, os.ST_RELATIME: MS_RELATIME}
# Where a distribution keeps libraries outside /usr, or links them into it (Debian: /lib -> usr/lib).
LIBRARY_ROOTS = ("/lib", "/lib64")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_libc.syscall.restype = ctypes.c_long


class Unavailable(Exception):
    """The kernel will not give this process a user namespace (a sysctl, a container's policy)."""


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def enter() -> None:
    """New namespaces for this process, its uid and gid mapped to themselves. Raises Unavailable.

    The caller forks next: only its child is in the new pid namespace (as pid 1), and the child
    raises the walls (``wall_in``) while the caller waits for it (``relay``).
    """
    if os.uname().machine not in SYS_PIVOT_ROOT:
        raise Unavailable(f"no pivot_root known on {os.uname().machine}")
    # A web worker killed mid-request (a server's timeout) takes its decoder with it: an orphan
    # would go on for minutes, and the next request would start another.
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
    uid, gid = os.getuid(), os.getgid()
    try:
        unshare(NAMESPACES)
        _write("/proc/self/setgroups", "deny")  # the kernel's condition for an unprivileged gid_map
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        # No user namespace inside this one: one would give back every capability over namespaces
        # of its own (a network namespace to configure is where many kernel exploits start).
        _write("/proc/sys/user/max_user_namespaces", "0")
    except OSError as error:
        raise Unavailable(str(error)) from error


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def relay(child: int) -> int:
    """Wait for the walled child and end as it ended: with its exit code, or killed by its signal."""
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        if -code != signal.SIGKILL:  # whose action cannot be changed (nor needs to be)
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code  # a signal this process cannot die of (none expected)
    return code


def wall_in(source: str, out_dir: str, shown: list) -> tuple[str, str]:
    """Move into a new root holding only ``shown`` (read-only), ``source`` and ``out_dir``, then drop
    every capability. Returns the paths of ``source`` and ``out_dir`` inside: IN_FILE, OUT_DIR."""
    shown_real = [os.path.realpath(path) for path in shown]
    for path in (source, out_dir):
        inside = [other for other in shown_real if os.path.realpath(path).startswith(other.rstrip("/") + "/")]
        if inside:  # then the evidence store (and perhaps the instance) would be shown with it
            raise ValueError(f"the evidence store is inside {inside[0]}, which the sandbox shows")
    # Pid 1 here dies with the process waiting for it, which the parent kills on a timeout: no
    # walled process outlives its task, even one that left the parent's process group.
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here reaches the host, nor back
    root = os.path.abspath("walls")  # in the private folder the parent made for this task
    os.mkdir(root, 0o700)
    _mount(b"tmpfs", root, b"tmpfs", MS_NOSUID | MS_NODEV, b"size=64k,nr_inodes=512,mode=0755")
    for path in shown:
        _bind(path, root + path, MS_RDONLY)
    for path in LIBRARY_ROOTS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            _bind(path, root + path, MS_RDONLY)
    _bind(source, root + IN_FILE, MS_RDONLY | MS_NOEXEC)
    _bind(out_dir, root + OUT_DIR, MS_NOEXEC)
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(root)
    # The old root goes under the new one, then is detached: no path and no descriptor leads back.
    _check(_libc.syscall(ctypes.c_long(SYS_PIVOT_ROOT[os.uname().machine]), b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount")
    os.chdir("/")
    _drop_capabilities()
    os.environ.update(HOME=OUT_DIR, TMPDIR=OUT_DIR)
    return IN_FILE, OUT_DIR


def _mount(source, target, kind, flags: int, data=None) -> None:
    target = target.encode() if isinstance(target, str) else target
    source = source.encode() if isinstance(source, str) else source
    _check(_libc.mount(source, target, kind, flags, data), f"mount {target!r}")


def _bind(source: str, target: str, flags: int) -> None:
    """``source`` shown at ``target``, with ``flags`` (always nosuid, nodev), its submounts left out."""
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    _mount(source, target, None, MS_BIND)
    locked = os.statvfs(target).f_flag
    flags |= sum(flag for kept, flag in LOCKED.items() if locked & kept)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | flags)


def _drop_capabilities() -> None:
    """No capability left, none to be had again: no remount of the read-only views, no new mount."""
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    for capability in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            break  # past the kernel's last capability
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    empty = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable; two words each
    _check(_libc.capset(header, empty), "capset")


def capabilities() -> list:
    """This process's effective, permitted and inheritable sets (two words each), for the probe."""
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    sets = (ctypes.c_uint32 * 6)()
    _check(_libc.capget(header, sets), "capget")
    return list(sets)
