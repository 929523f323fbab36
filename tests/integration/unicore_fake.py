"""A fake of a UNICORE/X server's REST API (jobs and storages) for the tests, which
authenticates its callers as UNICORE/X does.

A UNICORE server cannot be installed here (no package, no registry). This fake
answers the endpoints pyunicore uses, with UNICORE's JSON shapes and status names,
and runs jobs for real, as UNICORE's TSI does: each job gets a working directory
(its "uspace") owned by the user's Unix login, and is submitted to the cluster's real
Slurm with sbatch as that login.

    python -m tests.integration.unicore_fake --listen 127.0.0.1:28090 \\
        --users attributes.json --trusted-issuer-cert hub.pem \\
        [--hmac-secret-file F] [--oauth-address URL [--oauth-validate \\
         --oauth-client-id ID --oauth-client-secret-file F]] [--server-dn DN]

Endpoints (under /SITE/rest/core): GET / (site), GET|POST /jobs, GET /jobs/ID,
POST /jobs/ID/actions/{start,abort}, GET /jobs/ID/details, GET /storages/ID-uspace,
GET /storages/ID-uspace/files/PATH (JSON metadata, or the bytes with Accept:
application/octet-stream and an optional Range).

Authentication follows UNICORE/X's own code, read in github.com/UNICORE-EU/use
(rest/src/main/java/eu/unicore/services/rest/security/AuthNHandler.java,
.../rest/jwt/JWTHelper.java, restclient/.../jwt/JWTUtils.java,
.../rest/security/OAuthAuthenticator.java and BaseRemoteAuthenticator.java,
core/.../security/util/PubkeyCache.java, core/.../security/SecurityManager.java,
core/.../security/pdp/DefaultPDP.java, aip/.../aip/file/FileAttributeSource.java and
JSONFileParser.java), not our client's; docs/jobs.md, "UNICORE credentials", lists it.

1. Trust delegation (AuthNHandler.validateJWT): a Bearer token that parses as a JWT
   whose payload has "etd" true (Boolean.parseBoolean of its string) and both "sub"
   and "iss" is a delegation token. (UNICORE also asks sub != iss, but compares the
   Java references, which always differ.) It is checked as JWTHelper does: an HS*
   token with the server's HMAC secret if one is set (--hmac-secret-file,
   ``container.security.rest.jwt.hmacSecret``; nimbus needs at least 256 bits), else
   with the public keys of the certificates whose subject DN is the "iss" DN
   (--trusted-issuer-cert, ``jwt.trustedIssuerCert.N``; PubkeyCache: a certificate
   more than 10 days past its end is not trusted). Claims as JWTUtils.verifyClaims
   has nimbus check them: "exp" required and not past, "nbf" not ahead, both with 60 s
   of clock skew; "aud", only if present, must name the server's DN (--server-dn).
   Not checked, as by UNICORE: "iat", how long a token lives. A delegation token that
   fails is 403 at once. Its "sub" is the caller's identity (a DN).
2. Any other Bearer token goes to the authenticator chain; here its OAuth
   authenticator (--oauth-address), as OAuthAuthenticator: GET the address with the
   token (OIDC userinfo), or with --oauth-validate POST client_id, client_secret and
   token to it (RFC 7662 introspection; "active" must be true). A non-2xx answer or
   an inactive token gives no identity: 403. The identity is --oauth-identity-assign
   filled from the answer's fields (a str.format template standing in for UNICORE's
   MVEL ``identityAssign``, e.g. ``"UID=" + preferred_username``). A good answer is
   cached per token for 5 minutes, as BaseRemoteAuthenticator does: within those a
   revoked token still works, at UNICORE as here. The old reuse of the Slurm JWT
   (HS256, {"sun", "iat", "exp"}, no "etd") lands here and is refused.
3. No credentials (or a Bearer token no authenticator takes): an anonymous client.
4. The identity's attributes come from --users, UNICORE's file attribute source in
   its JSON format ({DN: {"xlogin": LOGIN, "role": "user"}}), matched on a comparable
   form of the DN (lower case, spaces trimmed, multi-valued RDNs sorted: close to
   X500NameUtils.getComparableForm, not all of it). No role: "anonymous"
   (SecurityManager). Anyone sees the base resource, with their DN, login and role
   (pyunicore's Client refuses an anonymous one); the jobs and storages need the
   role "user" or "admin" (DefaultPDP), and a job its owner, the DN that made it: any
   other caller gets 403, and a job that does not exist 404.

Not emulated: security sessions (X-UNICORE-SecuritySession), user preferences,
renewable and server-issued tokens ("uid", "preferences" claims), the other
authenticators (passwords, X.509, Unity, SSH keys), XUUDB, the gateway, ACLs.
"""

import argparse
import json
import os
import pwd
import re
import shutil
import subprocess
import time
import uuid

from tornado import ioloop, web

from .unicore_fake_auth import (  # noqa: F401  (comparable_dn: the unit tests reach it here)
    Auth,
    Client,
    OAuth,
    Refused,
    comparable_dn,
)

BASE = "/FAKE-SITE/rest/core"
# Slurm states -> UNICORE's
_STATUS = {"PENDING": "QUEUED", "CONFIGURING": "QUEUED", "RUNNING": "RUNNING",
           "COMPLETING": "RUNNING", "COMPLETED": "SUCCESSFUL"}
# the fake TSI's fixed batch script: the command is its arguments
SCRIPT = "#!/bin/sh\nexec \"$@\"\n"


class State:
    def __init__(self, auth: Auth, url: str):
        self.auth, self.url = auth, url
        self.jobs: dict[str, dict] = {}


