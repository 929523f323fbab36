"""``funicular-singleuser``: the first process of a notebook job, inside the container.

It binds a listening socket on a free port of the node's own address, tells the hub
where the server will be (host and port, nothing else), then runs
``jupyterhub-singleuser`` in this process on that very socket. The port is never
free between the report and the server: on a shared node another user could bind
it and receive this user's traffic (jupyter_server on its own binds a port to test
it, closes it and binds it again later). Reporting first lets the hub route the
proxy at once. The secret
environment is read from the per-server env file each time it reports: a hub
that restarted while this job was queued rewrites that file with a fresh token,
and the next report succeeds with it.

Which server runs is the hub's ``Spawner.cmd`` (spawner/notebookjob.py builds the
argv): ``jupyterhub-singleuser`` runs in this process on the reported socket, as
above; with ``--exec``, the words after ``--`` are another command (a wrapper, a
server in another environment), exec'd in place of this process once the report is
done, which binds the reported address itself from JUPYTERHUB_SERVICE_URL (the port
is free for that moment: the hub's listener proof refuses another process on it).
"""

import argparse
import os
import signal
import socket
import sys
import time

from . import envfile
from .hubapi import (
    HUB_API_URL,
    HUB_SERVICE_PREFIX,
    HUB_SERVICE_URL,
    HUB_SSL_CERTFILE,
    JOB_END_TIME,
    LISTENING_REPORT,
    ROUTE_ADDRESS,
    ROUTE_LISTENING,
    HubClient,
    HubError,
)

# the name extension/__init__.py imports from here; the agreement's own is hubapi's


def node_address(hub_api_url: str) -> str:
    """The address other hosts reach this node on: its hostname's, never loopback."""
    host = socket.gethostname()
    try:
        addr = socket.gethostbyname(host)
    except OSError:
        addr = ""
    if not addr or addr.startswith("127."):
        # fall back to the source address of the route towards the hub
        hub_host = hub_api_url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((socket.gethostbyname(hub_host), 9))
            addr = s.getsockname()[0]
    return addr


def listening_socket(addr: str) -> socket.socket:
    """A socket bound to a free port of ``addr`` and listening: connections queue
    until the server accepts them."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((addr, 0))
        s.listen(128)
    except OSError:
        s.close()
        raise
    s.setblocking(False)
    return s


def serve_on(sock: socket.socket) -> None:
    """Make jupyter_server serve on ``sock`` instead of finding and binding a port of
    its own (it binds a port to test it, closes it, and binds again later)."""
    from jupyter_server.serverapp import ServerApp

    for name in ("_find_http_port", "_bind_http_server_tcp"):
        if not callable(getattr(ServerApp, name, None)):
            raise RuntimeError(f"this jupyter_server has no ServerApp.{name}: "
                               "funicular-singleuser cannot hand it its socket")
    port = sock.getsockname()[1]

    def find_port(app) -> None:
        app.port = port

    def bind(app) -> bool:
        app.http_server.add_sockets([sock])
        return True

    ServerApp._find_http_port = find_port
    ServerApp._bind_http_server_tcp = bind


def report(hub: HubClient, host: str, port: int, route: str = ROUTE_ADDRESS
           ) -> tuple[int, dict]:
    """POST host and port to the hub; returns the HTTP status (0: hub unreachable) and
    the hub's answer (``end_time``: when Slurm will end this job)."""
    body: dict = {"host": host, "port": port}
    if os.environ.get("SLURM_JOB_ID", "").isdigit():
        # which job this is: a leftover job of the same server (one whose cancel is
        # still being retried) reads the same env file, and must not take the route
        body["job_id"] = os.environ["SLURM_JOB_ID"]
    try:
        answer = hub.call_sync("POST", route, body, ok=(200,))
    except HubError as e:
        return e.status, {}
    return 200, answer if isinstance(answer, dict) else {}


