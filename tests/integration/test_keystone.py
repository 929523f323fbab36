"""Swift through Keystone v3 in the box (deploy/local/lib/keystone.sh): a real Keystone
beside tempauth in the one proxy. A box user logs in with python-swiftclient's v3 login,
moves data through Funicular's Swift store with a v3 endpoint, reaches the same account
through S3 with the Keystone EC2 credential (s3api + s3token), and the swift command
line works from the variables a notebook gets. Wrong password, domain or secret: refused,
and a transfer with them fails for good instead of waiting to be resumed."""

import hashlib
import os
import subprocess
import sys
from urllib.parse import urlsplit
from urllib.request import urlopen

import boto3
import botocore.exceptions
import pytest
import swiftclient
from botocore.config import Config

from funicular.core.storage import Journal, StoreCredentials, filesystem
from funicular.core.storage.stores import StoreError, get_store
from funicular.core.storage.stores.swift import has_keystoneclient
from funicular.core.storage.transfer import plan
from funicular.core.storage.transfer import run as transfer

from . import harness
from .harness import BOX

MIB = 2**20
# the same defaults as deploy/local/lib/keystone.sh
KEYSTONE = (f"http://{urlsplit(harness.STORE_URL).hostname}:"
            f"{os.environ.get('FUNICULAR_KEYSTONE_PORT', '5000')}/v3")
needs_keystoneclient = pytest.mark.skipif(
    not has_keystoneclient(), reason="python-keystoneclient is not installed in this venv: "
    "swiftclient's v3 login needs it")


def _rows(name: str) -> dict[str, list[str]]:
    rows = (BOX / "objstore" / name).read_text().splitlines()
    return {r.split("\t")[0]: r.split("\t")[1:] for r in rows if "\t" in r}


def v3(user: str, **change) -> StoreCredentials:
    """A box user's Keystone logins: Swift v3 (user and project of the user's name,
    Default domain) and S3 with the user's EC2 credential."""
    access, secret = _rows("ec2.tsv")[user]
    return StoreCredentials(**{
        "swift_auth_url": KEYSTONE, "swift_user": user, "swift_key": _rows("accounts.tsv")[
            user][0], "swift_project_name": user, "swift_user_domain_name": "Default",
        "s3_endpoint": harness.STORE_URL, "s3_access_key": access, "s3_secret_key": secret,
        **change})


@pytest.fixture
def container(cluster):
    """alice's container in her Keystone project's account, removed after."""
    store = get_store("s3", v3("alice"))  # S3: needs no keystoneclient
    store.create_container("funitest-ks")
    yield "funitest-ks"
    fs = filesystem("s3", v3("alice"))
    for name in fs.find("funitest-ks"):
        fs.rm_file(name)
    fs.rmdir("funitest-ks")


@needs_keystoneclient
def test_swiftclient_logs_in_through_keystone_v3(container):
    key = _rows("accounts.tsv")["alice"][0]
    conn = swiftclient.Connection(
        KEYSTONE, "alice", key, auth_version="3", retries=0,
        os_options={"user_domain_name": "Default", "project_name": "alice",
                    "project_domain_name": "Default"})
    url, token = conn.get_auth()
    assert "/v1/KEY_" in url and not token.startswith("AUTH_")  # Keystone's, not tempauth's
    conn.put_object(container, "hello.txt", b"via keystone")
    assert conn.get_object(container, "hello.txt")[1] == b"via keystone"
    # tempauth's alice is another account: both logins work side by side
    v1 = swiftclient.Connection(f"{harness.STORE_URL}/auth/v1.0", "alice:alice", key, retries=0)
    assert v1.get_auth()[0].endswith("/v1/AUTH_alice")
    assert container not in [c["name"] for c in v1.get_account()[1]]


@needs_keystoneclient
def test_funiculars_swift_store_over_v3(container, tmp_path):
    c = v3("alice")
    src = tmp_path / "data.bin"
    src.write_bytes(os.urandom(3 * MIB + 5))
    journal = Journal(str(tmp_path / "j"))
    t = transfer(plan(str(src), f"swift://{container}/run/data.bin", c), c, journal,
                 part_size=MIB)
    assert t.state == "done" and t.checksum.endswith("-4"), t.error
    info = get_store("swift", c).head(container, "run/data.bin")
    assert info.size == src.stat().st_size and info.large  # an SLO, through KEY_'s account
    back = transfer(plan(f"swift://{container}/run/data.bin", str(tmp_path / "back.bin"), c),
                    c, journal)
    assert back.state == "done", back.error
    assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()
    assert filesystem("swift", c).ls(f"{container}/run", detail=False) == [
        f"{container}/run/data.bin"]
    link = get_store("swift", c).share_url(container, "run/data.bin", 60)
    with urlopen(link, timeout=30) as r:  # noqa: S310 (the box's own store)
        assert hashlib.md5(r.read()).hexdigest() == hashlib.md5(src.read_bytes()).hexdigest()