class Base(web.RequestHandler):
    client: Client

    @property
    def state(self) -> State:
        return self.settings["state"]

    async def prepare(self):
        try:
            self.client = await self.state.auth.authenticate(
                self.request.headers.get("Authorization", ""))
        except Refused as e:
            raise web.HTTPError(403, str(e)) from None

    def user(self) -> Client:
        """The caller, if the PDP lets it at jobs and storages at all."""
        if self.client.role not in ("user", "admin") or not self.client.xlogin:
            raise web.HTTPError(403, "Access denied")
        return self.client

    def job(self, job_id: str) -> dict:
        client = self.user()
        job = self.state.jobs.get(job_id)
        if job is None:
            raise web.HTTPError(404, "no such job")
        if job["owner"] != client.key and client.role != "admin":
            raise web.HTTPError(403, "Access denied")  # DefaultPDP: not the owner's
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
             "owner": job["owner_dn"], "log": job["log"],
             "batchSystemID": job.get("slurm_id"),
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
    # the site's sbatch by its full path (sudo's secure_path would find another)
    argv = [shutil.which("sbatch") or "sbatch", "--parsable",
            f"--job-name={desc.get('Name', 'unicore')}",
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
        c, s = self.client, self.state
        client = {"role": {"selected": c.role, "availableRoles": [c.role]}, "dn": c.dn}
        if c.xlogin and c.role != "anonymous":
            client["xlogin"] = {"UID": c.xlogin, "availableUIDs": [c.xlogin]}
        if c.method:
            client["authenticationMethod"] = c.method
        self.finish({"client": client, "server": {"version": "10.1.0-fake"},
                     "_links": {k: {"href": f"{s.url}{BASE}/{k}"}
                                for k in ("jobs", "storages", "factories", "transfers")}})


class Jobs(Base):
    def get(self):
        client = self.user()
        self.finish({"jobs": [f"{self.state.url}{BASE}/jobs/{i}"
                              for i, j in self.state.jobs.items() if j["owner"] == client.key]})

    def post(self):
        client = self.user()
        desc = json.loads(self.request.body)
        if not isinstance(desc.get("Executable"), str) or not desc["Executable"]:
            raise web.HTTPError(400, "job description has no Executable")
        args = desc.get("Arguments", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise web.HTTPError(400, "Arguments must be a list of strings")
        job_id = str(uuid.uuid4())
        home = pwd.getpwnam(client.xlogin).pw_dir
        uspace = f"{home}/.unicore-fake/{job_id}"
        r = _as_user(client.xlogin, "mkdir", "-p", "-m", "700", uspace)
        if r.returncode:
            raise web.HTTPError(500, f"cannot create the working directory: {r.stderr}")
        job = {"owner": client.key, "owner_dn": client.dn, "xlogin": client.xlogin,
               "description": desc, "uspace": uspace, "status": "READY",
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
    desc, user = job["description"], job["xlogin"]
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
            _as_user(job["xlogin"], shutil.which("scancel") or "scancel", job["slurm_id"])
        del self.state.jobs[job_id]
        self.set_status(204)


class Action(Base):
    def post(self, job_id, action):
        job = self.job(job_id)
        if action == "start":
            start(job)
        elif action == "abort":
            if job.get("slurm_id"):
                _as_user(job["xlogin"], shutil.which("scancel") or "scancel", job["slurm_id"])
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


def make_app(state: State) -> web.Application:
    return web.Application([
        (BASE + "/?", Site), (BASE + "/jobs/?", Jobs),
        (BASE + r"/jobs/([0-9a-f-]+)", OneJob),
        (BASE + r"/jobs/([0-9a-f-]+)/actions/(\w+)", Action),
        (BASE + r"/jobs/([0-9a-f-]+)/details", Details),
        (BASE + r"/storages/([0-9a-f-]+)-uspace", Storage),
        (BASE + r"/storages/([0-9a-f-]+)-uspace/files(/.*)?", Files),
    ], state=state)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True, help="HOST:PORT")
    p.add_argument("--users", required=True,
                   help="attribute source: JSON {DN: {\"xlogin\": LOGIN, \"role\": \"user\"}}")
    p.add_argument("--server-dn", default=Auth.server_dn,
                   help="this server's DN (what an \"aud\" claim must name)")
    p.add_argument("--trusted-issuer-cert", action="append", default=[],
                   help="PEM certificate of a trusted JWT issuer (repeatable)")
    p.add_argument("--hmac-secret-file", help="the shared HMAC secret for JWTs")
    p.add_argument("--oauth-address", help="OIDC userinfo (or, with --oauth-validate, "
                   "token introspection) endpoint for bearer tokens")
    p.add_argument("--oauth-validate", action="store_true")
    p.add_argument("--oauth-client-id", default="")
    p.add_argument("--oauth-client-secret-file")
    p.add_argument("--oauth-identity-assign", default="UID={preferred_username}")
    a = p.parse_args()
    oauth = None
    if a.oauth_address:
        secret = ""
        if a.oauth_client_secret_file:
            with open(a.oauth_client_secret_file, encoding="utf-8") as f:
                secret = f.read().strip()
        if a.oauth_validate and not (a.oauth_client_id and secret):
            p.error("--oauth-validate needs --oauth-client-id and --oauth-client-secret-file")
        oauth = OAuth(a.oauth_address, a.oauth_validate, a.oauth_client_id, secret,
                      a.oauth_identity_assign)
    auth = Auth.load(a.users, a.trusted_issuer_cert, a.hmac_secret_file,
                     server_dn=a.server_dn, oauth=oauth)
    host, port = a.listen.rsplit(":", 1)
    state = State(auth, f"http://{host}:{port}")
    make_app(state).listen(int(port), address=host)
    print(f"fake UNICORE at {state.url}{BASE}", flush=True)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
