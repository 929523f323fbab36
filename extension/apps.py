"""The apps in the job (docs/apps.md): VS Code and a desktop, next to JupyterLab, as
jupyter-server-proxy servers under the user's server and behind its authentication.

An image turns them on in a ``jupyter_server_config.py`` of the server's environment
(``deploy/images/notebook/apps/jupyter_server_config.py``)::

    c.ServerProxy.servers = funicular.extension.apps.servers()

Every app listens on a unix socket only, in a directory of mode 0700 that
jupyter-server-proxy makes for it (``unix_socket: True``: ``mkdtemp`` under $TMPDIR)
and names in ``{unix_socket}``. Other users' jobs share the node's loopback: an app
without a password of its own (code-server's ``--auth none``, VNC's ``None``) on a TCP
port there would be a shell as the user for all of them. Nothing here is a ``{port}``.

An app whose program the image lacks is left out (no launcher entry for it).
"""

import os
import shutil
import sys
from pathlib import Path

CODE_SERVER = "/opt/code-server/bin/code-server"  # deploy/images/notebook/apps/build-apps.sh
XVNC = ("Xvnc", "Xtigervnc")  # what funicular-desktop runs (desktop.py)
ICONS = Path(__file__).resolve().parent / "icons"
# jupyter-remote-desktop-proxy's noVNC page (/desktop/) connects to ../desktop-websockify/
DESKTOP = "desktop-websockify"
SOCKET = "{unix_socket}"  # jupyter-server-proxy's substitution


def code_server_argv(code_server: str = CODE_SERVER) -> list[str]:
    """code-server on the socket only (``--socket`` instead of ``--bind-addr``), mode
    0600; ``--auth none`` because the server in front has checked the user. Its user
    data stay where code-server keeps them, ~/.local/share/code-server; its session
    socket goes beside the socket, not into a home that may be on a network file
    system. No telemetry, no update check."""
    return [code_server, "--socket", SOCKET, "--socket-mode", "600",
            "--session-socket", SOCKET + ".session", "--auth", "none",
            # the config it writes on a first start (a password for a TCP port) goes
            # beside the socket, not into ~/.config where others may read it
            "--config", SOCKET + ".config.yaml",
            # its own /proxy/PORT and /absproxy/PORT: see without_port_proxies
            "--disable-proxy", "--disable-telemetry", "--disable-update-check"]


def _private_tmp(unix_socket: str) -> dict[str, str]:
    """code-server's other sockets (its CLI's IPC socket, which can install extensions;
    git's askpass) go to TMPDIR: the socket's private directory, not a /tmp that a
    node's tenants may share."""
    return {"TMPDIR": os.path.dirname(unix_socket)}


def without_port_proxies() -> None:
    """Turn off jupyter-server-proxy's ``/proxy/PORT`` and ``/proxy/HOST:PORT`` routes,
    which it adds for every port with no setting to stop it. On a node that tenants
    share, whoever listens on a loopback port would be served from the user's origin
    with the user's cookies (the jupyterhub-user cookie, _xsrf): their session, a
    terminal as them. Only the named apps on unix sockets remain. Fails loudly if the
    package changed, rather than leaving the routes on."""
    import jupyter_server_proxy

    if not callable(getattr(jupyter_server_proxy, "setup_handlers", None)):
        raise RuntimeError("jupyter_server_proxy.setup_handlers is gone: the port "
                           "proxies cannot be turned off (extension/apps.py)")
    jupyter_server_proxy.setup_handlers = _no_port_proxies


def _no_port_proxies(web_app, serverproxy_config) -> None:
    """jupyter_server_proxy.setup_handlers adds the port proxies and nothing else."""


def desktop_argv(python: str = sys.executable, session: tuple[str, ...] = ()) -> list[str]:
    """funicular-desktop (desktop.py) with the socket for VNC, in the server's Python."""
    return [python, "-m", "funicular.extension.desktop", SOCKET, *session]


def vscode_server(code_server: str = CODE_SERVER) -> dict:
    return {
        "command": code_server_argv(code_server),
        "environment": _private_tmp,
        "unix_socket": True,
        "timeout": 60,
        "new_browser_tab": True,
        "launcher_entry": {"title": "VS Code", "icon_path": str(ICONS / "vscode.svg")},
    }


def desktop_server(session: tuple[str, ...] = ()) -> dict:
    """The VNC socket, to which the server passes the noVNC page's websocket as it is
    (``raw_socket_proxy``: no websockify); the launcher opens the page."""
    return {
        "command": desktop_argv(session=session),
        "unix_socket": True,
        "raw_socket_proxy": True,
        "timeout": 30,
        "new_browser_tab": True,
        "launcher_entry": {"title": "Desktop", "path_info": "desktop",
                           "icon_path": str(ICONS / "desktop.svg")},
    }


def _has_desktop_page() -> bool:
    try:
        import jupyter_remote_desktop_proxy  # noqa: F401  (its page and noVNC client)
    except ImportError:
        return False
    return True


def servers(code_server: str | None = None, session: tuple[str, ...] = ()) -> dict[str, dict]:
    """``c.ServerProxy.servers`` for the apps this image has: ``vscode`` if
    ``code_server`` (default CODE_SERVER) is an executable, the desktop if Xvnc is on
    PATH and jupyter-remote-desktop-proxy's page is installed. ``session``: the desktop
    session's command (default: IceWM)."""
    code_server = code_server or CODE_SERVER
    out = {}
    if os.access(code_server, os.X_OK):
        out["vscode"] = vscode_server(code_server)
    if any(shutil.which(name) for name in XVNC) and _has_desktop_page():
        out[DESKTOP] = desktop_server(session)
    return out
