"""The user's UNICORE credential on the hub (spawner/unicorecreds.py) and its route:
a JWT with the claims pyunicore's JWTToken(etd=True) puts in, signed with the site's
key (read from a file only its owner can read), for the user's DN and no longer than
the set lifetime, which the fake UNICORE's checks (UNICORE/X's) accept; or the user's
OIDC access token from auth_state, refreshed when (nearly) expired; nothing without
the site's choice; only for a running server's own token, never cached."""

import json
import os
import time
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from pyunicore.credentials import JWTToken
from tornado import httpserver, netutil, web
from tornado.httpclient import AsyncHTTPClient
from traitlets import TraitError
from traitlets.config import Config

from funicular.core.hubapi import ROUTE_UNICORE_TOKEN, HubClient, HubError
from funicular.spawner import handlers
from funicular.spawner.unicorecreds import (
    FunicularUnicore,
    UnicoreConfigError,
    UnicoreRefusal,
    check_settings,
    dn_value,
    mint_jwt,
    oidc_credential,
    subject_dn,
    token_expiry,
)
from tests.unit.extension.jobs.backends.unicorekit import HUB_DN, auth, issuer, pem

from .test_handlers import _Users, alice, db  # noqa: F401 (fixtures)

KEY, CERT = issuer()


def _key_file(tmp_path, data: bytes, mode: int = 0o600) -> str:
    path = tmp_path / f"unicore-{len(list(tmp_path.iterdir()))}.key"
    path.write_bytes(data)
    path.chmod(mode)
    return str(path)


def _settings(tmp_path, **kw) -> FunicularUnicore:
    if "jwt_key_file" not in kw:
        kw["jwt_key_file"] = _key_file(tmp_path, pem(KEY))
    return FunicularUnicore(**{"credential": "jwt", "jwt_issuer": HUB_DN, **kw})


def _claims(token: str, key=None, alg="RS256") -> dict:
    return jwt.decode(token, key or KEY.public_key(), algorithms=[alg],
                      options={"verify_exp": False, "verify_iat": False})


def test_the_token_is_what_pyunicores_jwttoken_makes(tmp_path):
    answer = mint_jwt(_settings(tmp_path), "alice", now=1_900_000_000)
    ours = _claims(answer["token"])
    theirs = _claims(JWTToken("UID=alice", HUB_DN, KEY, lifetime=300, etd=True).get_token())
    assert list(ours) == list(theirs) == ["etd", "sub", "iss", "iat", "exp"]
    assert {k: ours[k] for k in ("etd", "sub", "iss")} == \
        {k: theirs[k] for k in ("etd", "sub", "iss")} == \
        {"etd": "true", "sub": "UID=alice", "iss": HUB_DN}
    assert ours["exp"] - ours["iat"] == theirs["exp"] - theirs["iat"] == 300
    assert jwt.get_unverified_header(answer["token"])["alg"] == "RS256"
    assert answer == {"token": answer["token"], "expires": 1_900_000_300, "kind": "jwt"}


async def test_unicores_checks_take_it_for_the_user(tmp_path):
    """The fake UNICORE (UNICORE/X's checks) maps it to the user's login."""
    token = mint_jwt(_settings(tmp_path), "alice")["token"]
    client = await auth((CERT,)).authenticate(f"Bearer {token}")
    assert (client.xlogin, client.role, client.method) == ("alice", "user", "ETD")
    other = mint_jwt(_settings(tmp_path, jwt_issuer="CN=not the hub"), "alice")["token"]
    with pytest.raises(Exception, match="no certificates available"):
        await auth((CERT,)).authenticate(f"Bearer {other}")


def test_lifetime_is_the_sites_and_bounded(tmp_path):
    answer = mint_jwt(_settings(tmp_path, jwt_lifetime=60), "alice", now=1000)
    assert _claims(answer["token"])["exp"] == answer["expires"] == 1060
    for bad in (10, 7200):
        with pytest.raises(TraitError):
            FunicularUnicore(jwt_lifetime=bad)


def test_the_subject_is_the_users_dn_escaped(tmp_path):
    assert subject_dn("UID={user}", "jane.doe") == "UID=jane.doe"
    assert subject_dn("CN={user},O=Example", "a,b") == "CN=a\\,b,O=Example"
    assert dn_value('#a+b"<>;\\ ') == '\\#a\\+b\\"\\<\\>\\;\\\\\\ '
    token = mint_jwt(_settings(tmp_path, jwt_subject="CN={user}, O=HPC"), "a,b")["token"]
    assert _claims(token)["sub"] == "CN=a\\,b, O=HPC"
    for bad in ("{user}", "UID={name}", "UID={user}{0}", "UID={user"):
        with pytest.raises(TraitError):
            FunicularUnicore(jwt_subject=bad)


