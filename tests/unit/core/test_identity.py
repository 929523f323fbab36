"""Who the gateway may act as: never a system account, whatever the path."""

import pytest

from funicular.core.become import as_user
from funicular.core.errors import IdentityError
from funicular.core.identity import Policy

OPEN = Policy(min_uid=0, system_uids=())  # a policy that refuses nobody, to compare


@pytest.mark.parametrize("user", ["root", "daemon", "nobody"])
def test_system_accounts_are_refused_by_default(user):
    with pytest.raises(IdentityError, match="system account"):
        Policy().check(user)
    for method in ("sudo", "runuser", "none"):
        with pytest.raises(IdentityError):
            as_user(method, user)
    assert OPEN.check(user).pw_name == user


def test_unknown_accounts_and_bad_names_are_refused():
    with pytest.raises(IdentityError, match="not an account"):
        OPEN.check("no-such-user-here")
    with pytest.raises(ValueError):
        OPEN.check("root; id")


def test_the_allowed_group():
    assert Policy(min_uid=0, system_uids=(), allowed_group="root").check("root")
    with pytest.raises(IdentityError, match="group"):
        Policy(min_uid=0, system_uids=(), allowed_group="nogroup").check("root")
    with pytest.raises(IdentityError, match="group"):
        Policy(min_uid=0, system_uids=(), allowed_group="no-such-group").check("root")


def test_as_user_prefixes_for_an_allowed_account():
    assert as_user("sudo", "root", OPEN) == ["sudo", "-n", "-H", "-u", "root", "--"]
    assert as_user("runuser", "root", OPEN) == ["runuser", "-u", "root", "--"]
    assert as_user("none", "root", OPEN) == []
    with pytest.raises(ValueError):
        as_user("su", "root", OPEN)
