"""The user's UNICORE credential, made or fetched on the hub for their notebook server.

A UNICORE server (UNICORE/X) takes a notebook server's calls for its user with one of
two credentials; the site picks which (``c.FunicularUnicore.credential``), as only the
hub holds what either needs:

- ``jwt``: a trust-delegation JWT as pyunicore's ``JWTToken(..., etd=True)`` makes it,
  ``{"etd": "true", "sub": <the user's DN>, "iss": <the hub's DN>, "iat", "exp"}``,
  signed with a key the UNICORE server trusts: the private key of a certificate it
  lists in ``container.security.rest.jwt.trustedIssuerCert.N`` (the issuer is that
  certificate's subject DN), or its shared ``container.security.rest.jwt.hmacSecret``.
  UNICORE's AuthNHandler then takes ``sub`` as the user's identity, which its
  attribute source (XUUDB, a map file) maps to the Unix login. The key never leaves
  the hub; a server only ever gets a short-lived token of its own user's.
- ``oidc``: the user's OIDC access token, from the hub authenticator's auth_state
  (OAuthenticator with ``enable_auth_state``), which UNICORE's OAuthAuthenticator
  checks at the site's OIDC provider (userinfo or token introspection). A token that
  has (nearly) expired is refreshed first through the authenticator
  (``refresh_auth(force=True)`` -> ``Authenticator.refresh_user``, which for
  OAuthenticator uses the refresh token once the access token fails).

Either reaches the server only as the answer of ``hubapi.ROUTE_UNICORE_TOKEN``, asked
with its own server token (handlers.py): never in argv, the env file, a job script
or a log. The server asks again when a third of the credential's life is left.
The settings are a configurable of their own beside FunicularSpawner
(``c.FunicularUnicore``), read from the hub's config at each request, so a key can be
rotated without a restart. Sources: docs/jobs.md, "UNICORE credentials".
"""

import base64
import binascii
import json
import string
import time
from collections.abc import Awaitable, Callable

from traitlets import Enum, Integer, TraitError, Unicode, validate
from traitlets.config import Configurable

from funicular.core.errors import IdentityError

from .credentials import private_bytes

KINDS = ("jwt", "oidc")
# an access token with less left than this is refreshed before it is handed out
REFRESH_WITHIN = 60
# RFC 4514 2.4: characters escaped anywhere in an attribute value
_DN_SPECIAL = frozenset('"+,;<>\\')
# HMAC secrets: nimbus-jose-jwt (UNICORE's JWT library) refuses shorter ones for HS256
MIN_HMAC_BYTES = 32


class UnicoreConfigError(RuntimeError):
    """The site's FunicularUnicore settings cannot make a credential (says which)."""


