"""``funicular-desktop SOCKET [SESSION...]``: a desktop in the browser (docs/apps.md).

jupyter-server-proxy starts it for the "Desktop" (``apps.py``, server
``desktop-websockify``) with SOCKET, a path in a directory it has just made for it
(``mkdtemp``: mode 0700, a random name under $TMPDIR), and passes the user's
authenticated websocket through to that socket; jupyter-remote-desktop-proxy's noVNC
page at ``/desktop/`` is the viewer. It runs TigerVNC's Xvnc and, on its display, the
desktop session (SESSION, by default IceWM), again whenever the session ends.

Other users of the node share its loopback, its network namespace (so its abstract
unix sockets) and maybe its /tmp. What they can reach of this desktop:

- VNC: nothing. Xvnc serves it on SOCKET only (``-rfbunixpath``, mode 0600;
  ``-rfbport -1``: no TCP port), so VNC's "no authentication" there leaves it to
  Jupyter's: only the user's own server connects. SOCKET's directory must be the
  user's alone, or nothing starts.
- X: no TCP (``-nolisten tcp``); its unix sockets (/tmp/.X11-unix/XN, and the
  abstract one, which any process of the node can connect to) ask for a cookie:
  ``-auth``, a fresh random MIT-MAGIC-COOKIE-1 in a file in SOCKET's directory.
- Display numbers: ``-displayfd``: Xvnc takes the first display whose lock file and
  sockets (file and abstract) are all free and says which. Another tenant's X server,
  or a process holding an abstract name to catch this desktop's clients, moves it to
  the next number instead of breaking it or receiving its windows.
"""

import os
import secrets
import select
import shutil
import signal
import stat
import struct
import subprocess
import sys
import time

XVNC = ("Xvnc", "Xtigervnc")  # Debian: Xvnc is an alternative for Xtigervnc
SESSION = ("icewm-session",)
GEOMETRY = "1680x1050"  # the noVNC page resizes it to the browser window
START_TIMEOUT = 30.0  # seconds for Xvnc to have a display
STOP_TIMEOUT = 5.0  # seconds from SIGTERM to SIGKILL
MIN_SESSION = 10.0  # a session that ends sooner is not started again
POLL = 0.5  # seconds between looks at Xvnc and the session
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
COOKIE = b"MIT-MAGIC-COOKIE-1"
FAMILY_WILD = 0xFFFF  # an Xauthority entry for any host and any display number


class Refused(Exception):
    """The desktop does not start: why, for the server's log."""


class Stopped(Exception):
    """SIGTERM, SIGINT or SIGHUP: the server stops the desktop."""


def xauth_entry(cookie: bytes) -> bytes:
    """One Xauthority entry: ``cookie`` as MIT-MAGIC-COOKIE-1 for any display (the
    display number is Xvnc's choice, known only once it runs; the file is private)."""
    def counted(data: bytes) -> bytes:
        return struct.pack(">H", len(data)) + data
    return struct.pack(">H", FAMILY_WILD) + counted(b"") + counted(b"") + counted(COOKIE) \
        + counted(cookie)


def xvnc_argv(xvnc: str, rfb_socket: str, auth_file: str, displayfd: int) -> list[str]:
    """Xvnc on a display of its choice, VNC on ``rfb_socket`` only, X with a cookie."""
    return [xvnc, "-displayfd", str(displayfd), "-auth", auth_file,
            "-rfbunixpath", rfb_socket, "-rfbunixmode", "0600", "-rfbport", "-1",
            "-SecurityTypes", "None", "-nolisten", "tcp",
            "-geometry", GEOMETRY, "-depth", "24", "-desktop", "Desktop"]


def session_env(env: dict[str, str], display: int, auth_file: str) -> dict[str, str]:
    """The server's environment for the session, on this desktop's display."""
    out = {k: v for k, v in env.items() if k != "WAYLAND_DISPLAY"}
    out.update(DISPLAY=f":{display}", XAUTHORITY=auth_file)
    return out


def parse_display(data: bytes) -> int:
    """What Xvnc writes to the -displayfd pipe: the display number and a newline."""
    text = data.decode("ascii", "replace").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 5:
        raise Refused(f"Xvnc gave no display number ({data[:40]!r})")
    return int(text)


