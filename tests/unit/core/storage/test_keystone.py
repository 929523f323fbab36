"""Swift through Keystone v3: the login python-swiftclient is given, the variables a
notebook gets for the swift and openstack command lines, and the ones read back from an
openrc. No network here; the real logins are tests/integration/test_keystone.py."""

import fsspec
import pytest
import swiftclient

from funicular.core.storage import StoreCredentials
from funicular.core.storage.stores import swift as swift_store
from funicular.core.storage.stores.swift import SwiftStore, connection_args
from funicular.core.storage.swiftfs import SwiftFileSystem

KS = "https://keystone.example.org:5000/v3"
V3 = StoreCredentials(swift_auth_url=KS, swift_user="alice", swift_key="pw",
                      swift_project_name="proj-alice")


@pytest.fixture
def keystoneclient(monkeypatch):
    """As where python-keystoneclient is installed (the unit tests' venv need not)."""
    monkeypatch.setattr(swift_store, "has_keystoneclient", lambda: True)


def test_the_version_is_said_or_read_off_keystones_url():
    v1 = StoreCredentials(swift_auth_url="http://s:8080/auth/v1.0", swift_user="a:a",
                          swift_key="k")
    assert not v1.swift_keystone and V3.swift_keystone
    assert StoreCredentials(swift_auth_url=KS + "/").swift_keystone
    assert StoreCredentials(swift_auth_url="https://k:5000", swift_auth_version="v3"
                            ).swift_auth_version == "3"
    assert not StoreCredentials(swift_auth_url=KS, swift_auth_version="1.0").swift_keystone
    with pytest.raises(ValueError, match="1 .auth v1.0. or 3"):
        StoreCredentials(swift_auth_version="2.0")
    with pytest.raises(ValueError, match="swift_auth_type"):
        StoreCredentials(swift_auth_type="token")


def test_auth_v1_is_as_before():
    c = StoreCredentials(swift_auth_url="http://s:8080/auth/v1.0", swift_user="a:a",
                         swift_key="k")
    assert connection_args(c) == {"authurl": "http://s:8080/auth/v1.0", "user": "a:a",
                                  "key": "k", "auth_version": "1"}


def test_a_v3_login_names_domains_and_project(keystoneclient):
    assert connection_args(V3) == {
        "authurl": KS, "user": "alice", "key": "pw", "auth_version": "3",
        "os_options": {"user_domain_name": "Default", "project_name": "proj-alice",
                       "project_domain_name": "Default"}}
    by_id = StoreCredentials(swift_auth_url=KS, swift_user="alice", swift_key="pw",
                             swift_user_domain_name="hpc", swift_project_id="0123abcd",
                             swift_region_name="Lugano")
    assert connection_args(by_id)["os_options"] == {
        "user_domain_name": "hpc", "project_id": "0123abcd", "region_name": "Lugano"}


def test_an_application_credential_carries_its_own_scope(keystoneclient):
    c = StoreCredentials(swift_auth_url=KS, swift_user="app-id", swift_key="app-secret",
                         swift_auth_type="v3applicationcredential", swift_project_name="x")
    args = connection_args(c)
    assert args["os_options"] == {"auth_type": "v3applicationcredential",
                                  "application_credential_id": "app-id",
                                  "application_credential_secret": "app-secret"}
    # also as user and key: swiftclient logs in again after a 401 only with both
    assert (args["user"], args["key"]) == ("app-id", "app-secret")


def test_a_v3_login_that_cannot_work_is_said_at_once(keystoneclient, monkeypatch):
    no_project = StoreCredentials(swift_auth_url=KS, swift_user="alice", swift_key="pw")
    with pytest.raises(ValueError, match="needs the project"):
        SwiftStore(no_project)
    monkeypatch.setattr(swift_store, "has_keystoneclient", lambda: False)
    with pytest.raises(ValueError, match="pip install python-keystoneclient"):
        SwiftStore(V3)


def test_swiftclient_gets_those_options(keystoneclient, monkeypatch):
    seen = {}

    class Connection:
        def __init__(self, **kw):
            seen.update(kw)
    monkeypatch.setattr(swiftclient, "Connection", Connection)
    assert isinstance(SwiftStore(V3).conn, Connection)
    assert seen["auth_version"] == "3" and seen["os_options"]["project_name"] == "proj-alice"
    assert seen["retries"] == 0  # the engine's retries, not swiftclient's


def test_keystone_refusing_a_login_is_a_401_not_an_outage():
    e = swiftclient.ClientException("Unauthorized. Check username/id, password, tenant "
                                    "name/id and user/tenant domain name/id.")
    err = swift_store._error(e, "login")
    assert err.status == 401 and not err.transient
    assert swift_store._error(swiftclient.ClientException("timed out"), "x").transient


