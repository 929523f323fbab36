"""A faithful fake of a UNICORE server's REST API (jobs and storages), for the tests.

A UNICORE server cannot be installed here (no package, no registry). This fake
answers the endpoints pyunicore uses, with UNICORE's JSON shapes and status names,
and runs jobs for real, as UNICORE's TSI does: each job gets a working directory
(its "uspace") owned by the user, and is submitted to the cluster's real Slurm with
sbatch as that user. Authentication: a Bearer JWT (HS256) signed with the cluster's
key, naming the user in "sun" (what the hub hands a notebook server), as a UNICORE
server configured for JWT delegation accepts.

    python -m tests.integration.unicore_fake --listen 10.77.77.1:18090 --key KEY

Endpoints (under /SITE/rest/core): GET / (site), GET|POST /jobs, GET /jobs/ID,
POST /jobs/ID/actions/{start,abort}, GET /jobs/ID/details, GET /storages/ID-uspace,
GET /storages/ID-uspace/files/PATH (JSON metadata, or the bytes with Accept:
application/octet-stream and an optional Range).
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import pwd
import re
import subprocess
import time
import uuid

from tornado import ioloop, web

BASE = "/FAKE-SITE/rest/core"
# Slurm states -> UNICORE's
_STATUS = {"PENDING": "QUEUED", "CONFIGURING": "QUEUED", "RUNNING": "RUNNING",
           "COMPLETING": "RUNNING", "COMPLETED": "SUCCESSFUL"}
# the fake TSI's fixed batch script: the command is its arguments
SCRIPT = "#!/bin/sh\nexec \"$@\"\n"


def b64d(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class State:
    def __init__(self, key: bytes, url: str):
        self.key, self.url = key, url
        self.jobs: dict[str, dict] = {}


class Base(web.RequestHandler):
    @property
    def state(self) -> State:
        return self.settings["state"]

    def user(self) -> str:
        auth = self.request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise web.HTTPError(401, "authentication required")
        try:
            head, body, sig = auth[7:].split(".")
            want = hmac.new(self.state.key, f"{head}.{body}".encode(), hashlib.sha256).digest()
            claims = json.loads(b64d(body))
        except ValueError:
            raise web.HTTPError(401, "malformed token") from None
        if not hmac.compare_digest(want, b64d(sig)) or claims.get("exp", 0) < time.time():
            raise web.HTTPError(401, "invalid or expired token")
        return claims["sun"]

    def job(self, job_id: str) -> dict:
        job = self.state.jobs.get(job_id)
        if job is None or job["owner"] != self.user():
            raise web.HTTPError(404, "no such job")  # UNICORE: other users' jobs do not exist
        return job

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None))[1]
        self.finish({"errorMessage": getattr(exc, "log_message", None) or self._reason,
                     "status": status_code})


def _as_user(user: str, *argv: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["sudo", "-n", "-u", user, *argv], capture_output=True, text=True,
                          timeout=60, cwd="/", **kw)


def refresh(job: dict) -> None:
    """The job's UNICORE status from Slurm (squeue, then sacct once it is gone)."""
    if job["status"] in ("SUCCESSFUL", "FAILED") or not job.get("slurm_id"):
        return
    out = subprocess.run(["sacct", "-n", "-P", "-X", "-j", job["slurm_id"],
                          "--format=State,ExitCode"], capture_output=True, text=True,
                         timeout=30).stdout.strip().splitlines()
    if not out:
        return
    state, code = (out[0].split("|") + [""])[:2]
    state = state.split()[0]
    job["status"] = _STATUS.get(state, "FAILED")
    job["bss_state"] = state
    if job["status"] in ("SUCCESSFUL", "FAILED"):
        job["exitCode"] = int(code.split(":")[0] or 0) if code else None


