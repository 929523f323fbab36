"""The agreement between the hub and a notebook server, written once, and the one
small client of the hub's REST API.

The spawner writes these variables into the server's private env file (or the job's
environment) and the server side reads them; the hub registers these routes under
its API (``/hub/api``) and the single-user starter, the extension's jobs backends,
the course material reset and the workshop service call them. Neither side spells a
name or a path of its own: both import it from here.
"""

import http.client
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field

# --- JupyterHub's own variables (set by the hub for every server and service)
HUB_API_URL = "JUPYTERHUB_API_URL"
HUB_API_TOKEN = "JUPYTERHUB_API_TOKEN"
HUB_SSL_KEYFILE = "JUPYTERHUB_SSL_KEYFILE"
HUB_SSL_CERTFILE = "JUPYTERHUB_SSL_CERTFILE"
HUB_SSL_CLIENT_CA = "JUPYTERHUB_SSL_CLIENT_CA"
HUB_SERVICE_PREFIX = "JUPYTERHUB_SERVICE_PREFIX"  # the server's base URL path
HUB_SERVICE_URL = "JUPYTERHUB_SERVICE_URL"  # where the server listens (singleuser sets it)

# --- what the spawner hands to the server (its 0600 env file)
JOB_SITE = "FUNICULAR_JOB_SITE"  # core.jobs.site.JobSite as JSON: what follow-on jobs may use
MATERIAL_DIR = "FUNICULAR_MATERIAL_DIR"  # a workshop's course folder, relative to the home
WALLTIME_WARNING = "FUNICULAR_WALLTIME_WARNING"  # seconds; set where Slurm cannot signal
STORE_PREFIX = "FUNICULAR_STORE_"  # the user's object-store credentials (core.storage)

# --- what the single-user starter sets for the server it runs
JOB_END_TIME = "FUNICULAR_JOB_END_TIME"  # Unix time Slurm ends the job (the hub's answer)
LISTENING_REPORT = "FUNICULAR_LISTENING_REPORT"  # HOST:PORT it reported, told again once up

# --- what a containerised job gets (notebook and follow-on jobs), in the engine's argv
CONTAINER_ENGINE = "FUNICULAR_CONTAINER_ENGINE"  # the engine the server runs under
SCRATCH = "FUNICULAR_SCRATCH"  # the volatile scratch area inside the container
JOB_ID = "FUNICULAR_JOB"  # a follow-on job's id (the extension's, not Slurm's)
JOB_DIR = "FUNICULAR_JOB_DIR"  # a follow-on job's directory, as the container sees it

# --- routes of the hub's API, relative to JUPYTERHUB_API_URL (spawner/handlers.py)
ROUTE_ADDRESS = "/funicular/address"  # POST {host, port[, job_id]}: where the server is
ROUTE_LISTENING = "/funicular/listening"  # POST {host, port[, job_id]}: it accepts now
ROUTE_SLURM_TOKEN = "/funicular/slurm-token"  # POST {}: a short-lived slurmrestd token
# POST {}: the user's UNICORE credential -> {"token", "expires", "kind": "jwt" | "oidc"}
ROUTE_UNICORE_TOKEN = "/funicular/unicore-token"
ROUTE_MATERIAL_RESET = "/funicular/material/reset"  # POST {}: course material afresh
HUB_ROUTES = (ROUTE_ADDRESS, ROUTE_LISTENING, ROUTE_SLURM_TOKEN, ROUTE_UNICORE_TOKEN,
              ROUTE_MATERIAL_RESET)

# --- routes of the server extension, relative to the server's base URL
SERVER_API = "funicular/api"
SERVER_LISTENER_PROOF = f"{SERVER_API}/listener-proof"  # see core.listener


class HubError(RuntimeError):
    """The hub answered with an unexpected status (0: it could not be reached)."""

    def __init__(self, status: int, text: str, answer: object = None):
        super().__init__(f"hub API: HTTP {status}: {text}" if status
                         else f"hub API unreachable: {text}")
        self.status = status
        self.message = text  # the hub's own words ("message" of its JSON error)
        self.answer = answer


