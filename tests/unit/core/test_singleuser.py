"""funicular-singleuser's report to the hub, against a real local HTTP server."""

import errno
import http.server
import json
import socket
import threading

import pytest

from funicular.core import hubapi, singleuser


@pytest.fixture
def hub():
    """A tiny HTTP server standing in for the hub's address endpoint: records requests."""
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers["Authorization"], json.loads(body)))
            ok = self.headers["Authorization"] == "token good"
            self.send_response(200 if ok else 403)
            self.end_headers()
            if ok:
                self.wfile.write(b'{"status": "ok", "end_time": 1900000000}')

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hub/api", seen
    srv.shutdown()


def test_report_sends_only_host_and_port(hub, monkeypatch):
    url, seen = hub
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    assert singleuser.report(hubapi.HubClient(url, "good"), "10.0.0.5", 40000) == \
        (200, {"status": "ok", "end_time": 1900000000})
    assert seen == [("/hub/api" + hubapi.ROUTE_ADDRESS, "token good",
                     {"host": "10.0.0.5", "port": 40000})]
    assert singleuser.report(hubapi.HubClient(url, "stale"), "10.0.0.5", 40000) == (403, {})


def test_a_job_says_which_job_it_is(hub, monkeypatch):
    url, seen = hub
    monkeypatch.setenv("SLURM_JOB_ID", "4711")
    singleuser.report(hubapi.HubClient(url, "good"), "10.0.0.5", 40000)
    assert seen[-1][2] == {"host": "10.0.0.5", "port": 40000, "job_id": "4711"}


def test_report_unreachable_hub():
    hub = hubapi.HubClient("http://127.0.0.1:9/hub/api", "t", timeout=2)
    assert singleuser.report(hub, "h", 1) == (0, {})


def test_main_rereads_env_file_until_accepted(hub, tmp_path, monkeypatch):
    """A stale token is retried with whatever the env file holds next (hub restart case)."""
    url, seen = hub
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    env_path = tmp_path / "env"
    env_path.write_text(f"JUPYTERHUB_API_URL={url}\nJUPYTERHUB_API_TOKEN=stale\n")
    served = []
    monkeypatch.setattr(singleuser.os, "environ", dict(singleuser.os.environ))
    monkeypatch.setattr(singleuser, "run_server", lambda sock, args: served.append((sock, args)))
    monkeypatch.setattr(singleuser.signal, "signal", lambda *a: None)

    def sleep(_):  # the hub rewrites the file while the job waits
        env_path.write_text(f"JUPYTERHUB_API_URL={url}\nJUPYTERHUB_API_TOKEN=good\n"
                            "JUPYTERHUB_SERVICE_PREFIX=/user/alice/\n")

    monkeypatch.setattr(singleuser.time, "sleep", sleep)
    monkeypatch.setattr(singleuser, "node_address", lambda _: "127.0.0.1")
    singleuser.main(["--env-file", str(env_path), "--", "--debug"])
    assert [s[1] for s in seen] == ["token stale", "token good"]
    (sock, args), = served
    assert args == ["--debug"]
    assert singleuser.os.environ["JUPYTERHUB_API_TOKEN"] == "good"
    assert singleuser.os.environ[hubapi.JOB_END_TIME] == "1900000000"
    port = seen[-1][2]["port"]
    assert singleuser.os.environ["JUPYTERHUB_SERVICE_URL"] == f"http://127.0.0.1:{port}/user/alice/"
    # the server's extension reports the same address once it listens
    assert singleuser.os.environ[hubapi.LISTENING_REPORT] == f"127.0.0.1:{port}"
    # the reported port was never free: the server gets the socket that holds it
    assert sock.getsockname() == ("127.0.0.1", port)
    with socket.socket() as squatter, pytest.raises(OSError) as e:
        squatter.bind(("127.0.0.1", port))
    assert e.value.errno == errno.EADDRINUSE
    sock.close()


def test_the_server_says_it_listens_where_it_was_reported(hub, monkeypatch):
    url, seen = hub
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    env = {"JUPYTERHUB_API_URL": url, "JUPYTERHUB_API_TOKEN": "good",
           hubapi.LISTENING_REPORT: "10.0.0.5:40000"}
    assert singleuser.report_listening(env) == 200
    assert seen == [("/hub/api" + hubapi.ROUTE_LISTENING, "token good",
                     {"host": "10.0.0.5", "port": 40000})]
    # a server that funicular-singleuser did not start (no address reported) says nothing
    del env[hubapi.LISTENING_REPORT]
    assert singleuser.report_listening(env) == 0
    assert len(seen) == 1


def _starter(tmp_path, monkeypatch, url):
    """main() up to the point it would run the server; the env file names ``url``."""
    env_path = tmp_path / "env"
    env_path.write_text(f"JUPYTERHUB_API_URL={url}\nJUPYTERHUB_API_TOKEN=good\n")
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    monkeypatch.setattr(singleuser.os, "environ", dict(singleuser.os.environ))
    monkeypatch.setattr(singleuser, "run_server", lambda sock, args: sock.close())
    monkeypatch.setattr(singleuser.signal, "signal", lambda *a: None)
    monkeypatch.setattr(singleuser, "node_address", lambda _: "127.0.0.1")
    return ["--env-file", str(env_path)]


@pytest.mark.parametrize("status", [400, 404, 409, 410])
def test_a_hub_that_no_longer_wants_the_server_ends_the_job(tmp_path, monkeypatch, status):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        argv = _starter(tmp_path, monkeypatch, f"http://127.0.0.1:{srv.server_address[1]}/")
        with pytest.raises(SystemExit) as e:
            singleuser.main(argv)
        assert e.value.code == 3
    finally:
        srv.shutdown()


def test_an_unreachable_hub_is_retried_with_back_off_until_the_timeout(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/hub/api"  # nobody listens
    argv = _starter(tmp_path, monkeypatch, url)
    clock, slept = [0.0], []

    def sleep(delay):
        slept.append(delay)
        clock[0] += delay

    monkeypatch.setattr(singleuser.time, "sleep", sleep)
    monkeypatch.setattr(singleuser.time, "monotonic", lambda: clock[0])
    with pytest.raises(SystemExit) as e:
        singleuser.main([*argv, "--report-timeout", "20"])
    assert e.value.code == 4
    assert slept == [0.25, 0.5, 1, 2, 4, 5, 5, 5]
