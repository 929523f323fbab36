"""How the fake UNICORE server (unicore_fake.py) authenticates a request, as
UNICORE/X's own authenticators do: a trust-delegation JWT (issuer's certificate,
signature, expiry and not-before with nimbus's 60 s skew) or a bearer token the site's
OIDC provider vouches for (cached as UNICORE caches it). The sources are named in
unicore_fake.py's docstring and docs/jobs.md."""

import base64
import binascii
import json
import re
import time
from dataclasses import dataclass, field

from tornado import httpclient
from tornado.httputil import url_concat

ANONYMOUS_DN = "CN=ANONYMOUS,O=UNKNOWN,OU=UNKNOWN"  # UNICORE's Client.ANONYMOUS_CLIENT_DN
SKEW = 60  # nimbus DefaultJWTClaimsVerifier.DEFAULT_MAX_CLOCK_SKEW_SECONDS
OAUTH_CACHE = 300  # BaseRemoteAuthenticator.defaultCacheTime, in seconds
CERT_GRACE = 10 * 24 * 3600  # PubkeyCache: days a certificate is trusted past its end


class Refused(Exception):
    """The credential is not accepted (UNICORE: 403)."""


# ------------------------------------------------------------------ DNs
def _split(text: str, seps: str) -> list[str]:
    """``text`` split at the characters in ``seps`` that no backslash escapes."""
    parts, cur, i = [], "", 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur += text[i:i + 2]
            i += 2
            continue
        if c in seps:
            parts.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    return [*parts, cur]


def _unescape(value: str) -> str:
    out, i = "", 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            pair = value[i + 1:i + 3]
            if re.fullmatch(r"[0-9a-fA-F]{2}", pair):
                out += chr(int(pair, 16))
                i += 3
                continue
            out += value[i + 1]
            i += 2
            continue
        out += value[i]
        i += 1
    return out


def comparable_dn(dn: str) -> str:
    """A DN in a form two spellings of one name share; ValueError if it is none."""
    rdns = []
    for rdn in _split(dn.strip(), ",;"):
        avas = []
        for ava in _split(rdn, "+"):
            kind, eq, value = ava.partition("=")
            if not eq or not kind.strip():
                raise ValueError(f"not a DN: {dn!r}")
            value = " ".join(_unescape(value.strip()).split()).lower()
            avas.append(f"{kind.strip().lower()}={json.dumps(value)}")
        rdns.append("+".join(sorted(avas)))
    return ",".join(rdns)


