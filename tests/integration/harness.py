"""Test harness for the cluster in a box: a hub of our own, Slurm helpers, logins.

The hub is started here (not the demo hub of deploy/local/up): own ports, own
database, own per-user state dir and job names, so tests never touch a demo.
Everything it starts it stops by PID.
"""

import contextlib
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

import requests

REPO = pathlib.Path(__file__).resolve().parents[2]
BOX = pathlib.Path(os.environ.get("FUNICULAR_BOX", "/var/lib/funicular"))
VENV = REPO / "deploy/local/.state/venv"
JOB_PREFIX = "funitest"
REST_JOB_PREFIX = "funirest"  # the second hub, on slurmrestd
SSL_JOB_PREFIX = "funissl"  # the third, with internal_ssl
STATE_DIR = ".funicular/test-servers"


def use_box_slurm() -> str:
    """Put the Slurm commands of the release the box runs first in PATH (a release that
    is not the host's has its own directory: deploy/local/lib/slurmrelease.sh), for
    the tests' own squeue and sbatch and the clients they build; returns the release."""
    env = BOX / "slurm/release.env"
    rows = env.read_text().splitlines() if env.exists() else []
    release = dict(line.split("=", 1) for line in rows if "=" in line)
    ours = {str(BOX / "slurm-releases" / r / "bin") for r in ("22.05", "24.11")}
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p not in ours]
    if release.get("FUNICULAR_SLURM_BIN_DIR"):
        path.insert(0, release["FUNICULAR_SLURM_BIN_DIR"])
    os.environ["PATH"] = os.pathsep.join(path)
    return release.get("FUNICULAR_SLURM_RELEASE", "")


use_box_slurm()


def rest_version() -> str:
    """The OpenAPI version Funicular speaks to the box's slurmrestd: the newest of its
    release's (core/slurm/versions.py reads it from the server itself)."""
    return {"24.11": "v0.0.42"}.get(use_box_slurm(), "v0.0.38")


def slurm(name: str) -> str:
    """A Slurm command by its full path, of the release the box runs: sudo's secure_path
    would find the host's own."""
    return shutil.which(name) or name


def box_slurm_cli(**kw):
    """SlurmCLI on the box's release: the backend runs its commands with a fixed PATH,
    as the hub does (slurm_bin_dir is how a site names its own)."""
    from funicular.core.slurm import SlurmCLI
    names = ("sbatch", "squeue", "scancel", "scontrol", "sacct", "sacctmgr")
    return SlurmCLI(**{n: slurm(n) for n in names}, **kw)


def run(*argv, check=True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], check=check, capture_output=True, text=True,
                          timeout=kw.pop("timeout", 60), **kw)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# ------------------------------------------------------------------ Slurm
def job_state(job_id: str) -> str | None:
    out = run("squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T", check=False).stdout.strip()
    return out or None


def notebook_jobs(user: str, prefix: str = JOB_PREFIX) -> list[tuple[str, str]]:
    """(job id, state) of a test hub's notebook jobs of ``user`` that hold or wait for nodes."""
    out = run("squeue", "-h", "-u", user, "-t", "PD,CF,R,CG,S", "-o", "%i %T %j").stdout
    return [(i, s) for i, s, n in (line.split() for line in out.splitlines())
            if n.startswith(prefix)]


def slurmctld_pid() -> int:
    pid = int((BOX / "slurm/run/slurmctld.pid").read_text())
    assert pathlib.Path(f"/proc/{pid}/comm").read_text().strip() == "slurmctld"
    return pid


def cluster_running() -> bool:
    ping = run("scontrol", "ping", check=False)
    return ping.returncode == 0 and "DOWN" not in ping.stdout


def passwords() -> dict[str, str]:
    rows = (BOX / "users.tsv").read_text().splitlines()
    return dict(line.split("\t", 1) for line in rows if "\t" in line)


# what in_server runs first: the server's environment, then the command
_IN_SERVER = """import os, sys
from funicular.core import envfile
env = envfile.read(sys.argv[1])
os.environ.update(env)
os.environ["JUPYTERHUB_SERVICE_URL"] = sys.argv[2] + env["JUPYTERHUB_SERVICE_PREFIX"]
os.execvp(sys.argv[3], sys.argv[3:])
"""