class UnicoreRefusal(RuntimeError):
    """No credential for this request: an HTTP status and the reason for the server."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def check_subject_template(template: str) -> str:
    """A DN template with {user} as its only field (the hub user's name goes there)."""
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as e:
        raise TraitError(f"jwt_subject {template!r}: {e}") from None
    if fields != {"user"} or "=" not in template:
        raise TraitError(f"jwt_subject {template!r} must be a DN with {{user}} as its only "
                         "field, e.g. 'UID={user}' or 'CN={user},O=Example'")
    return template


class FunicularUnicore(Configurable):
    """How the hub gives a notebook server its user's UNICORE credential, for follow-on
    jobs through UNICORE (``c.FunicularSpawner.jobs_backend = 'unicore'``)."""

    credential = Enum(
        ["", "jwt", "oidc"], "",
        help="""Which credential notebook servers get for the site's UNICORE server.
        'jwt': a short-lived trust-delegation JWT the hub signs for the user (UNICORE
        trusts the hub as an issuer: jwt_key_file, jwt_issuer, jwt_subject). 'oidc': the
        user's OIDC access token from the authenticator's auth_state (an OAuthenticator
        with enable_auth_state; UNICORE validates it at the same OIDC provider). Empty:
        none, and the unicore jobs backend cannot authenticate.""",
    ).tag(config=True)

    jwt_key_file = Unicode(
        "",
        help="""credential='jwt': the hub's signing key, readable by the hub's account
        alone (refused otherwise). Either a PEM (or OpenSSH) private key, RSA, EC or
        Ed25519, whose certificate the UNICORE server lists in
        container.security.rest.jwt.trustedIssuerCert.N; or a file holding the UNICORE
        server's container.security.rest.jwt.hmacSecret (at least 32 bytes; note that
        this secret also lets its holder act as the UNICORE server).""",
    ).tag(config=True)

    jwt_issuer = Unicode(
        "",
        help="""credential='jwt': the tokens' issuer, the subject DN of the certificate
        of jwt_key_file as the UNICORE server reads it (`openssl x509 -noout -subject
        -nameopt RFC2253 -in CERT`); UNICORE finds the key to check a token with by it.
        Any non-empty DN other than the users' with an hmacSecret.""",
    ).tag(config=True)

    jwt_subject = Unicode(
        "UID={user}",
        help="""credential='jwt': the user's identity in the token (its subject), a DN
        template with {user} for the hub user's name (escaped as a DN value). The
        UNICORE server's attribute source (XUUDB, a map file) must map this DN to the
        user's Unix login, with the role 'user'.""",
    ).tag(config=True)

    jwt_lifetime = Integer(
        300, min=30, max=3600,
        help="""credential='jwt': seconds a token is valid (pyunicore's and UNICORE's
        own default: 300). UNICORE checks the expiry (with 60 s of clock skew) but sets
        no bound of its own: this is the bound.""",
    ).tag(config=True)

    oidc_auth_state_key = Unicode(
        "access_token",
        help="""credential='oidc': the auth_state key of the user's access token
        (OAuthenticator's: access_token).""",
    ).tag(config=True)

    oidc_lifetime = Integer(
        300, min=30,
        help="""credential='oidc': seconds a server uses an access token whose expiry it
        cannot read (an opaque token, not a JWT) before asking the hub again.""",
    ).tag(config=True)

    @validate("jwt_subject")
    def _valid_subject(self, proposal):
        return check_subject_template(proposal["value"])


# ------------------------------------------------------------------ jwt
def dn_value(value: str) -> str:
    """``value`` escaped as a DN attribute value (RFC 4514 2.4): a user name with a
    comma must not add an RDN to the subject."""
    out = "".join(f"\\{c}" if c in _DN_SPECIAL else "\\00" if c == "\0" else c
                  for c in value)
    if out[:1] in ("#", " "):
        out = "\\" + out
    if value.endswith(" "):
        out = out[:-1] + "\\ "
    return out


def subject_dn(template: str, user: str) -> str:
    return check_subject_template(template).format(user=dn_value(user))


def etd_claims(subject: str, issuer: str, lifetime: int, now: int) -> dict:
    """The claims pyunicore's ``JWTToken(subject, issuer, key, lifetime=..., etd=True)``
    puts in, in its order ("etd" is the string "true", as UNICORE's own tokens say)."""
    return {"etd": "true", "sub": subject, "iss": issuer, "iat": now, "exp": now + lifetime}


def signing_key(path: str) -> tuple[object, str]:
    """The hub's key and its JWS algorithm, chosen by the key's type as pyunicore's
    create_credential and UNICORE's JWTUtils do; a non-PEM file is an HMAC secret."""
    raw = private_bytes(path, UnicoreConfigError)
    if b"-----BEGIN" not in raw:
        secret = raw.strip()
        if len(secret) < MIN_HMAC_BYTES:
            raise UnicoreConfigError(
                f"{path}: an HMAC secret needs at least {MIN_HMAC_BYTES} bytes (UNICORE "
                "refuses shorter ones for HS256)")
        return secret, "HS256"
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        if b"OPENSSH PRIVATE KEY" in raw:
            key = serialization.load_ssh_private_key(raw, password=None)
        else:
            key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError) as e:  # encrypted, or not a key
        raise UnicoreConfigError(f"{path}: not an unencrypted private key ({e})") from None
    if isinstance(key, rsa.RSAPrivateKey):
        return key, "RS256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key, "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}.get(
            key.curve.name)
        if alg:
            return key, alg
    raise UnicoreConfigError(f"{path}: UNICORE checks RSA, EC (P-256, P-384, P-521) and "
                             f"Ed25519 signatures, not {type(key).__name__}")