@dataclass(frozen=True)
class HubClient:
    """The hub's REST API with one token: a server's or a service's own.

    ``call`` is for the event loop (tornado's client); ``call_sync`` for the
    single-user starter, which talks to the hub before any loop runs. Both return the
    decoded JSON answer and raise ``HubError`` for a status outside ``ok``, so every
    caller handles an answer the same way. The token goes in a header, never a URL,
    and redirects are not followed: both HTTP clients would send the header on to
    wherever a redirect points, and the hub's API never redirects.
    """

    url: str
    token: str = field(repr=False)  # a client in a log line must not show it
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs) -> "HubClient":
        env = os.environ if env is None else env
        return cls(env[HUB_API_URL].rstrip("/"), env.get(HUB_API_TOKEN, ""),
                   ssl_context=internal_ssl_context(env), **kwargs)

    def _parts(self, method: str, route: str, body, params, headers):
        url = self.url.rstrip("/") + route
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = json.dumps(body).encode() if body is not None else (
            b"" if method in ("POST", "PUT", "PATCH") else None)
        return url, data, {"Authorization": f"token {self.token}",
                           "Content-Type": "application/json", **(headers or {})}

    @staticmethod
    def _answer(status: int, raw: bytes, ok) -> object:
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = None
        if status not in ok:
            text = answer.get("message", "") if isinstance(answer, dict) else ""
            raise HubError(status, text or raw.decode(errors="replace")[:300], answer)
        return answer

    async def call(self, method: str, route: str, body: object = None, *,
                   params: dict | None = None, ok=(200, 201, 202, 204),
                   headers: dict | None = None, timeout: float | None = None) -> object:
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

        url, data, hdrs = self._parts(method, route, body, params, headers)
        req = HTTPRequest(url, method=method, body=data, headers=hdrs,
                          request_timeout=timeout or self.timeout,
                          connect_timeout=timeout or self.timeout,
                          ssl_options=self.ssl_context, allow_nonstandard_methods=True,
                          follow_redirects=False)
        try:
            resp = await AsyncHTTPClient().fetch(req, raise_error=False)
        except (OSError, HTTPClientError) as e:
            # raise_error=False still raises what is no answer: a refused connection
            # (OSError), a timeout or a closed stream (HTTPClientError 599)
            raise HubError(0, str(e)) from None
        if resp.code == 599:  # tornado's "no answer": timeout or connection refused
            raise HubError(0, str(resp.error))
        return self._answer(resp.code, resp.body or b"", ok)

    def call_sync(self, method: str, route: str, body: object = None, *,
                  params: dict | None = None, ok=(200, 201, 202, 204),
                  headers: dict | None = None, timeout: float | None = None) -> object:
        url, data, hdrs = self._parts(method, route, body, params, headers)
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self.ssl_context), _NoRedirect)
        try:
            with opener.open(req, timeout=timeout or self.timeout) as resp:
                return self._answer(resp.status, resp.read(), ok)
        except urllib.error.HTTPError as e:
            with e:
                return self._answer(e.code, e.read() or b"", ok)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            # HTTPException: a broken answer (bad status line, cut short): no answer
            raise HubError(0, str(e) or type(e).__name__) from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the answer (an HTTPError), not a new request carrying the token."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def internal_ssl_context(env: Mapping[str, str]) -> ssl.SSLContext | None:
    """With JupyterHub's internal_ssl the hub API wants the server's client
    certificate, and is verified against the internal CA."""
    key, cert = env.get(HUB_SSL_KEYFILE), env.get(HUB_SSL_CERTFILE)
    if not key or not cert:
        return None
    ctx = ssl.create_default_context(cafile=env.get(HUB_SSL_CLIENT_CA))
    ctx.load_cert_chain(cert, key)
    return ctx