# ------------------------------------------------------------------ JWTs
def b64d(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_payload(token: str) -> dict | None:
    """The claims of a token that parses as a JWT (JWTParser.parse), unverified."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header, claims = json.loads(b64d(parts[0])), json.loads(b64d(parts[1]))
    except (ValueError, binascii.Error):
        return None
    return claims if isinstance(header, dict) and isinstance(claims, dict) else None


def is_delegation(claims: dict) -> bool:
    etd = claims.get("etd")
    return (str(etd).lower() == "true" and claims.get("sub") is not None
            and claims.get("iss") is not None)


def _number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def check_claims(claims: dict, server_dn: str, now: float) -> None:
    """JWTUtils.verifyClaims: nimbus's DefaultJWTClaimsVerifier, "exp" required, the
    audience checked only when the token names one."""
    exp, nbf, aud = claims.get("exp"), claims.get("nbf"), claims.get("aud")
    if exp is None:
        raise Refused("JWT missing required claims: [exp]")
    if not _number(exp) or (nbf is not None and not _number(nbf)):
        raise Refused("JWT claims are not numbers of seconds")
    if exp + SKEW <= now:
        raise Refused("Expired JWT")
    if nbf is not None and nbf - SKEW >= now:
        raise Refused("JWT before use time")
    auds = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if auds and server_dn not in auds:
        raise Refused("JWT audience rejected")


def _algorithms(key) -> list[str]:
    """What nimbus's verifier for this key type accepts."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, rsa.RSAPublicKey):
        return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ["EdDSA"]
    if isinstance(key, ec.EllipticCurvePublicKey):
        return [{"secp256r1": "ES256", "secp384r1": "ES384",
                 "secp521r1": "ES512"}.get(key.curve.name, "none")]
    return []


def verify_signature(token: str, key, algorithms: list[str]) -> bool:
    from jwt import InvalidTokenError
    from jwt.api_jws import PyJWS

    try:
        PyJWS().decode(token, key=key, algorithms=algorithms)
        return True
    except (InvalidTokenError, ValueError, TypeError):
        return False


# ------------------------------------------------------------------ who calls
@dataclass(frozen=True)
class Client:
    """The caller as UNICORE's SecurityManager builds it."""

    dn: str = ANONYMOUS_DN
    xlogin: str | None = None
    role: str = "anonymous"
    method: str | None = None  # User-Authentication-Method: ETD, OAUTH

    @property
    def key(self) -> str:
        return comparable_dn(self.dn)


@dataclass
class OAuth:
    """OAuthAuthenticator: the bearer token checked at the OIDC provider."""

    address: str
    validate: bool = False
    client_id: str = ""
    client_secret: str = ""
    identity_assign: str = "UID={preferred_username}"
    cache: dict[str, tuple[float, dict]] = field(default_factory=dict)

    async def _ask(self, token: str) -> dict:
        http = httpclient.AsyncHTTPClient()
        if self.validate:
            body = url_concat("", {"client_id": self.client_id,
                                   "client_secret": self.client_secret,
                                   "token": token}).lstrip("?")
            resp = await http.fetch(self.address, method="POST", body=body,
                                    headers={"Content-Type":
                                             "application/x-www-form-urlencoded"})
        else:
            resp = await http.fetch(self.address,
                                    headers={"Authorization": f"Bearer {token}"})
        answer = json.loads(resp.body)
        if not isinstance(answer, dict):
            raise ValueError("not a JSON object")
        if self.validate and answer.get("active") is not True:
            raise Refused("Token validation failed")
        return answer

    async def identity(self, token: str) -> str | None:
        now = time.time()
        hit = self.cache.get(token)
        if hit and hit[0] > now:
            answer = hit[1]
        else:
            try:
                answer = await self._ask(token)
            except Exception:  # any failure (4xx, 5xx, no answer): no identity
                return None
            self.cache[token] = (now + OAUTH_CACHE, answer)
        if answer.get("active", True) is False:
            return None
        try:
            return self.identity_assign.format_map(answer)
        except (KeyError, ValueError, IndexError, AttributeError):
            return None


@dataclass
class Auth:
    """UNICORE/X's REST authentication and attribute source, as far as Funicular
    needs them (see the module's docstring)."""

    attributes: dict[str, dict]  # comparable DN -> {"xlogin", "role"}
    server_dn: str = "CN=FAKE-SITE,O=Funicular fake UNICORE"
    trusted: dict[str, list] = field(default_factory=dict)  # comparable DN -> keys
    hmac_secret: bytes | None = None
    oauth: OAuth | None = None

    @classmethod
    def load(cls, users_file: str, certs: list[str] = (), hmac_file: str | None = None,
             **kw) -> "Auth":
        with open(users_file, encoding="utf-8") as f:
            attrs = {comparable_dn(dn): a for dn, a in json.load(f).items()}
        auth = cls(attributes=attrs, **kw)
        for path in certs:
            with open(path, "rb") as f:
                auth.trust(f.read())
        if hmac_file:
            with open(hmac_file, "rb") as f:
                auth.hmac_secret = f.read().strip()
        return auth

    def trust(self, pem: bytes) -> bool:
        """A trusted issuer's certificate (jwt.trustedIssuerCert.N); False if it is
        too far past its end to be trusted (PubkeyCache.update)."""
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(pem)
        if time.time() >= cert.not_valid_after_utc.timestamp() + CERT_GRACE:
            return False
        subject = comparable_dn(cert.subject.rfc4514_string())
        self.trusted.setdefault(subject, []).append(cert.public_key())
        return True

    def verify_delegation(self, token: str, claims: dict, now: float) -> None:
        """JWTHelper.verifyJWTToken: the HMAC secret for HS* first, then the issuer's
        certificates; claims before signatures, as JWTUtils checks them."""
        check_claims(claims, self.server_dn, now)
        header = json.loads(b64d(token.split(".")[0]))
        alg = str(header.get("alg", ""))
        if self.hmac_secret is not None and alg.startswith("HS"):
            # nimbus's MACVerifier wants as many bits of secret as the hash has
            need = {"HS256": 32, "HS384": 48, "HS512": 64}.get(alg, 1 << 30)
            if len(self.hmac_secret) >= need and verify_signature(
                    token, self.hmac_secret, [alg]):
                return
        try:
            keys = self.trusted.get(comparable_dn(str(claims["iss"])), [])
        except ValueError:
            keys = []
        if not keys:
            raise Refused(f"Cannot verify token issued by <{claims['iss']}>, "
                          "no certificates available.")
        if not any(verify_signature(token, k, _algorithms(k)) for k in keys):
            raise Refused("JWT token could not be verified with the available keys")

    def client(self, dn: str, method: str) -> Client:
        try:
            attrs = self.attributes.get(comparable_dn(dn), {})
        except ValueError:
            attrs = {}
        role = attrs.get("role")
        return Client(dn=dn, xlogin=attrs.get("xlogin"), method=method,
                      role=role if role in ("user", "admin") else "anonymous")

    async def authenticate(self, authorization: str, now: float | None = None) -> Client:
        """The caller of a request with this Authorization header; Refused: 403."""
        now = time.time() if now is None else now
        if not authorization.startswith("Bearer "):
            return Client()  # no credentials we take: anonymous
        token = authorization[len("Bearer "):].strip()
        claims = jwt_payload(token)
        if claims is not None and is_delegation(claims):
            self.verify_delegation(token, claims, now)
            return self.client(str(claims["sub"]), "ETD")
        if self.oauth is None:
            return Client()  # no authenticator takes a bearer token
        dn = await self.oauth.identity(token)
        if dn is None:
            raise Refused("Authentication failed - credentials could not be verified.")
        return self.client(dn, "OAUTH")


# ------------------------------------------------------------------ the REST API