def test_the_key_type_picks_the_algorithm(tmp_path):
    cases = [(ec.generate_private_key(ec.SECP256R1()), "ES256"),
             (ec.generate_private_key(ec.SECP384R1()), "ES384"),
             (ed25519.Ed25519PrivateKey.generate(), "EdDSA")]
    for key, alg in cases:
        s = _settings(tmp_path, jwt_key_file=_key_file(tmp_path, pem(key)))
        token = mint_jwt(s, "alice")["token"]
        assert _claims(token, key.public_key(), alg)["sub"] == "UID=alice"
    openssh = ed25519.Ed25519PrivateKey.generate()
    raw = openssh.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
    token = mint_jwt(_settings(tmp_path, jwt_key_file=_key_file(tmp_path, raw)), "alice")
    assert _claims(token["token"], openssh.public_key(), "EdDSA")["sub"] == "UID=alice"
    secret = b"x" * 40
    token = mint_jwt(_settings(tmp_path, jwt_key_file=_key_file(tmp_path, secret + b"\n")),
                     "alice")["token"]
    assert _claims(token, secret, "HS256")["etd"] == "true"


@pytest.mark.parametrize(("data", "mode", "why"), [
    (b"short secret\n", 0o600, "at least 32 bytes"),
    (pem(KEY), 0o640, "readable by others"),
    (KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                       serialization.BestAvailableEncryption(b"pw")), 0o600, "unencrypted"),
])
def test_a_key_the_hub_must_not_use_is_refused_with_why(tmp_path, data, mode, why):
    with pytest.raises(UnicoreConfigError, match=why):
        mint_jwt(_settings(tmp_path, jwt_key_file=_key_file(tmp_path, data, mode)), "alice")
    with pytest.raises(UnicoreConfigError, match="needs jwt_key_file and jwt_issuer"):
        mint_jwt(FunicularUnicore(credential="jwt"), "alice")


def test_settings_can_be_checked_at_the_hubs_start(tmp_path):
    assert check_settings(FunicularUnicore()) is None  # nothing chosen: nothing to check
    assert check_settings(FunicularUnicore(credential="oidc")) is None
    assert check_settings(_settings(tmp_path))[1] == "RS256"
    with pytest.raises(UnicoreConfigError, match="not 'jwt'"):
        mint_jwt(FunicularUnicore(credential="oidc"), "alice")


# ------------------------------------------------------------------ oidc
def _access_token(exp: float) -> str:
    """An access token as Keycloak's: a JWT (signed by the provider, not checked here)."""
    return jwt.encode({"sub": "alice", "exp": int(exp)}, "provider-key-provider-key-32byte")


class _AuthState:
    """auth_state and the authenticator's refresh, as JupyterHub runs them."""

    def __init__(self, state: dict | None, refreshed: dict | None = None):
        self.state, self.refreshed, self.refreshes = state, refreshed, 0

    async def get(self):
        return self.state

    async def refresh(self):
        self.refreshes += 1
        if self.refreshed is not None:
            self.state = self.refreshed


async def test_a_fresh_access_token_is_handed_over_as_it_is():
    now = time.time()
    token = _access_token(now + 600)
    a = _AuthState({"access_token": token, "refresh_token": "r"})
    answer = await oidc_credential(FunicularUnicore(), a.get, a.refresh, now=now)
    assert answer == {"token": token, "expires": int(now + 600), "kind": "oidc"}
    assert a.refreshes == 0 and token_expiry(token) == int(now + 600)


async def test_a_nearly_expired_token_is_refreshed_first():
    now = time.time()
    new = _access_token(now + 900)
    a = _AuthState({"access_token": _access_token(now + 30)}, {"access_token": new})
    answer = await oidc_credential(FunicularUnicore(), a.get, a.refresh, now=now)
    assert answer["token"] == new and a.refreshes == 1


async def test_an_opaque_token_is_used_for_oidc_lifetime():
    a = _AuthState({"tok": "opaque-token"})
    s = FunicularUnicore(oidc_auth_state_key="tok", oidc_lifetime=120)
    answer = await oidc_credential(s, a.get, a.refresh, now=1000.0)
    assert answer == {"token": "opaque-token", "expires": 1120.0, "kind": "oidc"}
    assert token_expiry("opaque-token") is None
    assert token_expiry("x.y.z") is None  # three parts, but no JSON: opaque too


@pytest.mark.parametrize(("state", "refreshed"), [
    (None, None),  # an authenticator that keeps no auth_state (PAM)
    ({"access_token": ""}, {}),
    ({"id_token": "x"}, {"id_token": "y"}),
])
async def test_no_token_even_after_a_refresh_is_404(state, refreshed):
    a = _AuthState(state, refreshed)
    with pytest.raises(UnicoreRefusal, match="holds no OIDC access token") as e:
        await oidc_credential(FunicularUnicore(), a.get, a.refresh)
    assert e.value.status == 404 and a.refreshes == 1


async def test_an_expired_token_that_cannot_be_refreshed_is_403():
    a = _AuthState({"access_token": _access_token(time.time() - 5)})  # refresh gives nothing
    with pytest.raises(UnicoreRefusal, match="log in to the hub again") as e:
        await oidc_credential(FunicularUnicore(), a.get, a.refresh)
    assert e.value.status == 403 and a.refreshes == 1


