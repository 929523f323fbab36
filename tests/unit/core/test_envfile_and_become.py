"""The private env file and the argv used to act as a user."""

import os
import stat
import subprocess
import sys

import pytest

from funicular.core import envfile, userfiles
from funicular.core import validate as v
from funicular.core.become import as_user
from funicular.core.errors import SpecError


def test_render_parse_roundtrip():
    env = {"JUPYTERHUB_API_TOKEN": "abc$HOME'\"", "JUPYTERHUB_OAUTH_SCOPES": '["a", "b,c"]'}
    assert envfile.parse(envfile.render(env)) == env


@pytest.mark.parametrize("env", [{"A": "x\ny"}, {"BAD-KEY": "x"}, {"A": "nul\0"}])
def test_render_refuses_what_would_break_lines(env):
    with pytest.raises(SpecError):
        envfile.render(env)


def test_write_private_modes(tmp_path):
    path = tmp_path / "srv" / "env"
    userfiles.write_private(str(path), "A=1\n")
    assert path.read_text() == "A=1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    userfiles.write_private(str(path), "A=2\n")  # atomic replace, no leftovers
    assert os.listdir(path.parent) == ["env"]


def test_helper_refuses_paths_outside_home(tmp_path):
    res = subprocess.run([sys.executable, "-m", "funicular.core.userfiles", "write",
                          "/etc/funicular-should-not-exist"], input="A=1\n", text=True,
                         capture_output=True)
    assert res.returncode != 0 and "not inside" in res.stderr
    assert not os.path.exists("/etc/funicular-should-not-exist")


def test_as_user_refuses_names_that_are_no_user_names():
    # (accounts themselves: tests/unit/core/test_identity.py)
    for bad in ("-uroot", "alice bob", "", ".hidden", "1000", "al/ice", "a\nb", "a:b",
                "x" * 65, "alıce"):
        with pytest.raises(SpecError, match="not a valid user name: "):
            as_user("sudo", bad)


@pytest.mark.parametrize("name", ["jane.doe", "1stuser", "JDoe", "jdoe@ad.example",
                                  "svc_alice-2", "x" * 64])
def test_user_names_a_site_can_have_are_names(name):
    """Dots, digits first, either case, sssd's qualified names: what the site's
    passwd holds. (Whether the account may use the hub is core.identity's question.)"""
    assert v.username("user", name) == name


def test_tail_keeps_the_end(tmp_path):
    log = tmp_path / "slurm-1.log"
    log.write_text("".join(f"line {i}\n" for i in range(1000)))
    out = userfiles.tail(str(log))
    assert out.splitlines()[-1] == "line 999" and len(out.splitlines()) == userfiles.TAIL_LINES
