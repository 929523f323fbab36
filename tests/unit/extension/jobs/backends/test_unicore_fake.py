"""The fake UNICORE server's authentication (tests/integration/unicore_fake.py) checks
what UNICORE/X checks (its docstring names the Java sources), so that the backend's
tests against it mean something: trust-delegation JWTs by signature of a trusted
issuer or the shared HMAC secret, expiry and not-before with 60 s of skew, the
audience if named; other bearer tokens at the OIDC provider; the DN mapped to a Unix
login with the role 'user'; jobs to their owner. And it refuses the Slurm token."""

import json
import time

import jwt
import pytest
from pyunicore.credentials import JWTToken
from tornado.httpclient import AsyncHTTPClient

from funicular.core.slurm.rest import sign_jwt
from tests.integration import unicore_fake
from tests.integration.unicore_fake import Refused

from .unicorekit import HUB_DN, FakeProvider, FakeUnicore, auth, issuer, users_file

KEY, CERT = issuer()
NOW = int(time.time())


def etd(sub="UID=alice", iss=HUB_DN, key=KEY, alg="RS256", **claims) -> str:
    """A delegation token as the hub makes it, or changed by ``claims``."""
    body = {"etd": "true", "sub": sub, "iss": iss, "iat": NOW, "exp": NOW + 300, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=alg)


async def who(a, token: str, now: float = NOW):
    return await a.authenticate(f"Bearer {token}", now=now)


async def test_a_delegation_token_of_a_trusted_issuer_is_its_subject():
    a = auth((CERT,))
    c = await who(a, etd())
    assert (c.dn, c.xlogin, c.role, c.method) == ("UID=alice", "alice", "user", "ETD")
    # pyunicore's own JWTToken with etd=True, as a trusted service makes it
    c = await who(a, JWTToken("UID=bob", HUB_DN, KEY, etd=True).get_token(), time.time())
    assert c.xlogin == "bob"
    # the issuer in another spelling of the same DN
    c = await who(a, etd(iss="cn=Funicular hub , o=Funicular test"))
    assert c.xlogin == "alice"


@pytest.mark.parametrize(("token", "why"), [
    (lambda: etd(key=issuer()[0]), "could not be verified"),  # signed with another key
    (lambda: etd(iss="CN=someone else"), "no certificates available"),
    (lambda: etd(exp=None), "exp"),
    (lambda: etd(exp=NOW - 61), "Expired"),
    (lambda: etd(nbf=NOW + 61), "before use"),
    (lambda: etd(aud="CN=another server"), "audience"),
    (lambda: etd(exp="tomorrow"), "numbers"),
    (lambda: etd(alg="HS256", key=b"k" * 32), "could not be verified"),  # no HMAC secret
    (lambda: jwt.encode({"etd": "true", "sub": "UID=alice", "iss": HUB_DN, "exp": NOW + 60},
                        None, algorithm="none"), "could not be verified"),
])
async def test_a_delegation_token_that_fails_a_check_is_refused(token, why):
    with pytest.raises(Refused, match=why):
        await who(auth((CERT,)), token())


async def test_clock_skew_and_the_unbounded_lifetime_are_unicores():
    a = auth((CERT,))
    assert (await who(a, etd(exp=NOW - 59))).xlogin == "alice"  # 60 s of skew
    assert (await who(a, etd(nbf=NOW + 59))).xlogin == "alice"
    # UNICORE sets no bound on a token's life and ignores iat: the hub must
    assert (await who(a, etd(iat=NOW - 10**6, exp=NOW + 10**6))).xlogin == "alice"
    assert (await who(a, etd(aud=["x", a.server_dn]))).xlogin == "alice"


async def test_an_expired_issuer_certificate_is_not_trusted():
    key, cert = issuer(days=-11)  # 11 days past its end: beyond PubkeyCache's 10
    assert not auth().trust(cert)


@pytest.mark.filterwarnings("ignore:The HMAC key is 16 bytes")  # PyJWT's, for the short one
async def test_the_hmac_secret_verifies_hs_tokens_of_any_issuer():
    secret = b"s" * 32
    a = auth(hmac_secret=secret)
    c = await who(a, etd(alg="HS256", key=secret, iss="CN=whoever"))
    assert c.xlogin == "alice"
    with pytest.raises(Refused):
        await who(a, etd(alg="HS256", key=b"t" * 32))
    short = auth(hmac_secret=b"s" * 16)  # nimbus refuses secrets under 256 bits
    with pytest.raises(Refused):
        await who(short, etd(alg="HS256", key=b"s" * 16))


