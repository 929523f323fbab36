"""What the UNICORE tests share: a key and certificate of a JWT issuer the fake UNICORE
trusts, the fake's authentication (tests/integration/unicore_fake.py) and its REST API
served in-process on loopback, and the stand-in OIDC provider beside it."""

import datetime
import json
import socket

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from tornado import httpserver

from tests.integration import oidc_fake, unicore_fake

HUB_DN = "CN=Funicular hub,O=Funicular test"  # the certificate's subject, RFC 4514
USERS = {"UID=alice": {"xlogin": "alice", "role": "user"},
         "UID=bob": {"xlogin": "bob", "role": "user"},
         "UID=nobody": {"xlogin": "nobody"}}  # mapped, but no role: anonymous


def issuer(dn_cn: str = "Funicular hub", days: int = 30):
    """(private key, PEM certificate) of a JWT issuer; its subject is O=..,CN=.. ."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Funicular test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, dn_cn)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=min(-1, days - 1)))
            .not_valid_after(now + datetime.timedelta(days=days))
            .sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM)


def pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def auth(certs: tuple[bytes, ...] = (), **kw) -> unicore_fake.Auth:
    a = unicore_fake.Auth(attributes={unicore_fake.comparable_dn(dn): attrs
                                      for dn, attrs in USERS.items()}, **kw)
    for c in certs:
        assert a.trust(c)
    return a


def _serve(app) -> tuple[httpserver.HTTPServer, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    server = httpserver.HTTPServer(app)
    server.add_sockets([sock])
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}"


class FakeUnicore:
    """The fake's REST API on loopback, with the given authentication."""

    def __init__(self, a: unicore_fake.Auth):
        self.state = unicore_fake.State(a, "")
        self.server, self.state.url = _serve(unicore_fake.make_app(self.state))
        self.base = self.state.url + unicore_fake.BASE

    def add_job(self, owner_dn: str, xlogin: str) -> str:
        """A job as the fake keeps one that waits for its client's stage-in (no Slurm)."""
        job_id = f"0000000{len(self.state.jobs)}-0000-0000-0000-000000000000"
        self.state.jobs[job_id] = {
            "owner": unicore_fake.comparable_dn(owner_dn), "owner_dn": owner_dn,
            "xlogin": xlogin, "description": {"Name": "sim"}, "uspace": "/nonexistent",
            "status": "READY", "submitted": "2026-01-01T00:00:00+0000", "log": []}
        return job_id

    def stop(self):
        self.server.stop()


class FakeProvider:
    """The stand-in OIDC provider on loopback."""

    def __init__(self, clients: dict[str, str] | None = None):
        self.provider = oidc_fake.Provider(clients=dict(clients or {}))
        self.server, self.url = _serve(oidc_fake.make_app(self.provider))

    def stop(self):
        self.server.stop()


def users_file(tmp_path) -> str:
    path = tmp_path / "users.json"
    path.write_text(json.dumps(USERS))
    return str(path)