def log(msg: str) -> None:
    print(f"[funicular-singleuser] {msg}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options, and the words after the first ``--`` exactly as given (a later
    ``--`` is the server's or the wrapper's own)."""
    p = argparse.ArgumentParser(prog="funicular-singleuser",
                                usage="%(prog)s --env-file=FILE [options] [--exec] -- ...")
    p.add_argument("--env-file", required=True,
                   help="the server's env file, relative to $HOME or absolute")
    p.add_argument("--report-timeout", type=float, default=3600,
                   help="give up (and end the job) when the hub cannot be told for this long")
    p.add_argument("--exec", action="store_true", dest="exec_command",
                   help="the words after -- are a command to exec once reported, not "
                        "arguments of jupyterhub-singleuser in this process")
    ours, rest = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv \
        else (argv, [])
    ns = p.parse_args(ours)
    if ns.exec_command and not rest:
        p.error("--exec needs a command after --")
    return ns, rest


def main(argv: list[str] | None = None) -> None:
    ns, words = parse_args(sys.argv[1:] if argv is None else argv)
    path = ns.env_file if ns.env_file.startswith("/") else \
        os.path.join(os.environ.get("HOME", "/"), ns.env_file)

    addr = node_address(envfile.read(path)[HUB_API_URL])
    sock = listening_socket(addr)
    port = sock.getsockname()[1]
    deadline = time.monotonic() + ns.report_timeout
    delay = 0.25
    while True:
        env = envfile.read(path)
        # read afresh each time: a restarted hub rewrites the file with a new token
        status, answer = report(HubClient.from_env(env, timeout=10), addr, port)
        if status == 200:
            break
        if status in (400, 404, 409, 410):
            log(f"the hub no longer wants this server (HTTP {status}); exiting")
            raise SystemExit(3)
        if time.monotonic() > deadline:
            log(f"could not report to the hub for {ns.report_timeout:.0f} s; exiting")
            raise SystemExit(4)
        log(f"hub answered {status or 'nothing'}; retrying in {delay:.1f} s")
        time.sleep(delay)
        delay = min(delay * 2, 5)

    os.environ.update(env)
    if isinstance(answer.get("end_time"), int | float):
        os.environ[JOB_END_TIME] = str(int(answer["end_time"]))
    # Slurm's walltime warning (USR1) would kill the server until the extension
    # installs its handler
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    prefix = env.get(HUB_SERVICE_PREFIX, "/")
    scheme = "https" if env.get(HUB_SSL_CERTFILE) else "http"
    os.environ[HUB_SERVICE_URL] = f"{scheme}://{addr}:{port}{prefix}"
    os.environ[LISTENING_REPORT] = f"{addr}:{port}"
    log(f"serving on {addr}:{port}")
    if ns.exec_command:
        exec_server(sock, words)
    else:
        run_server(sock, words)


def run_server(sock: socket.socket, args: list[str]) -> None:
    """``jupyterhub-singleuser ARGS`` in this process, serving on ``sock``."""
    serve_on(sock)
    from jupyterhub.singleuser import main as singleuser_main

    sys.argv = ["jupyterhub-singleuser", *args]
    sys.exit(singleuser_main())


def exec_server(sock: socket.socket, argv: list[str]) -> None:
    """The admin's command in place of this process (argv, no shell), with this
    process's environment: the secrets read above and JUPYTERHUB_SERVICE_URL, the
    reported address it serves on. It cannot take the socket, so that is closed first."""
    sock.close()
    log(f"running {argv[0]}")
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        log(f"cannot run {argv[0]}: {e}")
        raise SystemExit(127) from None


def report_listening(env: dict[str, str]) -> int:
    """From the running server (its environment): it listens where it was reported.
    The hub then finds it ready at once instead of knocking on its port. Returns the
    HTTP status (0: hub unreachable, or nothing to report)."""
    host, _, port = env.get(LISTENING_REPORT, "").rpartition(":")
    if not host or not port.isdigit() or not env.get(HUB_API_URL):
        return 0
    status, _ = report(HubClient.from_env(env, timeout=10), host, int(port),
                       route=ROUTE_LISTENING)
    return status


if __name__ == "__main__":
    main()
