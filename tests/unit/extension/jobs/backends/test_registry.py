"""Job backends by name: the registry names the backends the hub may hand over,
imports one only when asked for it, and no backend module imports another's (the old
base <-> unicore -> slurm_rest loop)."""

import subprocess
import sys

import pytest

from funicular.core.jobs import JobSite, SiteImage
from funicular.core.jobs.site import BACKENDS as SITE_BACKENDS
from funicular.extension.jobs.backends import BACKENDS, get_backend
from funicular.extension.jobs.backends.base import JobBackend

SITE = JobSite(images={"sim": SiteImage("/apps/sim")}, host_home="/users/alice", backend="cli")
ENV = {"JUPYTERHUB_API_URL": "http://127.0.0.1:9/hub/api", "JUPYTERHUB_API_TOKEN": "t"}


def test_every_backend_the_hub_may_name_is_registered_under_its_own_name():
    assert BACKENDS.names() == sorted(SITE_BACKENDS)
    for name in BACKENDS.names():
        cls = BACKENDS.get(name)
        assert issubclass(cls, JobBackend) and cls.name == name


def test_a_backend_is_built_for_the_user_or_refused_with_the_reason():
    cli = get_backend("cli", SITE, "alice", ENV)
    assert cli.user == "alice" and type(cli).__name__ == "SlurmCLIJobBackend"
    with pytest.raises(ValueError, match="unknown jobs backend 'pbs'; known: cli, rest"):
        get_backend("pbs", SITE, "alice", ENV)
    with pytest.raises(ValueError, match="needs the site's slurmrestd_url"):
        get_backend("rest", SITE, "alice", ENV)


def test_backends_are_imported_when_chosen_and_each_on_its_own():
    here = "funicular.extension.jobs.backends"
    modules = [f"{here}.{m}" for m in ("slurm_cli", "slurm_rest", "unicore", "hubtokens")]
    code = (f"import sys, {here}\n"
            f"assert not [m for m in {modules!r} if m in sys.modules]\n")
    # each alone, in a fresh interpreter: an import loop fails whichever comes first
    code += "".join(f"import {m}\n" for m in reversed(modules))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