# ------------------------------------------------------------------ JupyterHub
class Hub:
    public_port = 18000
    api_port = 18081
    proxy_api_port = 18001

    def __init__(self, name: str = "test-hub", port_offset: int = 0,
                 job_prefix: str = JOB_PREFIX, config: pathlib.Path | None = None, **env):
        """A hub of our own; a second one (other name, ports and job prefix) can run
        next to it. ``config``: another JupyterHub config file than the box's."""
        self.config = config or REPO / "deploy/local/jupyterhub_config.py"
        self.extra_env = {k: str(v) for k, v in env.items()}
        self.public_port += port_offset
        self.api_port += port_offset
        self.proxy_api_port += port_offset
        self.job_prefix = job_prefix
        self.dir = BOX / name
        self.url = f"http://127.0.0.1:{self.public_port}/"
        self.proc: subprocess.Popen | None = None
        self.token = ""

    # lifecycle ------------------------------------------------------
    def prepare(self):
        self.stop_proxy()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(mode=0o700, parents=True)
        self.token = os.urandom(24).hex()
        (self.dir / "admin-token").write_text(self.token)
        (self.dir / "admin-token").chmod(0o600)

    def start(self):
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "FUNICULAR_BOX": str(BOX), "FUNICULAR_HUB_DIR": str(self.dir),
            "FUNICULAR_CHP": str(BOX / "chp/node_modules/.bin/configurable-http-proxy"),
            "FUNICULAR_HUB_PORT": str(self.public_port),
            "FUNICULAR_HUB_API_PORT": str(self.api_port),
            "FUNICULAR_PROXY_API_PORT": str(self.proxy_api_port),
            "FUNICULAR_STATE_DIR": STATE_DIR, "FUNICULAR_JOB_PREFIX": self.job_prefix,
            **self.extra_env,
        }
        log = open(self.dir / "jupyterhub.log", "a")
        self.proc = subprocess.Popen(
            # SIGINT as it should be, whatever the tests inherited (a background job
            # ignores it): JupyterHub stops its services with it, and one that ignored
            # it kept the hub's shutdown waiting for 30 s
            ["env", "--default-signal=INT", str(VENV / "bin/jupyterhub"), "-f",
             str(self.config)],
            cwd=self.dir, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"hub exited: {self.log_tail()}")
            try:
                return requests.get(self.url + "hub/api/", timeout=2).status_code == 200
            except requests.RequestException:
                return False
        wait_for(up, 60, "the hub to answer")

    @contextlib.contextmanager
    def running(self):
        """Prepared and started for a fixture's lifetime; afterwards no server is left
        and hub and proxy are stopped by PID."""
        self.prepare()
        self.start()
        try:
            yield self
        finally:
            try:
                if self.proc is None:
                    self.start()
                self.stop_all_servers()
            finally:
                self.stop(signal.SIGTERM)
                self.stop_proxy()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.proc = None

    def stop_proxy(self):
        pidfile = self.dir / "proxy.pid"
        if not pidfile.exists():
            return
        pid = pidfile.read_text().strip()
        try:
            cmdline = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            return
        if b"configurable-http-proxy" in cmdline and f"{self.public_port}".encode() in cmdline:
            os.kill(int(pid), signal.SIGTERM)

    def log_tail(self, n=40) -> str:
        try:
            return "\n".join((self.dir / "jupyterhub.log").read_text().splitlines()[-n:])
        except OSError:
            return ""

    # API ------------------------------------------------------------
    def api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"token {self.token}", **kw.pop("headers", {})}
        return requests.request(method, self.url + "hub/api" + path, headers=headers,
                                timeout=kw.pop("timeout", 60), **kw)

    def server(self, user: str, name: str = "") -> dict | None:
        return self.api("GET", f"/users/{user}").json()["servers"].get(name)

    def spawn(self, user: str, name: str = "", options: dict | None = None) -> requests.Response:
        path = f"/users/{user}/servers/{name}" if name else f"/users/{user}/server"
        return self.api("POST", path, json=options or {})

    def wait_ready(self, user: str, name: str = "", timeout: float = 120) -> dict:
        def ready():
            s = self.server(user, name)
            return s if s and s["ready"] else None
        try:
            return wait_for(ready, timeout, f"{user}/{name} to be ready", interval=0.1)
        except AssertionError:
            raise AssertionError(f"{user}/{name} never became ready:\n{self.log_tail()}") from None

    def stop_server(self, user: str, name: str = "") -> requests.Response:
        path = f"/users/{user}/servers/{name}" if name else f"/users/{user}/server"
        return self.api("DELETE", path)

    def stop_all_servers(self):
        for u in self.api("GET", "/users").json():
            for name in u["servers"]:
                self.stop_server(u["name"], name)
        wait_for(lambda: all(not u["servers"] for u in self.api("GET", "/users").json()), 60,
                 "all servers to stop")
        # forget stopped named servers too: JupyterHub counts them against the per-user limit
        for u in self.api("GET", "/users", params={"include_stopped_servers": "1"}).json():
            for name in u["servers"]:
                if name:
                    r = self.api("DELETE", f"/users/{u['name']}/servers/{name}",
                                 json={"remove": True})
                    assert r.status_code in (202, 204), r.text

    def server_get(self, user: str, path: str, name: str = "") -> requests.Response:
        """GET a path of a user's server through the proxy, with the admin token."""
        prefix = f"user/{user}/{name}/" if name else f"user/{user}/"
        return requests.get(self.url + prefix + path.lstrip("/"), timeout=30,
                            headers={"Authorization": f"token {self.token}"})

    def user_token(self, user: str) -> str:
        """An API token of the user's own (what a notebook or a script of theirs holds)."""
        r = self.api("POST", f"/users/{user}/tokens", json={"note": "test", "expires_in": 3600})
        assert r.status_code in (200, 201), r.text
        return r.json()["token"]

    def as_user(self, method: str, user: str, path: str, token: str, name: str = "",
                **kw) -> requests.Response:
        """A request to a user's server through the proxy with the given token."""
        prefix = f"user/{user}/{name}/" if name else f"user/{user}/"
        return requests.request(method, self.url + prefix + path.lstrip("/"),
                                headers={"Authorization": f"token {token}"},
                                timeout=kw.pop("timeout", 30), allow_redirects=False, **kw)

    def in_server(self, user: str, *argv: str, cwd: str | None = None,
                  timeout: float = 300) -> subprocess.CompletedProcess:
        """Run argv as the user inside their running notebook server's container: a
        step of its Slurm job, in its image, with its environment (read from its env
        file inside, as funicular-singleuser does: no token in any argv), as a kernel
        of that server has it."""
        state = self.server(user)["state"]
        home = run("getent", "passwd", user).stdout.split(":")[5]
        env_file = f"{home}/{STATE_DIR}/default/env"
        url = f"http://{state['host']}:{state['port']}"
        return run("sudo", "-n", "-u", user, slurm("srun"), f"--jobid={state['job_id']}",
                   "--overlap", "-N1", "-n1",
                   str(BOX / "libexec/ch-run-job.sh"), "ch-run",  # private storage
                   "--home", "--set-env", f"--cd={cwd or home}",
                   str(BOX / "images/notebook"), "--", "python3", "-c", _IN_SERVER, env_file,
                   url, *argv, check=False, timeout=timeout, cwd="/tmp")

    def login(self, user: str) -> requests.Session:
        """Log in through the hub's login form with the user's PAM password."""
        s = requests.Session()
        s.get(self.url + "hub/login", timeout=30)
        r = s.post(self.url + "hub/login", timeout=30, allow_redirects=False,
                   data={"username": user, "password": passwords()[user],
                         "_xsrf": s.cookies.get("_xsrf", "")})
        assert r.status_code == 302, f"login of {user} failed: {r.status_code} {r.text[:300]}"
        return s


