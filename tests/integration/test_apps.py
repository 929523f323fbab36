"""VS Code and the desktop in the notebook's job (docs/apps.md), through the hub's proxy:
behind the user's login, and on unix sockets only, so that another tenant of the node
(mallory, in the node's network namespace) reaches nothing of them."""

import base64
import os
import re
import socket
import struct
import urllib.parse

import requests

from .harness import run, wait_for

X_SETUP = b"l\0" + struct.pack("<HHHH", 11, 0, 0, 0) + b"\0\0"  # X11, no authorization


def websocket_first_message(url: str, token: str | None) -> tuple[str, bytes]:
    """A websocket handshake at ``url`` (the proxy's): its status line and, if it
    switched protocols, the first message the other end sends."""
    u = urllib.parse.urlsplit(url)
    request = (f"GET {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n")
    if token:
        request += f"Authorization: token {token}\r\n"
    with socket.create_connection((u.hostname, u.port), timeout=60) as s:
        s.sendall((request + "\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status = head.split(b"\r\n")[0].decode()
        if " 101 " not in status:
            return status, b""
        while len(rest) < 2 or len(rest) < 2 + (rest[1] & 0x7F):
            rest += s.recv(4096)
        return status, rest[2:2 + (rest[1] & 0x7F)]


def in_node(node: str, *argv: str, user: str | None = None):
    who = ("runuser", "-u", user, "--") if user else ()
    return run("ip", "netns", "exec", f"funi-{node}", *who, *argv, check=False, cwd="/tmp")


def test_apps_are_behind_the_login_and_on_unix_sockets_only(hub):
    hub.spawn("alice")
    state = hub.wait_ready("alice")["state"]
    node = run("squeue", "-h", "-j", state["job_id"], "-o", "%B").stdout.strip()
    alice, bob = hub.user_token("alice"), hub.user_token("bob")

    info = hub.as_user("GET", "alice", "server-proxy/servers-info", alice).json()
    assert {p["name"] for p in info["server_processes"]} == {"vscode", "desktop-websockify"}

    # VS Code: code-server's workbench, for alice only
    page = hub.as_user("GET", "alice", "vscode/", alice, timeout=120)
    if page.status_code == 302:  # to the folder alice had open last (code-server keeps it)
        location = page.headers["Location"]
        assert location.startswith("./?folder="), location
        page = hub.as_user("GET", "alice", "vscode/" + location[2:], alice, timeout=120)
    assert page.status_code == 200 and "vscode-workbench-web-configuration" in page.text
    assert hub.as_user("GET", "alice", "vscode/", bob).status_code == 403
    anonymous = requests.get(hub.url + "user/alice/vscode/", allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302 and "/hub/" in anonymous.headers["Location"]

    # no proxy to a port of the node's loopback, where any tenant may listen: it would
    # serve them from alice's origin with her cookies (jupyter-server-proxy's and
    # code-server's own /proxy/PORT are off)
    for path in ("proxy/8050/", "proxy/absolute/8050/", "proxy/localhost:8050/",
                 "vscode/proxy/8050/", "vscode/absproxy/8050/"):
        r = hub.as_user("GET", "alice", path, alice)
        if r.status_code == 302 and r.headers["Location"].endswith(f"/{path.rstrip('/')}"):
            # Jupyter's answer to a path no route has: the same without the slash
            r = hub.as_user("GET", "alice", path.rstrip("/"), alice)
        assert r.status_code in (403, 404), (path, r.status_code)

    # the desktop: the noVNC page, and the websocket to VNC for alice only
    assert hub.as_user("GET", "alice", "desktop/", alice).status_code == 200
    ws = hub.url + "user/alice/desktop-websockify/"
    status, first = websocket_first_message(ws, alice)
    assert " 101 " in status and first.startswith(b"RFB 003."), (status, first)
    assert " 403 " in websocket_first_message(ws, bob)[0]
    assert " 101 " not in websocket_first_message(ws, None)[0]

    # on the node: no TCP listener of the apps; their sockets in private directories
    tcp = in_node(node, "ss", "-Htlnp").stdout
    assert not re.search(r'"(node|Xvnc|Xtigervnc|code-server)"', tcp), tcp
    unix = in_node(node, "ss", "-Hxlp").stdout
    assert re.search(r'/tmp/jupyter-server-proxy-\S+/socket\s.*"node"', unix), unix
    assert re.search(r'/tmp/jupyter-server-proxy-\S+/socket\s.*"Xvnc"', unix), unix

    # X: the abstract socket any tenant of the node can reach wants the desktop's cookie
    display = re.search(r'@/tmp/\.X11-unix/X(\d+)\s.*"Xvnc"', unix)
    assert display, unix
    probe = ("import socket, sys\n"
             "s = socket.socket(socket.AF_UNIX); s.settimeout(10)\n"
             f"s.connect('\\0/tmp/.X11-unix/X{display.group(1)}')\n"
             f"s.sendall({X_SETUP!r})\n"
             "print(s.recv(1)[0])\n")
    res = in_node(node, "python3", "-c", probe, user="mallory")
    assert res.returncode == 0 and res.stdout.strip() == "0", res  # 0: Failed

    hub.stop_server("alice")
    wait_for(lambda: not run("pgrep", "-u", "alice", "-x", "Xvnc", check=False).stdout, 60,
             "alice's desktop to end with her server")