# ------------------------------------------------------------------ the route
class _Authenticator:
    """What refresh_auth(force=True) uses of JupyterHub's Authenticator."""

    auth_refresh_age = 300
    auth_refresh_strict = False

    def __init__(self):
        self.refreshed = []

    async def refresh_user(self, user, handler=None):
        self.refreshed.append(user.name)
        user.auth_state = {"access_token": _access_token(time.time() + 900)}
        return True


@pytest.fixture
def authenticator():
    return _Authenticator()


@pytest.fixture
async def hub(db, alice, authenticator):  # noqa: F811
    app = web.Application(
        [("/hub" + route, handler) for route, handler in handlers.HANDLERS],
        db=db, users=_Users({alice.id: alice}), cookie_secret=os.urandom(32),
        authenticator=authenticator,
        hub=SimpleNamespace(base_url="/hub/", cookie_name="jupyterhub-hub-login"))
    sock, = netutil.bind_sockets(0, "127.0.0.1")
    server = httpserver.HTTPServer(app)
    server.add_sockets([sock])
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hub/api"
    yield lambda token: HubClient(url, token, timeout=5)
    server.stop()


async def _refused(client, body=None) -> HubError:
    with pytest.raises(HubError) as e:
        await client.call("POST", ROUTE_UNICORE_TOKEN, body or {})
    return e.value


def _configure(server, **settings):
    server.config = Config({"FunicularUnicore": settings})
    server.jobs_backend = "unicore"


async def test_the_route_hands_the_sites_jwt_to_the_servers_own_token(
        hub, alice, tmp_path, monkeypatch):  # noqa: F811
    server = alice.spawners[""]
    client = hub(alice.tokens[""])
    server.jobs_backend = "unicore"
    e = await _refused(client)  # the site chose no credential: none
    assert e.status == 404 and "FunicularUnicore.credential" in e.message
    _configure(server, credential="jwt", jwt_issuer=HUB_DN,
               jwt_key_file=_key_file(tmp_path, pem(KEY)))
    monkeypatch.setattr(type(server), "identity", SimpleNamespace(check=lambda name: None))
    answer = await client.call("POST", ROUTE_UNICORE_TOKEN, {})
    assert answer["kind"] == "jwt" and _claims(answer["token"])["sub"] == "UID=alice"
    for token in ("", "not-a-token", alice.tokens["personal"]):
        assert (await _refused(hub(token))).status == 403
    server.active = False  # only for a server that runs
    assert (await _refused(client)).status == 403


async def test_the_route_refuses_a_system_account_and_hides_a_broken_key(
        hub, alice, tmp_path, monkeypatch):  # noqa: F811
    from funicular.core.errors import IdentityError

    server = alice.spawners[""]
    _configure(server, credential="jwt", jwt_issuer=HUB_DN,
               jwt_key_file=_key_file(tmp_path, pem(KEY), 0o644))

    def system(name):
        raise IdentityError(f"{name!r} is a system account")
    monkeypatch.setattr(type(server), "identity", SimpleNamespace(check=system))
    e = await _refused(hub(alice.tokens[""]))
    assert e.status == 403 and "system account" in e.message
    monkeypatch.setattr(type(server), "identity", SimpleNamespace(check=lambda name: None))
    logged = []
    monkeypatch.setattr(type(server), "log", SimpleNamespace(error=lambda *a: logged.append(a)),
                        raising=False)
    e = await _refused(hub(alice.tokens[""]))
    assert e.status == 500 and str(tmp_path) not in e.message  # the path: the hub's log only
    assert "readable by others" in str(logged[0][-1])


async def test_the_route_hands_over_and_refreshes_the_oidc_token(hub, alice, authenticator):  # noqa: F811
    _configure(alice.spawners[""], credential="oidc")
    alice.auth_state = {"access_token": _access_token(time.time() + 10)}  # nearly expired

    async def get_auth_state():
        return alice.auth_state
    alice.get_auth_state = get_auth_state
    client = hub(alice.tokens[""])
    resp = await AsyncHTTPClient().fetch(
        client.url + ROUTE_UNICORE_TOKEN, method="POST", body=b"{}",
        headers={"Authorization": f"token {client.token}"})
    assert resp.headers["Cache-Control"] == "no-store"
    answer = json.loads(resp.body)
    assert answer["kind"] == "oidc" and answer["token"] == alice.auth_state["access_token"]
    assert answer["expires"] > time.time() + 800 and authenticator.refreshed == ["alice"]


async def test_no_unicore_credential_where_the_server_does_not_use_unicore(
        hub, alice, tmp_path):  # noqa: F811
    """The user's OIDC access token leaves the hub only for UNICORE."""
    server = alice.spawners[""]
    _configure(server, credential="oidc")
    server.jobs_backend = "rest"
    e = await _refused(hub(alice.tokens[""]))
    assert e.status == 404 and "jobs_backend 'unicore'" in str(e)