def xsrf_headers(session: requests.Session) -> dict:
    return {"X-XSRFToken": session.cookies.get("_xsrf", path="/hub/") or
            session.cookies.get("_xsrf", "")}


def home(user: str) -> pathlib.Path:
    """A box user's home, from passwd."""
    return pathlib.Path(run("getent", "passwd", user).stdout.split(":")[5])


def secret_env(user: str, name: str = "") -> dict[str, str]:
    home_dir = home(user)
    key = f"named-{name}" if name else "default"
    path = home_dir / STATE_DIR / key / "env"
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def env_path(user: str, name: str = "") -> pathlib.Path:
    return home(user) / STATE_DIR / (f"named-{name}" if name else "default") / "env"


def is_job_id(value) -> bool:
    return bool(re.fullmatch(r"\d+", str(value or "")))


# ------------------------------------------------------------------ object store
STORE_URL = "http://10.77.77.1:8090"


def store_credentials(user: str):
    """A box user's keys for the object store, both APIs (deploy/local/lib/objstore.sh)."""
    from funicular.core.storage import StoreCredentials
    rows = (BOX / "objstore/accounts.tsv").read_text().splitlines()
    key = dict(line.split("\t", 1) for line in rows)[user]
    return StoreCredentials(swift_auth_url=f"{STORE_URL}/auth/v1.0",
                            swift_user=f"{user}:{user}", swift_key=key,
                            s3_endpoint=STORE_URL, s3_access_key=f"{user}:{user}",
                            s3_secret_key=key)


def remove_container(user: str, container: str) -> None:
    """A container of the user's with everything in it, and its segment containers."""
    from funicular.core.storage import filesystem
    fs = filesystem("swift", store_credentials(user))
    for name in (container, f"{container}_segments", f"{container}+segments"):
        try:
            for obj in fs.find(name):
                try:
                    fs.rm_file(obj)
                except FileNotFoundError:
                    pass  # a segment that went with its manifest
            fs.rmdir(name)
        except FileNotFoundError:
            pass
