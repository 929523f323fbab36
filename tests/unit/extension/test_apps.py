"""The apps' jupyter-server-proxy servers: unix sockets only, and only apps the image has."""

import logging
import pathlib
import runpy
import stat
import xml.dom.minidom

import jupyter_server_proxy as jsp  # the test extra: the real package, as the image has
import pytest
import tornado.httputil
import tornado.web
from traitlets.config import Config, Configurable

from funicular.extension import apps

REPO = pathlib.Path(__file__).resolve().parents[3]
IMAGE_CONFIG = REPO / "deploy/images/notebook/apps/jupyter_server_config.py"


@pytest.fixture
def code_server(tmp_path):
    """A real executable file where code-server would be."""
    path = tmp_path / "code-server"
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return str(path)


def all_servers(code_server):
    return {"vscode": apps.vscode_server(code_server), apps.DESKTOP: apps.desktop_server()}


def test_every_app_is_on_a_unix_socket_only(code_server):
    for name, server in all_servers(code_server).items():
        assert server["unix_socket"] is True, name  # a new 0700 directory per app
        assert "port" not in server, name
        words = " ".join(server["command"])
        assert "{unix_socket}" in words, name
        assert "{port}" not in words and "{base_url}" not in words, name


def test_code_server_without_password_only_on_its_socket():
    argv = apps.code_server_argv("/x/code-server")
    pairs = dict(zip(argv[1::2], argv[2::2], strict=False))
    assert argv[0] == "/x/code-server"
    assert pairs["--socket"] == "{unix_socket}" and pairs["--socket-mode"] == "600"
    assert pairs["--auth"] == "none"
    assert pairs["--session-socket"] == "{unix_socket}.session"  # not in the home
    # the config file it writes on a first start holds a password: not in ~/.config
    assert pairs["--config"] == "{unix_socket}.config.yaml"
    # no /proxy/PORT of its own (a tenant's port served from the user's origin)
    assert {"--disable-proxy", "--disable-telemetry", "--disable-update-check"} <= set(argv)
    # no TCP address, and the user data where code-server keeps them (the home)
    assert not {"--bind-addr", "--port", "--host", "--user-data-dir", "--link"} & set(argv)


def test_desktop_runs_funicular_desktop_in_the_servers_python():
    server = apps.desktop_server(("startxfce4",))
    assert server["command"][1:] == ["-m", "funicular.extension.desktop", "{unix_socket}",
                                     "startxfce4"]
    assert server["raw_socket_proxy"] is True  # the websocket to VNC as it is
    # the noVNC page of jupyter-remote-desktop-proxy, which connects to this name
    assert apps.DESKTOP == "desktop-websockify"
    assert server["launcher_entry"]["path_info"] == "desktop"


def test_launcher_entries_have_titles_and_svg_icons(code_server):
    for server in all_servers(code_server).values():
        entry = server["launcher_entry"]
        assert entry["title"] in ("VS Code", "Desktop")
        icon = pathlib.Path(entry["icon_path"])
        assert icon.is_absolute() and icon.suffix == ".svg"
        assert xml.dom.minidom.parse(str(icon)).documentElement.tagName == "svg"


def test_only_apps_the_image_has(code_server, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no Xvnc
    assert list(apps.servers(code_server)) == ["vscode"]
    assert apps.servers(str(tmp_path / "missing")) == {}
    not_executable = tmp_path / "plain"
    not_executable.write_text("")
    assert stat.S_IMODE(not_executable.stat().st_mode) & 0o111 == 0
    assert apps.servers(str(not_executable)) == {}


def test_code_servers_temporary_sockets_go_to_its_private_directory():
    env = apps.vscode_server("/x/code-server")["environment"]
    assert env("/tmp/jupyter-server-proxy-abc/socket") == {
        "TMPDIR": "/tmp/jupyter-server-proxy-abc"}


def handler_for(web_app, path: str) -> str:
    request = tornado.httputil.HTTPServerRequest(
        start_line=tornado.httputil.RequestStartLine("GET", path, "HTTP/1.1"),
        headers=tornado.httputil.HTTPHeaders({"Host": "node"}))
    return web_app.find_handler(request).handler_class.__name__


@pytest.mark.parametrize("port_proxies", [True, False])
def test_no_port_proxies_only_the_named_apps(code_server, monkeypatch, port_proxies):
    """jupyter-server-proxy itself, loaded into a real Tornado application: its
    /proxy/PORT routes would serve a tenant's loopback port from the user's origin,
    with the user's cookies; after without_port_proxies only the apps are served."""
    monkeypatch.setattr(jsp, "setup_handlers", jsp.setup_handlers)  # restored after
    config = Config()
    config.ServerProxy.servers = {"vscode": apps.vscode_server(code_server)}
    server = Configurable(config=config)
    server.log = logging.getLogger("test")
    server.web_app = tornado.web.Application(base_url="/user/alice/")
    if not port_proxies:
        apps.without_port_proxies()
    jsp._load_jupyter_server_extension(server)
    assert handler_for(server.web_app, "/user/alice/vscode/") == "_Proxy"
    for path in ("proxy/8050/", "proxy/absolute/8050/", "proxy/localhost:8050/",
                 "proxy/absolute/127.0.0.1:8050/"):
        served = handler_for(server.web_app, f"/user/alice/{path}") != "ErrorHandler"
        assert served == port_proxies, path


def test_the_image_config_file_sets_the_servers(code_server, monkeypatch):
    """deploy/images/notebook/apps/jupyter_server_config.py, as Jupyter runs it."""
    monkeypatch.setattr(jsp, "setup_handlers", jsp.setup_handlers)  # it turns them off
    monkeypatch.setattr(apps, "CODE_SERVER", code_server)  # where this test put one
    config = Config()
    runpy.run_path(str(IMAGE_CONFIG), init_globals={"get_config": lambda: config})
    assert config.ServerProxy.servers["vscode"] == apps.vscode_server(code_server)
    assert jsp.setup_handlers is apps._no_port_proxies  # no /proxy/PORT
