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
            "--disable-telemetry", "--disable-update-check"]


def desktop_argv(python: str = sys.executable, session: tuple[str, ...] = ()) -> list[str]:
    """funicular-desktop (desktop.py) with the socket for VNC, in the server's Python."""
    return [python, "-m", "funicular.extension.desktop", SOCKET, *session]


def vscode_server(code_server: str = CODE_SERVER) -> dict:
    return {
        "command": code_server_argv(code_server),
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
