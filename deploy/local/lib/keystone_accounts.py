"""The box's Keystone users, as tempauth has them: run by deploy/local/lib/keystone.sh.

Every row of the object store's accounts file (``USER<TAB>KEY``) becomes a Keystone user
of that name in the Default domain, with the key as password, a project of the same
name (its default project) and the ``member`` role there: so a box user logs in to
Swift either way, auth v1.0 (tempauth, account ``AUTH_USER``) or Keystone v3 (account
``KEY_<project id>``). Each also gets one EC2 credential on that project, the S3
access/secret pair that s3token checks with Keystone; the pairs go to a 0600 file
(``USER<TAB>ACCESS<TAB>SECRET``), kept across runs. The ``admin`` row is the
bootstrap admin (``keystone-manage bootstrap`` set that password). The proxy's own
service user (``swift`` in project ``service``, role ``service``: what validating
tokens and s3tokens asks for) and the object-store endpoint are made here too.

Standard library only (it runs with Keystone's venv python, whose packages are
Keystone's); idempotent: what exists is checked, not made again.
"""

import argparse
import hashlib
import json
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request

DOMAIN = "default"  # the Default domain's id (keystone-manage bootstrap makes it)


class Keystone:
    def __init__(self, url: str, password: str):
        self.url = url.rstrip("/")
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": DOMAIN}, "password": password}}},
            "scope": {"project": {"name": "admin", "domain": {"id": DOMAIN}}}}}
        self.token = ""
        self.token = self.call("POST", "/auth/tokens", body, want_headers=True)

    def call(self, method: str, path: str, body: dict | None = None,
             want_headers: bool = False):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"X-Auth-Token": self.token}
                                                 if self.token else {})})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                if want_headers:
                    return r.headers["X-Subject-Token"]
                raw = r.read()
        except urllib.error.HTTPError as e:
            raise SystemExit(f"keystone: {method} {path}: {e.code} {e.read()[:300]!r}") from None
        return json.loads(raw) if raw else {}

    def find(self, kind: str, **query) -> dict | None:
        found = self.all(kind, **query)
        return found[0] if found else None

    def all(self, kind: str, **query) -> list[dict]:
        return self.call("GET", f"/{kind}?{urllib.parse.urlencode(query)}")[kind]

    def ensure(self, kind: str, one: str, fields: dict, **query) -> dict:
        got = self.find(kind, **query)
        return got or self.call("POST", f"/{kind}", {one: fields})[one]

    def role(self, name: str) -> str:
        return self.ensure("roles", "role", {"name": name}, name=name)["id"]

    def user(self, name: str, password: str, project: str, known: dict | None) -> str:
        """A user of this password: made, or its password set again (a changed key)."""
        fields = {"name": name, "domain_id": DOMAIN, "password": password, "enabled": True,
                  "default_project_id": project}
        if known is None:
            return self.call("POST", "/users", {"user": fields})["user"]["id"]
        self.call("PATCH", f"/users/{known['id']}", {"user": fields})
        return known["id"]

    def project(self, name: str, known: dict | None = None) -> str:
        if known is not None:
            return known["id"]
        return self.ensure("projects", "project", {"name": name, "domain_id": DOMAIN},
                           name=name, domain_id=DOMAIN)["id"]

    def grant(self, project: str, user: str, role: str) -> None:
        self.call("PUT", f"/projects/{project}/users/{user}/roles/{role}")

    def endpoint(self, service_type: str, name: str, url: str, region: str) -> None:
        """The one public endpoint of a service, at ``url``."""
        svc = self.ensure("services", "service", {"type": service_type, "name": name,
                                                  "enabled": True}, type=service_type)
        ends = self.all("endpoints", service_id=svc["id"], interface="public")
        if len(ends) == 1 and ends[0]["url"] == url and ends[0].get("region_id") == region:
            return
        for e in ends:
            self.call("DELETE", f"/endpoints/{e['id']}")
        self.call("POST", "/endpoints", {"endpoint": {
            "service_id": svc["id"], "interface": "public", "url": url,
            "region_id": region, "enabled": True}})

    def new_ec2(self, user: str, project: str) -> tuple[str, str]:
        access, secret = secrets.token_hex(16), secrets.token_urlsafe(30)
        self.call("POST", "/credentials", {"credential": {
            "type": "ec2", "user_id": user, "project_id": project,
            "blob": json.dumps({"access": access, "secret": secret})}})
        return access, secret


def read_rows(path: str) -> list[list[str]]:
    try:
        with open(path, encoding="utf-8") as f:
            return [line.rstrip("\n").split("\t") for line in f if "\t" in line]
    except FileNotFoundError:
        return []


def write_private(path: str, rows: list[tuple[str, ...]]) -> None:
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.writelines("\t".join(r) + "\n" for r in rows)
    os.replace(tmp, path)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="Keystone's v3 URL")
    p.add_argument("--accounts", required=True, help="USER<TAB>KEY, 0600")
    p.add_argument("--ec2", required=True, help="written: USER<TAB>ACCESS<TAB>SECRET, 0600")
    p.add_argument("--done", required=True, help="kept: USER<TAB>SHA-256 of the key set")
    p.add_argument("--service-key", required=True, help="file: the swift service user's "
                   "password")
    p.add_argument("--swift-url", required=True,
                   help="the object-store endpoint, with %%(project_id)s")
    p.add_argument("--region", default="RegionOne")
    a = p.parse_args()
    keys = {row[0]: row[1] for row in read_rows(a.accounts)}
    with open(a.service_key, encoding="utf-8") as f:
        keys["swift"] = f.read().strip()  # the proxy's service user, in project service
    ks = Keystone(a.url, keys.pop("admin"))
    member, service_role = ks.role("member"), ks.role("service")
    ks.endpoint("object-store", "swift", a.swift_url, a.region)
    # what is there already, in four listings (one call per user would take minutes)
    users = {u["name"]: u for u in ks.all("users", domain_id=DOMAIN)}
    projects = {p["name"]: p for p in ks.all("projects", domain_id=DOMAIN)}
    granted = {(r["user"]["id"], r["scope"]["project"]["id"], r["role"]["id"])
               for r in ks.all("role_assignments") if "project" in r.get("scope", {})
               and "user" in r}
    ec2 = {}
    for c in ks.all("credentials", type="ec2"):
        blob = json.loads(c["blob"])
        ec2[(c["user_id"], c.get("project_id"), blob.get("access"))] = blob.get("secret")
    done = {row[0]: row[1] for row in read_rows(a.done) if len(row) == 2}
    had = {row[0]: (row[1], row[2]) for row in read_rows(a.ec2) if len(row) == 3}
    pairs, made = [], 0
    for name, key in keys.items():
        digest = hashlib.sha256(key.encode()).hexdigest()
        project = ks.project("service" if name == "swift" else name, projects.get(
            "service" if name == "swift" else name))
        known = users.get(name)
        if known is None or done.get(name) != digest:
            uid = ks.user(name, key, project, known)
            made += 1
        else:
            uid = known["id"]
        done[name] = digest
        role = service_role if name == "swift" else member
        if (uid, project, role) not in granted:
            ks.grant(project, uid, role)
        if name == "swift":
            continue
        pair = had.get(name)
        if pair is None or ec2.get((uid, project, pair[0])) != pair[1]:
            pair = ks.new_ec2(uid, project)
        pairs.append((name, *pair))
    write_private(a.ec2, pairs)
    write_private(a.done, sorted(done.items()))
    print(f"keystone: {len(pairs)} users with a project and an EC2 credential each "
          f"({made} made or given a new password)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