def job_json(state: State, job_id: str, job: dict) -> dict:
    refresh(job)
    url = f"{state.url}{BASE}/jobs/{job_id}"
    props = {"status": job["status"], "statusMessage": job.get("bss_state", ""),
             "submissionTime": job["submitted"], "name": job["description"].get("Name", ""),
             "queue": job["description"].get("Resources", {}).get("Queue", ""),
             "owner": job["owner"], "log": job["log"], "batchSystemID": job.get("slurm_id"),
             "_links": {
                 "self": {"href": url},
                 "workingDirectory": {"href": f"{state.url}{BASE}/storages/{job_id}-uspace"},
                 "action:start": {"href": url + "/actions/start"},
                 "action:abort": {"href": url + "/actions/abort"},
                 "details": {"href": url + "/details"}}}
    if job.get("exitCode") is not None:
        props["exitCode"] = str(job["exitCode"])
    return props


def sbatch_argv(desc: dict, uspace: str) -> list[str]:
    res = desc.get("Resources", {})
    argv = ["sbatch", "--parsable", f"--job-name={desc.get('Name', 'unicore')}",
            f"--chdir={uspace}", f"--output={uspace}/{desc.get('Stdout', 'stdout')}",
            f"--error={uspace}/{desc.get('Stderr', 'stderr')}"]
    for key, opt in (("Queue", "partition"), ("Nodes", "nodes"), ("Project", "account"),
                     ("CPUsPerTask", "cpus-per-task"), ("TasksPerNode", "ntasks-per-node"),
                     ("Memory", "mem"), ("Reservation", "reservation")):
        if key in res:
            argv.append(f"--{opt}={res[key]}")
    if "Runtime" in res:
        m = re.fullmatch(r"(\d+)(min|m|s|h)?", str(res["Runtime"]))
        secs = int(m.group(1)) * {"s": 1, "min": 60, "m": 60, "h": 3600, None: 1}[m.group(2)]
        argv.append(f"--time={max(1, secs // 60)}")
    if res.get("GPUsPerNode"):
        argv.append(f"--gres=gpu:{res['GPUsPerNode']}")
    return argv


class Site(Base):
    def get(self):
        user = self.user()
        s = self.state
        self.finish({"client": {"role": {"selected": "user", "availableRoles": ["user"]},
                                "xlogin": {"UID": user}, "dn": f"CN={user}"},
                     "server": {"version": "10.1.0-fake"},
                     "_links": {k: {"href": f"{s.url}{BASE}/{k}"}
                                for k in ("jobs", "storages", "factories", "transfers")}})


class Jobs(Base):
    def get(self):
        user = self.user()
        self.finish({"jobs": [f"{self.state.url}{BASE}/jobs/{i}"
                              for i, j in self.state.jobs.items() if j["owner"] == user]})

    def post(self):
        user = self.user()
        desc = json.loads(self.request.body)
        if not isinstance(desc.get("Executable"), str) or not desc["Executable"]:
            raise web.HTTPError(400, "job description has no Executable")
        args = desc.get("Arguments", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise web.HTTPError(400, "Arguments must be a list of strings")
        job_id = str(uuid.uuid4())
        home = pwd.getpwnam(user).pw_dir
        uspace = f"{home}/.unicore-fake/{job_id}"
        r = _as_user(user, "mkdir", "-p", "-m", "700", uspace)
        if r.returncode:
            raise web.HTTPError(500, f"cannot create the working directory: {r.stderr}")
        job = {"owner": user, "description": desc, "uspace": uspace, "status": "READY",
               "submitted": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "log": []}
        self.state.jobs[job_id] = job
        if not desc.get("haveClientStageIn"):
            start(job)
        self.set_status(201)
        self.set_header("Location", f"{self.state.url}{BASE}/jobs/{job_id}")
        self.finish()


def start(job: dict) -> None:
    if job.get("slurm_id"):
        return
    desc, user = job["description"], job["owner"]
    script = f"{job['uspace']}/.tsi-script"
    _as_user(user, "tee", script, input=SCRIPT)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           **{k: str(v) for k, v in desc.get("Environment", {}).items()}}
    keep = ",".join(env)
    r = subprocess.run(["sudo", "-n", "-u", user, f"--preserve-env={keep}",
                        *sbatch_argv(desc, job["uspace"]), script, desc["Executable"],
                        *desc.get("Arguments", [])],
                       capture_output=True, text=True, timeout=60, cwd="/",
                       env={**env, "HOME": pwd.getpwnam(user).pw_dir, "USER": user})
    if r.returncode:
        job["status"], job["exitCode"] = "FAILED", None
        job["log"].append(f"Submission to the batch system failed: {r.stderr.strip()}")
        return
    job["slurm_id"] = r.stdout.strip().split(";")[0]
    job["status"] = "QUEUED"
    job["log"].append(f"Submitted to the batch system as {job['slurm_id']}")