async def test_the_slurm_token_and_non_delegation_jwts_are_refused(tmp_path):
    p = FakeProvider()
    try:
        oauth = unicore_fake.OAuth(p.url + "/userinfo")
        a = auth((CERT,), oauth=oauth)
        slurm = sign_jwt(b"cluster-key", "alice", NOW, 600)  # {"sun", "iat", "exp"}
        for token in (slurm, etd(etd="false"), JWTToken("alice", "alice", KEY).get_token()):
            with pytest.raises(Refused, match="could not be verified"):
                await who(a, token)
        # with no authenticator for bearer tokens, it is an anonymous client
        assert (await who(auth((CERT,)), slurm)).role == "anonymous"
    finally:
        p.stop()


async def test_an_unmapped_or_roleless_dn_is_anonymous():
    a = auth((CERT,))
    assert (await who(a, etd(sub="UID=mallory"))).role == "anonymous"
    assert (await who(a, etd(sub="UID=nobody"))).role == "anonymous"
    assert (await who(a, etd(sub="not a DN"))).role == "anonymous"
    assert (await a.authenticate("")).role == "anonymous"
    assert (await a.authenticate("Basic YTpi")).role == "anonymous"


@pytest.mark.parametrize("validate", [False, True])
async def test_oidc_bearer_tokens_are_checked_at_the_provider(validate):
    p = FakeProvider({"unicore": "client-secret"})
    try:
        oauth = unicore_fake.OAuth(p.url + ("/introspect" if validate else "/userinfo"),
                                   validate, "unicore", "client-secret")
        a = auth(oauth=oauth)
        token = p.provider.issue("alice")
        c = await who(a, token)
        assert (c.dn, c.xlogin, c.method) == ("UID=alice", "alice", "OAUTH")
        for bad in ("made-up", p.provider.issue("bob", lifetime=-1)):
            with pytest.raises(Refused, match="could not be verified"):
                await who(a, bad)
        # a good answer is cached for 5 minutes (BaseRemoteAuthenticator), as at UNICORE
        asked = len(p.provider.asked)
        p.provider.revoke(token)
        assert (await who(a, token)).xlogin == "alice" and len(p.provider.asked) == asked
        oauth.cache[token] = (time.time() - 1, oauth.cache[token][1])
        with pytest.raises(Refused):
            await who(a, token)
    finally:
        p.stop()


async def test_introspection_with_a_wrong_client_secret_verifies_nothing():
    p = FakeProvider({"unicore": "client-secret"})
    try:
        a = auth(oauth=unicore_fake.OAuth(p.url + "/introspect", True, "unicore", "guess"))
        with pytest.raises(Refused):
            await who(a, p.provider.issue("alice"))
    finally:
        p.stop()


async def test_over_http_refusals_are_403_and_jobs_are_their_owners(tmp_path):
    u = FakeUnicore(unicore_fake.Auth.load(users_file(tmp_path), [str(_cert(tmp_path))]))
    http = AsyncHTTPClient()

    async def get(path, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = await http.fetch(u.base + path, headers=headers, raise_error=False)
        return r.code, json.loads(r.body or b"null")
    try:
        job = u.add_job("UID=alice", "alice")
        code, site = await get("/", etd())
        assert code == 200 and site["client"]["xlogin"]["UID"] == "alice"
        assert site["client"]["role"]["selected"] == "user"
        code, props = await get(f"/jobs/{job}", etd())
        assert code == 200 and props["owner"] == "UID=alice" and props["status"] == "READY"
        assert (await get(f"/jobs/{job}", etd(sub="UID=bob")))[0] == 403  # not bob's
        assert (await get("/jobs/00000000-0000-0000-0000-00000000ffff", etd()))[0] == 404
        assert (await get("/jobs", etd(sub="UID=bob")))[1] == {"jobs": []}
        code, site = await get("/")  # anonymous: the base resource only
        assert code == 200 and site["client"]["role"]["selected"] == "anonymous"
        assert "xlogin" not in site["client"]
        assert (await get("/jobs"))[0] == 403
        assert (await get("/jobs", etd(sub="UID=nobody")))[0] == 403
        code, err = await get("/", etd(key=issuer()[0]))
        assert code == 403 and "could not be verified" in err["errorMessage"]
    finally:
        u.stop()


def _cert(tmp_path):
    path = tmp_path / "hub.pem"
    path.write_bytes(CERT)
    return path


def test_comparable_dns():
    c = unicore_fake.comparable_dn
    assert c("UID=Alice, O=Ex") == c("uid=alice,o=ex") == c(" UID = alice ,O=EX ")
    assert c("CN=a+O=b") == c("O=b+CN=a")
    assert c("CN=a\\,b") != c("CN=a,O=b")
    with pytest.raises(ValueError):
        c("alice")