def test_a_notebook_gets_openstacks_variables_for_v3():
    env = V3.standard_env()
    assert env == {"OS_AUTH_URL": KS, "OS_AUTH_VERSION": "3", "OS_IDENTITY_API_VERSION": "3",
                   "OS_USERNAME": "alice", "OS_PASSWORD": "pw",
                   "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_NAME": "proj-alice",
                   "OS_PROJECT_DOMAIN_NAME": "Default"}
    app = StoreCredentials(swift_auth_url=KS, swift_user="id1", swift_key="s1",
                           swift_auth_type="v3applicationcredential",
                           swift_region_name="RegionOne")
    assert app.standard_env() == {
        "OS_AUTH_URL": KS, "OS_AUTH_VERSION": "3", "OS_IDENTITY_API_VERSION": "3",
        "OS_AUTH_TYPE": "v3applicationcredential", "OS_APPLICATION_CREDENTIAL_ID": "id1",
        "OS_APPLICATION_CREDENTIAL_SECRET": "s1", "OS_REGION_NAME": "RegionOne"}
    v1 = StoreCredentials(swift_auth_url="http://s/auth/v1.0", swift_user="a:a",
                          swift_key="k")
    assert set(v1.standard_env()) == {"ST_AUTH", "ST_USER", "ST_KEY"}


def test_s3_keys_from_keystone_ec2_are_plain_s3_keys():
    c = StoreCredentials(swift_auth_url=KS, swift_user="alice", swift_key="pw",
                         swift_project_name="alice", s3_endpoint="https://s3.example.org",
                         s3_access_key="0f1e2d3c", s3_secret_key="ec2-secret")
    env = c.standard_env()
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("0f1e2d3c",
                                                                       "ec2-secret")
    assert "OS_PASSWORD" in env and "ST_KEY" not in env


def test_v3_credentials_travel_by_env_and_never_show():
    c = StoreCredentials(swift_auth_url=KS, swift_user="alice", swift_key="SECRET",
                         swift_auth_version="3", swift_user_domain_name="hpc",
                         swift_project_name="p", swift_project_domain_name="hpc",
                         swift_region_name="r")
    assert "SECRET" not in repr(c)
    env = c.to_env()
    assert env["FUNICULAR_STORE_SWIFT_PROJECT_NAME"] == "p"
    assert StoreCredentials.from_env(env) == c
    assert StoreCredentials.from_dict({"swift_auth_version": 3}).swift_auth_version == "3"


OPENRC = {"OS_AUTH_URL": KS, "OS_USERNAME": "carol", "OS_PASSWORD": "c",
          "OS_PROJECT_NAME": "proj", "OS_USER_DOMAIN_NAME": "Default",
          "OS_PROJECT_DOMAIN_NAME": "Default", "OS_IDENTITY_API_VERSION": "3"}


def test_an_openrc_is_read_back():
    c = StoreCredentials.from_environment(OPENRC)
    assert c.swift_keystone and c.has("swift")
    assert (c.swift_user, c.swift_key, c.swift_project_name) == ("carol", "c", "proj")
    assert c.standard_env()["OS_PROJECT_NAME"] == "proj"
    app = StoreCredentials.from_environment({
        "OS_AUTH_URL": KS, "OS_AUTH_TYPE": "v3applicationcredential",
        "OS_APPLICATION_CREDENTIAL_ID": "i", "OS_APPLICATION_CREDENTIAL_SECRET": "s"})
    assert app.swift_app_credential and (app.swift_user, app.swift_key) == ("i", "s")
    # what comes first: funicular's own variables, then the swift client's (v1.0)
    st = {"ST_AUTH": "http://s/auth/v1.0", "ST_USER": "b:b", "ST_KEY": "k"}
    assert StoreCredentials.from_environment({**OPENRC, **st}).swift_user == "b:b"
    own = {"FUNICULAR_STORE_SWIFT_AUTH_URL": "http://f/auth/v1.0",
           "FUNICULAR_STORE_SWIFT_USER": "f:f", "FUNICULAR_STORE_SWIFT_KEY": "k"}
    assert StoreCredentials.from_environment({**OPENRC, **own}).swift_user == "f:f"
    assert not StoreCredentials.from_environment({"OS_AUTH_URL": KS}).has("swift")


def test_fsspec_takes_v3_storage_options(keystoneclient):
    SwiftFileSystem.clear_instance_cache()
    fs = fsspec.filesystem("swift", swift_auth_url=KS, swift_user="dave", swift_key="d",
                           swift_project_name="dave", skip_instance_cache=True)
    assert fs.store.creds.swift_keystone and fs.store.creds.swift_project_name == "dave"
