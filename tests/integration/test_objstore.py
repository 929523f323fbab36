"""The box's object store (issue 6, its foundation): a real OpenStack Swift with the s3api
middleware, started by deploy/local/up. One store, both APIs, one account per user;
reachable from the compute nodes; users kept apart unless they share."""

import boto3
import botocore.exceptions
import pytest
import swiftclient
from botocore.config import Config

from .harness import BOX

URL = "http://10.77.77.1:8090"


def key(user: str) -> str:
    rows = (BOX / "objstore/accounts.tsv").read_text().splitlines()
    return dict(line.split("\t", 1) for line in rows)[user]


def swift(user: str) -> swiftclient.Connection:
    return swiftclient.Connection(f"{URL}/auth/v1.0", f"{user}:{user}", key(user),
                                  retries=0)


def s3(user: str):
    return boto3.client("s3", endpoint_url=URL, aws_access_key_id=f"{user}:{user}",
                        aws_secret_access_key=key(user), region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}))


@pytest.fixture
def container(cluster):
    alice = swift("alice")
    alice.put_container("funitest")
    yield "funitest"
    for obj in alice.get_container("funitest")[1]:
        alice.delete_object("funitest", obj["name"])
    alice.delete_container("funitest")


def test_one_store_both_apis(container):
    """An object written through Swift reads back through S3, with its metadata, and
    the other way round."""
    alice = swift("alice")
    alice.put_object(container, "data/a.txt", b"from swift",
                     headers={"X-Object-Meta-Run": "42"})
    got = s3("alice").get_object(Bucket=container, Key="data/a.txt")
    assert got["Body"].read() == b"from swift" and got["Metadata"] == {"run": "42"}
    s3("alice").put_object(Bucket=container, Key="b.txt", Body=b"from s3")
    assert alice.get_object(container, "b.txt")[1] == b"from s3"
    names = [o["Key"] for o in s3("alice").list_objects_v2(Bucket=container)["Contents"]]
    assert names == ["b.txt", "data/a.txt"]


def test_users_are_kept_apart_unless_they_share(container):
    swift("alice").put_object(container, "secret.txt", b"alice only")
    with pytest.raises(swiftclient.ClientException) as e:
        swift("bob").get_object(container, "secret.txt")
    assert e.value.http_status == 404  # bob's account has no such container
    bob_url = swift("bob").get_auth()[0]
    alice_url = bob_url.replace("AUTH_bob", "AUTH_alice")
    with pytest.raises(swiftclient.ClientException) as e:
        swiftclient.get_object(alice_url, swift("bob").get_auth()[1], container, "secret.txt")
    assert e.value.http_status == 403
    with pytest.raises(botocore.exceptions.ClientError):
        s3("bob").get_object(Bucket=container, Key="secret.txt")
    with pytest.raises(swiftclient.ClientException) as e:
        swiftclient.Connection(f"{URL}/auth/v1.0", "alice:alice", "wrong", retries=0).get_auth()
    assert e.value.http_status == 401
    # alice shares the container with bob: he may read, not write
    swift("alice").post_container(container, {"X-Container-Read": "bob:bob"})
    token = swift("bob").get_auth()[1]
    assert swiftclient.get_object(alice_url, token, container, "secret.txt")[1] == b"alice only"
    with pytest.raises(swiftclient.ClientException) as e:
        swiftclient.put_object(alice_url, token, container, "x.txt", b"bob was here")
    assert e.value.http_status == 403
