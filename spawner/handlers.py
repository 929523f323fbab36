"""Hub API for notebook jobs: where the server listens, Slurm and UNICORE credentials
for its jobs, and a reset of a workshop's course material.

Unlike batchspawner's callback, which sets any attribute the job sends, this one
accepts exactly ``{"host": ..., "port": ...}``, only with the token of the very
server being reported, and only for a host that Slurm allocated to that job.
"""

import json

from jupyterhub import orm
from jupyterhub.apihandlers.base import APIHandler
from tornado import web

from funicular.core import validate as v
from funicular.core.errors import SpecError
from funicular.core.hubapi import (
    ROUTE_ADDRESS,
    ROUTE_LISTENING,
    ROUTE_MATERIAL_RESET,
    ROUTE_SLURM_TOKEN,
    ROUTE_UNICORE_TOKEN,
)

from .unicorecreds import UnicoreRefusal, unicore_credential


class _ServerTokenHandler(APIHandler):
    """Calls from a notebook job, authenticated by its server's own API token."""

    def check_xsrf_cookie(self):
        # token-authenticated API calls from jobs carry no cookie
        return

    def server_spawner(self, missing: str):
        """The FunicularSpawner whose server token this request carries, or 403."""
        user = self.current_user
        token = self.get_auth_token()
        if user is None or not token or not hasattr(user, "spawners"):
            raise web.HTTPError(403, "a server token is required")
        spawner = _spawner_for_token(self.db, user, token)
        if spawner is None:
            raise web.HTTPError(403, f"this token belongs to no server that {missing}")
        return spawner

    def reported(self, spawner) -> tuple[str, int]:
        """The body's address, from this server's own job: a leftover job of the same
        server (one whose cancel is retried) reads the same env file and token. While
        sbatch's answer is not back, accept_address says 503 and the server retries."""
        host, port, job_id = _address(self.request.body)
        if job_id is not None and spawner.job_id and job_id != spawner.job_id:
            raise web.HTTPError(409, f"job {job_id} is not this server's job")
        return host, port


def _address(raw: bytes) -> tuple[str, int, str | None]:
    """Exactly {"host": ..., "port": ...} and, from a Slurm job, its "job_id"; checked,
    or a 400 that says what is wrong."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise web.HTTPError(400, "body must be JSON") from None
    if not isinstance(body, dict) or set(body) - {"job_id"} != {"host", "port"}:
        raise web.HTTPError(400, "body must be exactly {\"host\": ..., \"port\": ...} "
                            "and optionally \"job_id\"")
    job_id = body.get("job_id")
    if job_id is not None and not (isinstance(job_id, str) and job_id.isascii()
                                   and job_id.isdigit() and len(job_id) <= 19):
        raise web.HTTPError(400, "job_id: digits expected")
    try:
        return (v.hostname("host", body["host"]), v.integer("port", body["port"], 1024, 65535),
                job_id)
    except SpecError as e:
        raise web.HTTPError(400, str(e)) from None


class AddressHandler(_ServerTokenHandler):
    """POST /hub/api/funicular/address  {"host": "10.0.0.5", "port": 43121}"""

    async def post(self):
        spawner = self.server_spawner("is starting")
        host, port = self.reported(spawner)
        status, message = await spawner.accept_address(host, port)
        if status != 200:
            raise web.HTTPError(status, message)
        self.set_status(200)
        # the server learns when Slurm will end it (remaining walltime for the notebook)
        self.write({"status": "ok", "end_time": spawner.end_epoch()})


class ListeningHandler(_ServerTokenHandler):
    """POST /hub/api/funicular/listening  {"host": ..., "port": ...}: the server that
    reported this address now accepts connections (from its Funicular extension)."""

    async def post(self):
        spawner = self.server_spawner("is starting")
        host, port = self.reported(spawner)
        status, message = spawner.accept_listening(host, port)
        if status != 200:
            raise web.HTTPError(status, message)
        self.write({"status": "ok"})


class SlurmTokenHandler(_ServerTokenHandler):
    """POST /hub/api/funicular/slurm-token -> {"token": JWT, "expires": epoch}

    For a notebook server's jobs API: only with that server's own token, and only
    ever a token of that server's user. Not logged, not stored."""

    async def post(self):
        spawner = self.server_spawner("is running")
        if not spawner.active:
            raise web.HTTPError(403, "this token belongs to no server that is running")
        self.set_header("Cache-Control", "no-store")
        self.write(spawner.slurm_token())


class UnicoreTokenHandler(_ServerTokenHandler):
    """POST /hub/api/funicular/unicore-token -> {"token", "expires", "kind"}

    The user's UNICORE credential for a notebook server's jobs API, as the site chose
    (``c.FunicularUnicore``, unicorecreds.py): a JWT the hub signs, or the user's OIDC
    access token from auth_state. Only with that server's own token, only ever its
    user's credential. Not logged, not stored, not cached."""

    async def post(self):
        spawner = self.server_spawner("is running")
        if not spawner.active:
            raise web.HTTPError(403, "this token belongs to no server that is running")
        if spawner.jobs_backend != "unicore":  # the user's OIDC token goes nowhere else
            raise web.HTTPError(404, "this hub hands out no UNICORE credentials "
                                "(jobs_backend 'unicore')")
        user = self.current_user
        try:
            answer = await unicore_credential(
                spawner, user, lambda: self.refresh_auth(user, force=True))
        except UnicoreRefusal as e:
            raise web.HTTPError(e.status, e.message) from None
        self.set_header("Cache-Control", "no-store")
        self.write(answer)


class MaterialResetHandler(_ServerTokenHandler):
    """POST /hub/api/funicular/material/reset -> what was handed out again, and where
    the participant's folder went. From the participant's own server (its token)."""

    async def post(self):
        spawner = self.server_spawner("is running")
        self.write(await spawner.reset_material())


def _spawner_for_token(db, user, token: str):
    """The server whose token this is, by the token's row id (kept in the spawner's
    state): JupyterHub does not restore ``Spawner.api_token`` after a restart, and a
    comparison with it refused every server that ran before one."""
    from .spawner import FunicularSpawner

    row = orm.APIToken.find(db, token)
    if row is None or row.user_id != user.id:
        return None
    for spawner in list(user.spawners.values()):
        if isinstance(spawner, FunicularSpawner) and spawner.token_id == row.id:
            return spawner
    return None


# JupyterHub mounts its API handlers at {base_url}hub, so these are /hub/api/...: the
# routes the starter, the extension and the workshop service call (core.hubapi)
HANDLERS = [(r"/api" + ROUTE_ADDRESS, AddressHandler),
            (r"/api" + ROUTE_LISTENING, ListeningHandler),
            (r"/api" + ROUTE_SLURM_TOKEN, SlurmTokenHandler),
            (r"/api" + ROUTE_UNICORE_TOKEN, UnicoreTokenHandler),
            (r"/api" + ROUTE_MATERIAL_RESET, MaterialResetHandler)]


def register() -> None:
    """Add our API route to JupyterHub's (once), as the hub builds its handlers later."""
    from jupyterhub import apihandlers

    known = {h[0] for h in apihandlers.default_handlers}
    apihandlers.default_handlers.extend(h for h in HANDLERS if h[0] not in known)
