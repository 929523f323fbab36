"""A hub user's object-store credentials from the spawner's storage_* settings
(spawner/credentials.py): tempauth's login, and Swift behind Keystone v3."""

from funicular.spawner.credentials import StoreSettings, store_credentials


def keys(tmp_path, user="jane.doe", key="s3cret"):
    path = tmp_path / "keys.tsv"
    path.write_text(f"{user}\t{key}\n")
    path.chmod(0o600)
    return str(path)


def test_tempauth_login_is_account_colon_user(tmp_path):
    c = store_credentials(StoreSettings(keys(tmp_path), swift_auth_url="http://s/auth/v1.0",
                                        s3_endpoint="http://s"), "jane.doe")
    assert (c.swift_user, c.swift_key, c.swift_keystone) == ("jane.doe:jane.doe", "s3cret", False)
    assert c.swift_project_name is None and c.s3_access_key == "jane.doe:jane.doe"


def test_keystone_v3_from_the_url_gets_domains_and_the_users_project(tmp_path):
    c = store_credentials(StoreSettings(keys(tmp_path), identity="{user}",
                                        swift_auth_url="https://keystone.example/v3/",
                                        swift_project="hpc-{user}", swift_region="Lugano"),
                          "jane.doe")
    assert c.swift_keystone and c.swift_auth_version == "3"
    assert (c.swift_user, c.swift_key) == ("jane.doe", "s3cret")
    assert c.swift_project_name == "hpc-jane.doe"
    assert (c.swift_user_domain_name, c.swift_project_domain_name) == ("Default", "Default")
    assert c.swift_region_name == "Lugano"
    env = c.standard_env()  # what the swift and openstack command lines read
    assert env["OS_AUTH_URL"] == "https://keystone.example/v3/"
    assert env["OS_PROJECT_NAME"] == "hpc-jane.doe" and env["OS_USERNAME"] == "jane.doe"
    assert "ST_AUTH" not in env


def test_an_explicit_version_wins_over_the_url(tmp_path):
    v1 = store_credentials(StoreSettings(keys(tmp_path), swift_auth_url="http://s/v3",
                                         swift_auth_version="1"), "jane.doe")
    assert not v1.swift_keystone and v1.swift_project_name is None
    v3 = store_credentials(StoreSettings(keys(tmp_path), identity="{user}",
                                         swift_auth_url="http://keystone:5000/identity",
                                         swift_auth_version="3"), "jane.doe")
    assert v3.swift_keystone and v3.swift_project_name == "jane.doe"


def test_a_user_without_a_key_gets_no_store(tmp_path):
    assert store_credentials(StoreSettings(keys(tmp_path), swift_auth_url="http://s/v3"),
                             "bob") is None