def test_s3_with_a_keystone_ec2_credential(container, tmp_path):
    c = v3("alice")
    s3 = boto3.client("s3", endpoint_url=harness.STORE_URL, region_name="us-east-1",
                      aws_access_key_id=c.s3_access_key, aws_secret_access_key=c.s3_secret_key,
                      config=Config(s3={"addressing_style": "path"}))
    s3.put_object(Bucket=container, Key="a.txt", Body=b"ec2", Metadata={"run": "7"})
    got = s3.get_object(Bucket=container, Key="a.txt")
    assert got["Body"].read() == b"ec2" and got["Metadata"] == {"run": "7"}
    # a multipart upload through Funicular (5 MiB parts: S3's least)
    src = tmp_path / "m.bin"
    src.write_bytes(os.urandom(11 * MIB))
    t = transfer(plan(str(src), f"s3://{container}/m.bin", c), c,
                 Journal(str(tmp_path / "j")), part_size=5 * MIB)
    assert t.state == "done" and t.checksum.endswith("-3"), t.error
    # the EC2 credential's account is the Keystone project's: Swift v3 sees the same
    if has_keystoneclient():
        assert get_store("swift", c).head(container, "m.bin").size == 11 * MIB
    # and not tempauth's alice
    key = _rows("accounts.tsv")["alice"][0]
    v1 = boto3.client("s3", endpoint_url=harness.STORE_URL, region_name="us-east-1",
                      aws_access_key_id="alice:alice", aws_secret_access_key=key,
                      config=Config(s3={"addressing_style": "path"}))
    assert container not in [b["Name"] for b in v1.list_buckets()["Buckets"]]


@needs_keystoneclient
def test_the_swift_command_line_works_from_a_notebooks_variables(container):
    c = v3("alice")
    env = {"PATH": os.environ["PATH"], **c.standard_env()}
    assert env["OS_AUTH_URL"] == KEYSTONE and "ST_AUTH" not in env
    get_store("swift", c).put(container, "cli.txt", b"cli", 3, {})
    out = subprocess.run([sys.executable, "-m", "swiftclient.shell", "list", container],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["cli.txt"]


@needs_keystoneclient
@pytest.mark.parametrize("change", [{"swift_key": "wrong"},
                                    {"swift_user_domain_name": "nosuchdomain"},
                                    {"swift_project_name": "bob"}])  # not hers
def test_a_wrong_login_is_refused_for_good(change, cluster, tmp_path):
    c = v3("alice", **change)
    with pytest.raises(StoreError) as e:
        get_store("swift", c).container_exists("anything")
    assert e.value.status == 401 and not e.value.transient
    src = tmp_path / "x.txt"
    src.write_text("x")
    t = transfer(plan(str(src), "swift://anything/x.txt", c), c, Journal(str(tmp_path / "j")))
    assert t.state == "failed" and "401" in t.error  # not "interrupted": no resume helps


def test_a_wrong_ec2_secret_is_refused(container):
    c = v3("alice", s3_secret_key="not-the-secret")
    s3 = boto3.client("s3", endpoint_url=harness.STORE_URL, region_name="us-east-1",
                      aws_access_key_id=c.s3_access_key, aws_secret_access_key=c.s3_secret_key,
                      config=Config(s3={"addressing_style": "path"}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.list_objects_v2(Bucket=container)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] in (401, 403)


@needs_keystoneclient
def test_keystone_users_are_kept_apart(container):
    alice, bob = get_store("swift", v3("alice")), get_store("swift", v3("bob"))
    alice.put(container, "secret.txt", b"alice only", 10, {})
    assert bob.head(container, "secret.txt") is None  # bob's account has no such container
    url = alice.conn.get_auth()[0]
    with pytest.raises(swiftclient.ClientException) as e:
        swiftclient.get_object(url, bob.conn.get_auth()[1], container, "secret.txt")
    assert e.value.http_status == 403
