"""A stand-in for a site's OIDC provider, as far as UNICORE's OAuthAuthenticator (and
the fake of it in unicore_fake.py) asks one about a bearer token.

It hands out opaque access tokens for named users (``issue``) and answers the two
questions a resource server asks: OIDC userinfo (GET with ``Authorization: Bearer``;
401 for a token it does not know or that has expired, RFC 6750) and OAuth token
introspection (RFC 7662: POST client_id, client_secret and token; ``{"active":
false}`` for a bad token, 401 for a client it does not know). ``revoke`` ends a token
early. No authorization flow: the tests play the login.
"""

import json
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tornado import web


@dataclass
class Provider:
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> secret
    tokens: dict[str, dict] = field(default_factory=dict)  # token -> claims
    asked: list[str] = field(default_factory=list)  # "userinfo" / "introspect", in order

    def issue(self, user: str, lifetime: int = 300) -> str:
        token = secrets.token_urlsafe(24)
        now = int(time.time())
        self.tokens[token] = {"sub": f"sub-{user}", "preferred_username": user,
                              "iat": now, "exp": now + lifetime}
        return token

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)

    def claims(self, token: str) -> dict | None:
        c = self.tokens.get(token)
        return c if c and c["exp"] > time.time() else None


def make_app(provider: Provider) -> web.Application:
    class UserInfo(web.RequestHandler):
        def get(self):
            provider.asked.append("userinfo")
            auth = self.request.headers.get("Authorization", "")
            claims = provider.claims(auth[7:]) if auth.startswith("Bearer ") else None
            if claims is None:
                self.set_status(401)
                self.set_header("WWW-Authenticate", 'Bearer error="invalid_token"')
                self.finish({"error": "invalid_token"})
                return
            self.finish({k: claims[k] for k in ("sub", "preferred_username")})

    class Introspect(web.RequestHandler):
        def post(self):
            provider.asked.append("introspect")
            form = {k: v[0] for k, v in parse_qs(self.request.body.decode()).items()}
            cid = form.get("client_id", "")
            if not cid or provider.clients.get(cid) != form.get("client_secret"):
                self.set_status(401)
                self.finish({"error": "invalid_client"})
                return
            claims = provider.claims(form.get("token", ""))
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"active": False} if claims is None else
                                   {"active": True, "client_id": cid,
                                    "username": claims["preferred_username"], **claims}))

    return web.Application([("/userinfo", UserInfo), ("/introspect", Introspect)])
