"""funicular-desktop: what Xvnc is told (VNC on the unix socket only, X with a cookie,
a display of its own choice), and what it refuses to start in."""

import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import time

import pytest

from funicular.extension import desktop


def test_xvnc_serves_vnc_on_the_unix_socket_only():
    argv = desktop.xvnc_argv("/usr/bin/Xvnc", "/tmp/d/socket", "/tmp/d/Xauthority", 7)
    pairs = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert argv[0] == "/usr/bin/Xvnc"
    assert pairs["-rfbunixpath"] == "/tmp/d/socket" and pairs["-rfbunixmode"] == "0600"
    assert pairs["-rfbport"] == "-1"  # no VNC on TCP
    assert pairs["-nolisten"] == "tcp"  # no X on TCP
    assert pairs["-auth"] == "/tmp/d/Xauthority"  # X clients need the cookie
    assert pairs["-displayfd"] == "7"  # Xvnc picks a free display and says which
    assert pairs["-SecurityTypes"] == "None"  # only on the socket: Jupyter's auth
    # no fixed display number (":N") and nothing that would open a port
    assert not any(a.startswith(":") for a in argv)
    assert not {"-listen", "-localhost", "-interface", "-httpd", "-rfbport=5900"} & set(argv)


def test_xauthority_entry_is_a_wildcard_cookie():
    cookie = bytes(range(16))
    data = desktop.xauth_entry(cookie)
    (family,) = struct.unpack(">H", data[:2])
    fields, rest = [], data[2:]
    while rest:
        (n,) = struct.unpack(">H", rest[:2])
        fields.append(rest[2:2 + n])
        rest = rest[2 + n:]
    assert family == desktop.FAMILY_WILD
    assert fields == [b"", b"", b"MIT-MAGIC-COOKIE-1", cookie]


def test_session_env_points_at_the_display_and_cookie():
    env = desktop.session_env({"HOME": "/home/a", "DISPLAY": ":9", "WAYLAND_DISPLAY": "w"},
                              3, "/tmp/d/Xauthority")
    assert env == {"HOME": "/home/a", "DISPLAY": ":3", "XAUTHORITY": "/tmp/d/Xauthority"}


@pytest.mark.parametrize("data,display", [(b"0\n", 0), (b"12\n", 12), (b" 5 \n", 5)])
def test_display_number(data, display):
    assert desktop.parse_display(data) == display


@pytest.mark.parametrize("data", [b"\n", b"x\n", b"-1\n", b"\xd9\xa3\n", b"123456\n"])
def test_no_display_number(data):
    with pytest.raises(desktop.Refused):
        desktop.parse_display(data)


def test_display_is_read_from_the_pipe():
    r, w = os.pipe()
    try:
        os.write(w, b"4")
        os.write(w, b"\n")
        assert desktop.read_display(r, 5) == 4
    finally:
        os.close(r)
        os.close(w)


def test_xvnc_gone_before_a_display_is_a_refusal():
    r, w = os.pipe()
    os.close(w)  # EOF: the writer (Xvnc) has exited
    try:
        with pytest.raises(desktop.Refused, match="exited"):
            desktop.read_display(r, 5)
    finally:
        os.close(r)


def test_private_directory(tmp_path):
    d = tmp_path / "d"
    d.mkdir(mode=0o700)
    desktop.check_private(str(d))
    d.chmod(0o750)
    with pytest.raises(desktop.Refused, match="not private"):
        desktop.check_private(str(d))
    link = tmp_path / "link"
    d.chmod(0o700)
    link.symlink_to(d)
    with pytest.raises(desktop.Refused, match="not a directory"):
        desktop.check_private(str(link))
    with pytest.raises(desktop.Refused):
        desktop.check_private(str(tmp_path / "missing"))


def test_a_shared_directory_starts_nothing(tmp_path):
    d = tmp_path / "shared"
    d.mkdir()
    d.chmod(0o1777)
    assert desktop.main([str(d / "socket")]) == 0  # refused, and not restarted
    assert list(d.iterdir()) == []  # no cookie written, nothing started


def test_x11_sockets_directory_of_another_user_starts_nothing(tmp_path):
    desktop.check_x11_unix(str(tmp_path / "missing"))  # Xvnc makes it
    mine = tmp_path / "mine"
    mine.mkdir()
    desktop.check_x11_unix(str(mine))
    if os.geteuid() == 0:  # as root: a directory of another uid can be made
        theirs = tmp_path / "theirs"
        theirs.mkdir()
        os.chown(theirs, 4321, 4321)
        with pytest.raises(desktop.Refused, match="belongs to uid 4321"):
            desktop.check_x11_unix(str(theirs))
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    with pytest.raises(desktop.Refused):
        desktop.check_x11_unix(str(not_a_dir))


def test_cookie_file_is_private_and_replaced(tmp_path):
    path = tmp_path / "Xauthority"
    path.write_bytes(b"old")
    desktop.write_private(str(path), b"new")
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o777 == 0o600
    target = tmp_path / "elsewhere"
    path.unlink()
    path.symlink_to(target)  # replaced, never followed
    desktop.write_private(str(path), b"x")
    assert not target.exists() and not path.is_symlink()


def test_only_a_stale_socket_is_removed(tmp_path):
    sock_path = tmp_path / "socket"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(sock_path))
    s.close()
    desktop.remove_stale_socket(str(sock_path))
    assert not sock_path.exists()
    sock_path.write_text("a file")
    desktop.remove_stale_socket(str(sock_path))
    assert sock_path.read_text() == "a file"
    desktop.remove_stale_socket(str(tmp_path / "none"))


def test_usage():
    assert desktop.main([]) == 2
    assert desktop.main(["--help"]) == 2


def test_stop_ends_the_server_and_the_session_group():
    plain = subprocess.Popen(["sleep", "60"])
    session = desktop.start_session(["sh", "-c", "sleep 60 & wait"], dict(os.environ))
    desktop.stop([plain, session])
    assert plain.returncode == -signal.SIGTERM
    assert session.returncode == -signal.SIGTERM
    with pytest.raises(ProcessLookupError):  # the group: what the session started too
        for _ in range(1000):  # until init has reaped the sleep
            os.killpg(session.pid, 0)
            time.sleep(0.01)


@pytest.mark.skipif(not any(map(shutil.which, desktop.XVNC)), reason="no TigerVNC Xvnc here")
def test_vnc_answers_on_the_socket_only(tmp_path):
    """A real Xvnc: the RFB greeting on the unix socket, which is the user's alone."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    rfb = private / "socket"
    proc = subprocess.Popen([sys.executable, "-m", "funicular.extension.desktop", str(rfb),
                             "sleep", "600"])
    try:
        for _ in range(600):  # until it listens (or ends)
            if rfb.exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert stat.S_IMODE(rfb.stat().st_mode) == 0o600
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(rfb))
            assert s.recv(12) == b"RFB 003.008\n"
        assert (private / "Xauthority").stat().st_mode & 0o077 == 0
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