class OneJob(Base):
    def get(self, job_id):
        self.finish(job_json(self.state, job_id, self.job(job_id)))

    def delete(self, job_id):
        job = self.job(job_id)
        if job.get("slurm_id"):
            _as_user(job["owner"], "scancel", job["slurm_id"])
        del self.state.jobs[job_id]
        self.set_status(204)


class Action(Base):
    def post(self, job_id, action):
        job = self.job(job_id)
        if action == "start":
            start(job)
        elif action == "abort":
            if job.get("slurm_id"):
                _as_user(job["owner"], "scancel", job["slurm_id"])
            job["log"].append("Aborted by the user")
        else:
            raise web.HTTPError(404, f"no action {action}")
        self.finish({})


class Details(Base):
    def get(self, job_id):
        job = self.job(job_id)
        self.finish({"jobId": job.get("slurm_id"), "state": job.get("bss_state")})


class Storage(Base):
    def get(self, job_id):
        job = self.job(job_id)
        self.finish({"resourceStatus": "READY", "mountPoint": job["uspace"],
                     "_links": {"files": {"href": self.request.full_url() + "/files"}}})


class Files(Base):
    def get(self, job_id, path=None):
        job = self.job(job_id)
        path = path or "/"
        full = os.path.normpath(os.path.join(job["uspace"], path.lstrip("/")))
        if not (full == job["uspace"] or full.startswith(job["uspace"] + "/")):
            raise web.HTTPError(403, "outside the working directory")
        if not os.path.exists(full):
            raise web.HTTPError(404, f"{path} does not exist")
        if os.path.isdir(full):
            self.finish({"isDirectory": True, "children": sorted(os.listdir(full))})
            return
        if "application/octet-stream" not in self.request.headers.get("Accept", ""):
            st = os.stat(full)
            self.finish({"isDirectory": False, "size": st.st_size,
                         "lastAccessed": time.strftime("%Y-%m-%dT%H:%M:%S%z",
                                                       time.localtime(st.st_mtime))})
            return
        with open(full, "rb") as f:
            data = f.read()
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.request.headers.get("Range", ""))
        if m:
            lo = int(m.group(1))
            hi = int(m.group(2)) + 1 if m.group(2) else len(data)
            data = data[lo:hi]
            self.set_status(206)
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(data)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True, help="HOST:PORT")
    p.add_argument("--key", required=True, help="the cluster's HS256 JWT key file")
    a = p.parse_args()
    host, port = a.listen.rsplit(":", 1)
    with open(a.key, "rb") as f:
        state = State(f.read(), f"http://{host}:{port}")
    app = web.Application([
        (BASE + "/?", Site), (BASE + "/jobs/?", Jobs),
        (BASE + r"/jobs/([0-9a-f-]+)", OneJob),
        (BASE + r"/jobs/([0-9a-f-]+)/actions/(\w+)", Action),
        (BASE + r"/jobs/([0-9a-f-]+)/details", Details),
        (BASE + r"/storages/([0-9a-f-]+)-uspace", Storage),
        (BASE + r"/storages/([0-9a-f-]+)-uspace/files(/.*)?", Files),
    ], state=state)
    app.listen(int(port), address=host)
    print(f"fake UNICORE at {state.url}{BASE}", flush=True)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