def check_private(directory: str) -> None:
    """``directory`` is a real directory of this user that no one else may enter."""
    try:
        st = os.lstat(directory)
    except OSError as e:
        raise Refused(f"{directory}: {e.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise Refused(f"{directory} is not a directory")
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise Refused(f"{directory} is not private (uid {st.st_uid}, mode "
                      f"{stat.S_IMODE(st.st_mode):o}): the VNC socket must be the user's alone")


X11_UNIX = "/tmp/.X11-unix"


def check_x11_unix(path: str = X11_UNIX) -> None:
    """The directory of X's file sockets, if there is one, is root's (a node's shared
    /tmp, made sticky by the system) or this user's (a private /tmp, where Xvnc makes
    it). Another tenant's would let them put a socket where a client that tries the
    file before the abstract name sends this desktop's cookie."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode) or st.st_uid not in (0, os.getuid()):
        raise Refused(f"{path} belongs to uid {st.st_uid}: another user's X sockets "
                      "directory; the desktop does not start beside it")
    if st.st_uid != os.getuid() and st.st_mode & 0o1002 == 0o0002:
        raise Refused(f"{path} is writable by all without the sticky bit")


def write_private(path: str, data: bytes) -> None:
    """``data`` into a new file ``path`` (mode 0600), replacing one a last run left."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def remove_stale_socket(path: str) -> None:
    """A socket that a last run left at ``path``; anything else there stays."""
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass


def read_display(fd: int, timeout: float) -> int:
    """The display number from the -displayfd pipe, once Xvnc listens; EOF (Xvnc has
    exited) or ``timeout`` seconds without it is a refusal."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Refused(f"Xvnc had no display after {timeout:.0f} s")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                raise Refused("Xvnc exited before it had a display (its messages are above)")
            data += chunk
    return parse_display(data)


def stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to each (to the whole group of one that leads a process group of its own:
    the session), SIGKILL to what is left after STOP_TIMEOUT seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in procs:
            if p.poll() is None:
                try:
                    if os.getpgid(p.pid) == p.pid:
                        os.killpg(p.pid, sig)
                    else:
                        p.send_signal(sig)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + STOP_TIMEOUT
        for p in procs:
            try:
                p.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        if all(p.poll() is not None for p in procs):
            return


def start_session(argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    """The session in a process group of its own, to be stopped as a whole."""
    return subprocess.Popen(argv, env=env, cwd=env.get("HOME") or None,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def say(message: str) -> None:
    print(f"funicular-desktop: {message}", file=sys.stderr, flush=True)


def run(rfb_socket: str, session: list[str]) -> int:
    """Xvnc, and the session on its display, until Xvnc ends: 1, so that the server
    starts a new desktop."""
    private = os.path.dirname(rfb_socket)
    check_private(private)
    check_x11_unix()
    xvnc = next((path for path in map(shutil.which, XVNC) if path), None)
    if xvnc is None:
        raise Refused(f"no X VNC server ({' or '.join(XVNC)}) on PATH")
    if shutil.which(session[0]) is None:
        raise Refused(f"no {session[0]} on PATH for the desktop session")
    auth_file = os.path.join(private, "Xauthority")
    write_private(auth_file, xauth_entry(secrets.token_bytes(16)))
    remove_stale_socket(rfb_socket)
    procs: list[subprocess.Popen] = []
    read_end, write_end = os.pipe()
    try:
        xserver = subprocess.Popen(xvnc_argv(xvnc, rfb_socket, auth_file, write_end),
                                   pass_fds=(write_end,), stdin=subprocess.DEVNULL)
        procs.append(xserver)
        os.close(write_end)
        write_end = -1
        display = read_display(read_end, START_TIMEOUT)
        say(f"display :{display}, VNC on {rfb_socket} only")
        env = session_env(dict(os.environ), display, auth_file)
        current, started, again = None, 0.0, True
        while xserver.poll() is None:
            if current is None and again:
                current, started = start_session(session, env), time.monotonic()
                procs.append(current)
            elif current is not None and current.poll() is not None:
                procs.remove(current)
                if time.monotonic() - started < MIN_SESSION:
                    say(f"the session ({session[0]}) ended at once, status "
                        f"{current.returncode}: not started again")
                    again = False
                else:
                    say(f"the session ended, status {current.returncode}: a new one")
                current = None
            time.sleep(POLL)
        say(f"Xvnc ended, status {xserver.returncode}")
        return 1
    finally:
        for sig in STOP_SIGNALS:  # the clean-up runs to its end
            signal.signal(sig, signal.SIG_IGN)
        if write_end >= 0:
            os.close(write_end)
        os.close(read_end)
        stop(procs)


def _stopped(signum, frame):
    raise Stopped


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0].startswith("-"):
        print("usage: funicular-desktop SOCKET [SESSION...]", file=sys.stderr)
        return 2
    before = {sig: signal.signal(sig, _stopped) for sig in STOP_SIGNALS}
    try:
        return run(os.path.abspath(args[0]), args[1:] or list(SESSION))
    except Refused as e:
        say(str(e))
        # 0: jupyter-server-proxy (simpervisor) starts again at once, without end, what
        # exits otherwise; a desktop that cannot start would start and fail in a loop
        return 0
    except Stopped:
        return 0
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