def check_settings(settings: FunicularUnicore) -> tuple[object, str] | None:
    """UnicoreConfigError (or OSError, ImportError) if ``settings`` cannot make a
    credential that can be checked on the hub alone; for 'jwt' the key and algorithm.
    For a check at the hub's start as well as before each token."""
    if settings.credential != "jwt":
        return None
    if not settings.jwt_key_file or not settings.jwt_issuer:
        raise UnicoreConfigError("credential 'jwt' needs jwt_key_file and jwt_issuer")
    import jwt  # noqa: F401  PyJWT, as pyunicore signs; RS/ES/EdDSA need cryptography

    return signing_key(settings.jwt_key_file)


def mint_jwt(settings: FunicularUnicore, user: str, now: float | None = None) -> dict:
    """A trust-delegation token of ``user``'s, valid ``jwt_lifetime`` seconds."""
    if settings.credential != "jwt":
        raise UnicoreConfigError(f"credential is {settings.credential!r}, not 'jwt'")
    key, alg = check_settings(settings)
    import jwt

    claims = etd_claims(subject_dn(settings.jwt_subject, user), settings.jwt_issuer,
                        settings.jwt_lifetime, int(time.time() if now is None else now))
    return {"token": jwt.encode(claims, key, algorithm=alg), "expires": claims["exp"],
            "kind": "jwt"}


# ------------------------------------------------------------------ oidc
def token_expiry(token: str) -> float | None:
    """A JWT access token's ``exp``, unverified (the OIDC provider checks the token,
    this only says when to ask again); None for an opaque token."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


def _access_token(state: dict | None, key: str) -> tuple[str | None, float | None]:
    token = (state or {}).get(key)
    if not isinstance(token, str) or not token:
        return None, None
    return token, token_expiry(token)


async def oidc_credential(settings: FunicularUnicore,
                          auth_state: Callable[[], Awaitable[dict | None]],
                          refresh: Callable[[], Awaitable[object]],
                          now: float | None = None) -> dict:
    """The user's access token from auth_state. One missing or with under
    REFRESH_WITHIN seconds left is refreshed first (``refresh``: the authenticator's
    refresh_user through JupyterHub, which stores the new auth_state)."""
    key = settings.oidc_auth_state_key
    token, exp = _access_token(await auth_state(), key)
    now = time.time() if now is None else now
    if token is None or (exp is not None and exp - now < REFRESH_WITHIN):
        await refresh()
        token, exp = _access_token(await auth_state(), key)
    if token is None:
        raise UnicoreRefusal(404, f"the hub holds no OIDC access token of this user's "
                             f"(auth_state[{key!r}]): it needs an authenticator that keeps "
                             "one, e.g. OAuthenticator with enable_auth_state")
    if exp is not None and exp <= now:
        raise UnicoreRefusal(403, "the user's OIDC access token has expired and the hub "
                             "could not refresh it: log in to the hub again")
    return {"token": token, "expires": exp if exp is not None else now + settings.oidc_lifetime,
            "kind": "oidc"}


# ------------------------------------------------------------------ the route's answer
async def unicore_credential(spawner, user, refresh: Callable[[], Awaitable[object]]) -> dict:
    """``{"token", "expires", "kind"}`` for the user of ``spawner`` (a running server
    that asked with its own token), or UnicoreRefusal. The settings are read each
    time (``c.FunicularUnicore`` in the hub's config), as is the key: it can be rotated."""
    settings = FunicularUnicore(parent=spawner)
    if settings.credential == "jwt":
        try:
            spawner.identity.check(user.name)
        except IdentityError as e:
            raise UnicoreRefusal(403, str(e)) from None
        try:
            return mint_jwt(settings, user.name)
        except (UnicoreConfigError, OSError, ImportError) as e:
            spawner.log.error("funicular: no UNICORE token for %s: %s", user.name, e)
            raise UnicoreRefusal(500, "the hub's UNICORE JWT settings cannot make a token "
                                 "(the hub's log says why)") from None
    if settings.credential == "oidc":
        return await oidc_credential(settings, user.get_auth_state, refresh)
    raise UnicoreRefusal(404, "this hub hands out no UNICORE credential "
                         "(c.FunicularUnicore.credential is not set)")
